"""The gap reader's data and thresholds: gaps labelled by the number's text, thresholds chosen
on validation gaps as the card says."""

from __future__ import annotations

import numpy as np

from digits.contract import MAX_PIXELS
from digits.preprocess import open_image
from digits.reading import pieces_to_read
from digits.segment import CONTEXT_SHAPE
from digits.separators import GAP_CLASSES
from digits.served import load_model
from synthesis.fonts import require
from synthesis.styles import on_paper
from synthesis.typed import typed_ink
from tests.harness import MODEL_DIR
from training.gaps import FALSE_MARKS, WRONG_MARKS, choose, gaps, labelled


def test_each_gap_is_labelled_with_what_the_text_has_there() -> None:
    """`12.5` typed: the judge chooses three pieces, and the gaps are labelled a point and
    nothing, left to right; a text the pieces do not match is left out."""
    model = load_model(MODEL_DIR)
    rng = np.random.default_rng(0)
    font = next(path for path in require("train") if "Sans-Regular" in path.name)
    image = open_image(on_paper(typed_ink("12.5", font, rng, size=160), rng), MAX_PIXELS)
    found, pieces, _ = pieces_to_read(image, model.judge, model.slash)
    made = labelled(found, pieces, "12.5", rng)
    assert [label for _, label, _ in made] == [0, GAP_CLASSES.index(".")]
    assert all(context.shape == CONTEXT_SHAPE and context.dtype == np.uint8 for context, *_ in made)
    assert made[1][2]  # the rules found this point standing free
    assert labelled(found, pieces, "1.25", rng) is not None  # the same digits: the same pieces
    assert labelled(found, pieces, "12.57", rng) is None  # four digits, three pieces


def test_written_numbers_give_gaps_of_every_kind() -> None:
    data = gaps(MODEL_DIR, "validation", 60, seed=4)
    assert data["matched"] >= 45  # of 60: most numbers are segmented one piece per digit
    assert data["x"].shape[1:] == CONTEXT_SHAPE and len(data["x"]) == len(data["y"])
    assert {0, 1, 2} <= set(data["y"].tolist())  # nothing, points and commas among them


def test_thresholds_hold_the_false_and_wrong_marks_down() -> None:
    """Scores where empty gaps tail into the marks' range: the threshold marks at most
    FALSE_MARKS of the empty gaps, and the sureness names marks with at most WRONG_MARKS wrong."""
    empty = np.tile([0.98, 0.005, 0.005, 0.005, 0.005], (5000, 1))
    empty[:40, 0], empty[:40, 1] = 0.3, 0.695  # a few empty gaps that look like points
    points = np.tile([0.01, 0.9, 0.08, 0.005, 0.005], (300, 1))
    points[:20, 1:3] = 0.45, 0.53  # points that look more like commas
    commas = points[:, [0, 2, 1, 3, 4]]
    probabilities = np.concatenate([empty, points, commas])
    labels = np.array([0] * 5000 + [1] * 300 + [2] * 300)
    chosen = choose(probabilities, labels)
    assert chosen["false_marks"] <= FALSE_MARKS < 40 / 5000 and chosen["found"] == 1.0
    assert chosen["sure"] == 0.54 and chosen["named_wrong"] <= WRONG_MARKS * 600
    assert chosen["named"] == round(560 / 600, 6)  # the doubtful: unread (refused), not wrong
