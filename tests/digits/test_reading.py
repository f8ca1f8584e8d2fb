"""A number's text from its digits and the separators between them."""

from __future__ import annotations

import numpy as np

from digits.reading import Placed, number_text
from digits.segment import Reading
from digits.separators import Mark


def reading(marks: list[Mark]) -> Reading:
    return Reading(parts=[], ink=np.zeros((40, 200)), scale=2.0, height=20.0, marks=marks)


def test_separators_stand_where_they_are_in_the_upload() -> None:
    point = Mark(".", (14, 16, 2, 2), 0.9)  # working pixels: 28-32 in the upload's
    text, placed = number_text(reading([point]), [[0, 0, 20, 40], [40, 0, 20, 40]], [1, 2])
    assert text == "1.2"
    assert placed == [Placed(".", 1, [28, 32, 4, 4], 0.9)]


def test_a_wide_gap_between_groups_is_a_space() -> None:
    boxes = [[x, 0, 20, 40] for x in (0, 25, 50, 200, 225)]
    text, placed = number_text(reading([]), boxes, [1, 2, 3, 4, 5])
    assert text == "123 45"
    assert placed == [Placed(" ", 3, None, 1.0)]


def judged_in_one_call(found, pieces, judge) -> np.ndarray:
    """Every piece of every part that could be cut, judged at once (what /read did first)."""
    from digits.segment import context_input

    asked = np.array([len(part.pieces) > 1 for part in found.parts for _ in part.pieces])
    sureness = np.ones(len(pieces))
    if asked.any():
        contexts = [context_input(found, s) for s, a in zip(pieces, asked, strict=True) if a]
        sureness[asked] = judge.sureness(np.stack(contexts))
    return sureness


def test_judging_wholes_first_changes_only_the_parts_judged_whole(monkeypatch) -> None:
    """Touching numbers (parts too wide for one digit among them) and spaced ones: with no
    part sure enough to be read whole, the two calls judge exactly what one call did; with the
    shipped threshold, a part judged whole leaves its cuts out, and nothing else changes."""
    from pathlib import Path

    import digits.reading as reading
    from digits.preprocess import open_image
    from digits.segment import find_digits
    from digits.served import load_model
    from synthesis.numbers import numbers
    from training.data import mnist_digits

    judge = load_model(Path("model"), 1, True, True).judge
    made = numbers(mnist_digits("validation"), 6, True, 2) + numbers(
        mnist_digits("validation"), 6, False, 1
    )
    for _, _, data in made:
        found = find_digits(open_image(data, 10**8))
        pieces = found.candidates()
        everything = judged_in_one_call(found, pieces, judge)
        monkeypatch.setattr(reading, "WHOLE_SURE", 2.0)
        assert np.allclose(reading.judged(found, pieces, judge), everything, atol=1e-6)
        monkeypatch.setattr(reading, "WHOLE_SURE", 0.99)
        shipped = reading.judged(found, pieces, judge)
        differs = ~np.isclose(shipped, everything, atol=1e-6)
        assert (shipped[differs] == 0).all()  # only cuts of parts read whole
