"""Segmentation of written numbers: strokes, specks, merged parts and cuts between digits."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digits.segment import Part, Segment, components, find_digits, merge_overlapping, segment


def test_components_are_8_connected_strokes() -> None:
    image = np.zeros((10, 12), bool)
    image[1:4, 1:3] = True  # a blob
    image[4, 3] = True  # touching it diagonally: same stroke
    image[6:9, 8:11] = True  # another
    found = components(image)
    assert sorted(int(m.sum()) for m in found) == [7, 9]
    assert np.array_equal(np.logical_or.reduce(found), image)


def test_a_short_stroke_over_a_digit_joins_it_and_a_full_height_one_does_not() -> None:
    body = np.zeros((40, 60), bool)
    body[10:38, 10:25] = True  # a digit's body
    bar = np.zeros_like(body)
    bar[2:5, 12:27] = True  # a 5's floating bar, over the body
    one = np.zeros_like(body)
    one[10:38, 22:26] = True  # a "1" leaning on the body, as tall as it
    one[10:38, 22:25] = False
    one[10:38, 25] = True
    assert len(merge_overlapping([segment(body), segment(bar)])) == 1
    assert len(merge_overlapping([segment(body), segment(one)])) == 2


def test_best_reading_is_the_surest_product() -> None:
    mask = np.ones((4, 4), bool)
    a, b, whole = segment(mask), segment(mask), segment(mask)
    part = Part([0, 2, 4], {(0, 1): a, (1, 2): b, (0, 2): whole})
    sure = {id(a): 0.99, id(b): 0.98, id(whole): 0.9}
    assert part.best(lambda s: sure[id(s)]) == [a, b]
    sure[id(whole)] = 0.999
    assert part.best(lambda s: sure[id(s)]) == [whole]


def test_blank_image_is_refused() -> None:
    from digits.errors import ImageRejected

    with pytest.raises(ImageRejected, match="blank"):
        find_digits(Image.new("L", (200, 80), 255))


def test_spaced_digits_become_one_part_each(sample_digits) -> None:
    strip = np.concatenate([np.pad(d, ((0, 0), (6, 6))) for d in sample_digits.images[:4]], axis=1)
    page = Image.fromarray(255 - strip).resize((strip.shape[1] * 4, 112))
    reading = find_digits(page)
    assert len(reading.parts) == 4
    lefts = [p.pieces[(0, len(p.bounds) - 1)].box[0] for p in reading.parts]
    assert lefts == sorted(lefts)


def test_digit_widths_are_mnists() -> None:
    """LOG_ASPECT is measured on MNIST's training digits (ink at a quarter of full level)."""
    from digits.segment import LOG_ASPECT
    from training.data import VENDORED_MNIST, load_idx_dir

    train = load_idx_dir(VENDORED_MNIST, "train")
    for digit, (mean, deviation) in LOG_ASPECT.items():
        images = train.images[train.labels == digit] >= 64
        rows, cols = images.any(axis=2), images.any(axis=1)
        height = rows.shape[1] - rows[:, ::-1].argmax(axis=1) - rows.argmax(axis=1)
        width = cols.shape[1] - cols[:, ::-1].argmax(axis=1) - cols.argmax(axis=1)
        logs = np.log(width / height)
        assert logs.mean() == pytest.approx(mean, abs=0.01), digit
        assert logs.std() == pytest.approx(deviation, abs=0.01), digit


def test_the_judge_sees_a_piece_among_its_neighbours_at_a_fixed_digit_height() -> None:
    from digits.segment import CONTEXT_HEIGHTS, CONTEXT_SHAPE, context_input

    rows, cols, _ = CONTEXT_SHAPE
    for scale in (2, 5):  # the same number, small and large: the same view
        strip = np.zeros((20 * scale, 60 * scale), np.uint8)
        strip[:, 10 * scale : 14 * scale] = 255  # a "1"
        strip[:, 24 * scale : 28 * scale] = 255  # another, 14 units to its right
        reading = find_digits(Image.fromarray(255 - strip))
        first = reading.parts[0].pieces[(0, 1)]
        view = context_input(reading, first)
        assert view.shape == CONTEXT_SHAPE
        own, ink = view[..., 1] > 128, view[..., 0] > 128
        assert (own <= ink).all()  # the piece's own ink is part of the number's
        assert own[:, cols // 2 - 2 : cols // 2 + 2].any(axis=1).sum() >= rows * 0.6  # centred
        neighbour = ink & ~own
        # one digit height is rows / CONTEXT_HEIGHTS: the neighbour 14/20 of it to the right
        offset = (
            np.flatnonzero(neighbour.any(axis=0)).mean() - np.flatnonzero(own.any(axis=0)).mean()
        )
        assert offset == pytest.approx(14 / 20 * rows / CONTEXT_HEIGHTS, abs=1.5)


def test_a_way_through_a_part_always_exists() -> None:
    """A span between two cuts that no piece covers (only slivers of ink) is stepped over, at
    the cost of an impossible piece: the best way takes every piece it can."""

    def piece(x: int) -> Segment:
        return Segment(np.zeros((1, 1), bool), (x, 0, 10, 20))

    first, last = piece(0), piece(20)
    part = Part([0, 10, 20, 30], {(0, 1): first, (2, 3): last})
    assert part.best(lambda seg: 0.9) == [first, last]
    assert Part([0, 10], {}).best(lambda seg: 0.9) == []
