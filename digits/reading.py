"""Reading a number: which pieces of its strokes are its digits, and the text they make.

`digits.segment` finds the number's parts and, for a part that may hold several touching
digits, the candidate pieces it could be cut into. Each part is read as the path of pieces
whose product of sureness is highest (`Part.best`). The sureness is the piece judge's where the
model has one (`Judge`: a small network that sees the piece among its neighbours and says
whether it is one whole digit), and only the chosen pieces are then classified
(`pieces_to_read`). Without a judge, every candidate piece is classified in one model call and
the sureness is the classifier's probability times the detector's digit score times how
plausible the piece's width is for its digit (`chosen_pieces`).

The digits and the separators between them (`digits.separators`) then make one text, left to
right, with a space where the gap between two groups is one (`number_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.segment import Reading, Segment, aspect_fit, context_input, find_digits, model_input
from digits.separators import spaces
from digits.served import Judge

WHOLE_SURE = 0.99  # chosen on validation numbers (bench/results.md, "Whole numbers")


@dataclass(frozen=True)
class Placed:
    """A separator in a number's text: its character, where it stands in the text, its box in
    the upload's pixels (None for a space) and how well it fits its shape."""

    char: str
    position: int
    box: list[int] | None
    confidence: float


def pieces_to_read(
    image: Image.Image, judge: Judge | None
) -> tuple[Reading, list[Segment], np.ndarray]:
    """The number's parts, the pieces the classifier reads and their model inputs: with a judge,
    the pieces it chose (one per digit); without, every candidate, to choose among by the
    classifier's answers (`chosen_pieces`)."""
    found = find_digits(image)
    pieces = found.candidates()
    if judge is not None:
        pieces = [seg for _, seg in best_path(found, pieces, judged(found, pieces, judge))]
    return found, pieces, np.stack([model_input(found, s) for s in pieces])


def judged(found: Reading, pieces: list[Segment], judge: Judge) -> np.ndarray:
    """The judge's sureness that each piece (`found.candidates()`) is one whole digit: 1 for a
    part that can only be read whole. A part that could be cut is judged whole first, and only
    where the judge is not WHOLE_SURE of that are its cut pieces judged (a second call); where
    it is, they are left out (sureness 0): most digits are read whole, and judging a part's
    every cut costs the judge ten times the contexts."""
    index = {id(s): i for i, s in enumerate(pieces)}
    sureness = np.ones(len(pieces))
    cuttable = [part for part in found.parts if len(part.pieces) > 1]
    # a part too wide to be one digit has no whole piece: all its pieces are judged
    wholes = [part.pieces.get((0, len(part.bounds) - 1)) for part in cuttable]
    asked = [whole for whole in wholes if whole is not None]
    if asked:
        contexts = np.stack([context_input(found, whole) for whole in asked])
        sureness[[index[id(whole)] for whole in asked]] = judge.sureness(contexts)
    rest = []
    for part, whole in zip(cuttable, wholes, strict=True):
        cuts = [index[id(s)] for s in part.pieces.values() if s is not whole]
        if whole is not None and sureness[index[id(whole)]] >= WHOLE_SURE:
            sureness[cuts] = 0.0
        else:
            rest += cuts
    if rest:
        sureness[rest] = judge.sureness(np.stack([context_input(found, pieces[i]) for i in rest]))
    return sureness
    wholes = [part.pieces[(0, len(part.bounds) - 1)] for part in cuttable]
    whole_sure = judge.sureness(np.stack([context_input(found, s) for s in wholes]))
    rest = []
    for part, whole, sure in zip(cuttable, wholes, whole_sure, strict=True):
        cuts = [index[id(s)] for s in part.pieces.values() if s is not whole]
        sureness[index[id(whole)]] = sure
        if sure >= WHOLE_SURE:
            sureness[cuts] = 0.0
        else:
            rest += cuts
    if rest:
        sureness[rest] = judge.sureness(np.stack([context_input(found, pieces[i]) for i in rest]))
    return sureness


def best_path(
    found: Reading, pieces: list[Segment], sureness: np.ndarray
) -> list[tuple[int, Segment]]:
    """Left to right, each part read the surest way: (index into `pieces`, segment)."""
    index = {id(s): i for i, s in enumerate(pieces)}
    chosen = []
    for part in found.parts:
        best = part.best(lambda s: float(sureness[index[id(s)]]))
        chosen += [(index[id(s)], s) for s in best]
    return chosen


def chosen_pieces(
    found: Reading,
    pieces: list[Segment],
    probabilities: np.ndarray,
    scores: np.ndarray | None,
    judge: Judge | None,
) -> list[tuple[int, Segment]]:
    """The pieces that are the number's digits, given the classifier's answers to every piece
    read: those the judge chose, or without one the surest path by the answers themselves."""
    if judge is not None:
        return list(enumerate(pieces))
    sureness = probabilities.max(axis=1) * (1.0 if scores is None else scores)
    sureness *= [
        aspect_fit(s, int(d)) for s, d in zip(pieces, probabilities.argmax(1), strict=True)
    ]
    return best_path(found, pieces, sureness)


def number_text(
    found: Reading, boxes: list[list[int]], digits: list[int]
) -> tuple[str, list[Placed]]:
    """The digits (their boxes in the upload's pixels) and the separators found between them as
    one text, left to right, a space where a gap between two groups is one."""
    items = [(box[0], box[0] + box[2], str(d), None) for box, d in zip(boxes, digits, strict=True)]
    for mark in found.marks:
        box = [round(v * found.scale) for v in mark.box]
        items.append((box[0], box[0] + box[2], mark.char, (box, mark.confidence)))
    items.sort(key=lambda item: item[:2])
    after = set(spaces([item[:2] for item in items], found.height * found.scale))
    text, placed = "", []
    for index, (_, _, char, mark) in enumerate(items):
        if mark is not None:
            placed.append(Placed(char, len(text), *mark))
        text += char
        if index in after:
            placed.append(Placed(" ", len(text), None, 1.0))
            text += " "
    return text, placed
