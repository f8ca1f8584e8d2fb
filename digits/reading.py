"""Reading a number: which pieces of its strokes are its digits, and the text they make.

`digits.segment` finds the number's parts and, for a part that may hold several touching
digits, the candidate pieces it could be cut into. Each part is read as the path of pieces
whose product of sureness is highest (`Part.best`). The sureness is the piece judge's where the
model has one (`Judge`: a small network that sees the piece among its neighbours and says
whether it is one whole digit), and only the chosen pieces are then classified
(`pieces_to_read`). Without a judge, every candidate piece is classified in one model call and
the sureness is the classifier's probability times the detector's digit score times how
plausible the piece's width is for its digit (`chosen_pieces`). Of the chosen pieces, those
the slash reader takes for "/" are marks, not digits (`with_slashes`: a slash is a digit's
height and, alone, a slanted 1's shape, which no rule on its box tells apart; one cut off a
stroke stands where the gap reader agrees), and a piece hanging below the others is a mark
(`with_low_marks`: a big comma reads as a 9). Between two chosen digits where the separators'
rules read no mark, the gap reader looks for one fused to a digit or too big for the rules'
shapes (`with_fused_marks`: heavy print runs a point into its neighbour, and its commas are
blots); where they read a point, a comma or a colon, it checks them.

The digits and the separators between them (`digits.separators`) then make one text, left to
right, with a space where the gap between two groups is one (`number_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from digits.errors import ImageRejected
from digits.segment import (
    Part,
    Reading,
    Segment,
    aspect_fit,
    context_input,
    find_digits,
    gap_box,
    gap_input,
    model_input,
)
from digits.separators import (
    GAP_CLASSES,
    GAP_NAMED,
    UNREAD,
    Mark,
    enclosing,
    on_a_baseline,
    spaces,
)
from digits.served import GapReader, Judge, SlashReader

WHOLE_SURE = 0.99  # chosen on validation numbers (bench/results.md, "Whole numbers")
SLASH_WIDEST = 1.1  # a stroke that may be a slash is at most this many digit heights wide ...
SLASH_SHORTEST = 0.7  # ... and at least this many tall
# a piece that the slash reader scores from this up to its threshold is unread, cut off a stroke
# (a slash typed against a digit) or whole: chosen on validation numbers (bench/results.md)
SLASH_DOUBT = 0.3
LOW = 0.5  # a piece this many digit heights below the others' tops, hanging lower, is a mark
# the gap reader's reading of a gap overrules the rules' point, comma or colon there from this
# sureness: chosen on validation numbers (bench/results.md)
OVERRULE = 0.9
DOTS = {".": 1, ",": 1, ":": 2}  # the strokes of each mark the gap reader may name


@dataclass(frozen=True)
class Placed:
    """A separator in a number's text: its character, where it stands in the text, its box in
    the upload's pixels (None for a space) and how well it fits its shape."""

    char: str
    position: int
    box: list[int] | None
    confidence: float


def pieces_to_read(
    image: Image.Image,
    judge: Judge | None,
    slash: SlashReader | None = None,
    gaps: GapReader | None = None,
) -> tuple[Reading, list[Segment], np.ndarray]:
    """The number's parts, the pieces the classifier reads and their model inputs: with a judge,
    the pieces it chose (one per digit); without, every candidate, to choose among by the
    classifier's answers (`chosen_pieces`). With a judge and a slash reader, the chosen pieces
    the reader takes for "/" are marks, not digits; with a gap reader, a mark fused to a digit
    is found between the chosen pieces."""
    found = find_digits(image)
    if judge is None:
        pieces = found.candidates()
    else:
        found, pieces = with_slashes(found, judge_chose(found, judge), slash, gaps)
        found, pieces = with_low_marks(found, pieces)
        found = with_fused_marks(found, pieces, gaps)
    if not pieces:  # only slivers between cuts
        raise ImageRejected(422, "no_digit_found", "No digit found: only specks of ink.")
    return found, pieces, np.stack([model_input(found, s) for s in pieces])


def judge_chose(found: Reading, judge: Judge) -> list[Segment]:
    """The pieces the judge is surest are the number's digits, one per digit, left to right."""
    pieces = found.candidates()
    return [seg for _, seg in best_path(found, pieces, judged(found, pieces, judge))]


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
    wholes = [whole_piece(part) for part in cuttable]
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


def slash_candidates(found: Reading, pieces: list[Segment]) -> list[int]:
    """Which of the pieces chosen to be a number's digits (left to right) may be a slash: as
    narrow and as tall as a slanted stroke across the digits' band (an italic's is wide), with
    a digit on each side."""
    return [
        i
        for i in range(1, len(pieces) - 1)
        if pieces[i].box[2] <= SLASH_WIDEST * found.height
        and pieces[i].box[3] >= SLASH_SHORTEST * found.height
    ]


def gap_marks(found: Reading, pieces: list[Segment]) -> list[list[Mark]]:
    """The marks found in each gap (k: between pieces k and k + 1, left to right), as
    `number_text` orders digits and marks."""
    spans = [(seg.left, seg.right) for seg in pieces]
    return [
        [m for m in found.marks if spans[k] < (m.left, m.left + m.box[2]) < spans[k + 1]]
        for k in range(len(pieces) - 1)
    ]


def asked_gaps(in_gaps: list[list[Mark]]) -> list[int]:
    """Of the marks in each gap (`gap_marks`), the gaps where the gap reader looks for a mark:
    where the rules found none, or only marks they could not read (a heavy face's comma is too
    big for their shapes)."""
    return [k for k, marks in enumerate(in_gaps) if all(mark.char == UNREAD for mark in marks)]


def with_fused_marks(found: Reading, pieces: list[Segment], gaps: GapReader | None) -> Reading:
    """The reading with a mark in each gap between two digits where the rules found none, or
    only unread ones, and the gap reader finds one (in one call over those gaps and the ones it
    checks): a point, a comma or a colon where it is `sure` which (in place of the rules' unread
    marks there, where they are no more than its dots: two unread marks are no point), else
    UNREAD (the number is refused, never answered without it). Where the rules read a point, a
    comma or a colon and the gap reader, OVERRULE sure, reads otherwise, its reading stands
    (`overruled`)."""
    in_gaps = gap_marks(found, pieces)
    asked = asked_gaps(in_gaps) if gaps is not None else []
    checked = checked_gaps(in_gaps) if gaps is not None else []
    if not asked and not checked:
        return found
    contexts = [gap_input(found, pieces[k], pieces[k + 1]) for k in asked + checked]
    said = dict(zip(asked + checked, gaps.probabilities(np.stack(contexts)).tolist(), strict=True))
    read: dict[int, tuple[str, float]] = {}
    for k in asked:
        p = said[k]
        chance = 1.0 - p[0]
        if chance < gaps.threshold:
            continue
        kind = max(range(1, len(p)), key=p.__getitem__)  # the likeliest mark
        named = GAP_CLASSES[kind] in GAP_NAMED and p[kind] >= gaps.sure
        read[k] = (GAP_CLASSES[kind], p[kind]) if named else (UNREAD, chance)
    marks, replaced = [], set()
    for k, (char, sure) in without_doubled_colons(read, in_gaps).items():
        if in_gaps[k] and (char == UNREAD or len(in_gaps[k]) > DOTS[char]):
            continue  # the rules' unread marks stand: more of them than the mark has dots
        replaced.update(id(mark) for mark in in_gaps[k])
        if in_gaps[k]:
            box = enclosing([mark.box for mark in in_gaps[k]])
        else:
            box = gap_box(pieces[k], pieces[k + 1])
        marks.append(Mark(char, box, round(sure, 3)))
    for k in checked:
        [mark] = in_gaps[k]
        overruling = overruled(mark, said[k], gaps)
        if overruling is not None:
            replaced.add(id(mark))
            marks.append(overruling)
    if not marks:
        return found
    kept = [mark for mark in found.marks if id(mark) not in replaced]
    return replace(found, marks=sorted([*kept, *marks], key=lambda mark: mark.left))


def checked_gaps(in_gaps: list[list[Mark]]) -> list[int]:
    """Of the marks in each gap (`gap_marks`), the gaps where the rules read one point, comma or
    colon, which the gap reader checks (a speck beside a digit read as a point, a heavy face's
    comma as a point, a colon whose upper dot runs into its digit)."""
    return [k for k, marks in enumerate(in_gaps) if len(marks) == 1 and marks[0].char in GAP_NAMED]


def overruled(mark: Mark, p: list[float], gaps: GapReader) -> Mark | None:
    """The rules' point, comma or colon as the gap reader reads its gap (probabilities `p`),
    where it reads something else at least OVERRULE sure (`gap_mark`: unread where it finds no
    mark or a slash, a mark is never dropped); None where it agrees or is less sure."""
    kind = likeliest(p)
    if GAP_CLASSES[kind] == mark.char or p[kind] < OVERRULE:
        return None
    return gap_mark(p, mark.box, gaps)


def likeliest(p: list[float]) -> int:
    return max(range(len(p)), key=p.__getitem__)


def gap_mark(p: list[float], box: tuple[int, int, int, int], gaps: GapReader) -> Mark:
    """The gap reader's likeliest reading of a gap as a mark in `box`: the point, comma or colon
    it names `sure`, with its probability; else unread, with the chance that a mark stands there
    (as `with_fused_marks` gives its unread marks)."""
    kind = likeliest(p)
    if kind > 0 and GAP_CLASSES[kind] in GAP_NAMED and p[kind] >= gaps.sure:
        return Mark(GAP_CLASSES[kind], box, round(p[kind], 3))
    return Mark(UNREAD, box, round(1.0 - p[0], 3))


def without_doubled_colons(
    read: dict[int, tuple[str, float]], in_gaps: list[list[Mark]]
) -> dict[int, tuple[str, float]]:
    """The gap reader's marks (by gap) with a colon beside another colon (its own or the
    rules') unread: a colon's dots cut as a digit between two colons (`47:2:47`), or a false one
    beside the rules' (`42:1:3`)."""
    colons = {k for k, (char, _) in read.items() if char == ":"}
    colons |= {k for k, marks in enumerate(in_gaps) if any(m.char == ":" for m in marks)}
    return {
        k: (UNREAD, sure) if char == ":" and colons & {k - 1, k + 1} else (char, sure)
        for k, (char, sure) in read.items()
    }


def whole_piece(part: Part) -> Segment | None:
    """The part read as one piece, uncut; None where it is too wide for one digit."""
    return part.pieces.get((0, len(part.bounds) - 1))


def with_slashes(
    found: Reading,
    pieces: list[Segment],
    slash: SlashReader | None,
    gaps: GapReader | None = None,
) -> tuple[Reading, list[Segment]]:
    """The reading and its digits with the pieces the slash reader takes for "/" (at its
    threshold, in one call over every candidate) made marks: a part that was only the slash
    goes with it. A piece that it scores from SLASH_DOUBT is an unread mark: a slash typed
    against a digit is cut out of their stroke, and the reader, which learned slashes that
    stand free, doubts it; a hand's slash drawn short and upright it doubts whole (a 1 it
    seldom doubts: the number is refused, not read with a 1 for its slash). A slash cut off a
    stroke stands where the gap reader agrees (`seconded`): in heavy print a point, a comma or
    a colon fused to its digit is cut out with a sliver of the digit that looks like a slash
    to the slash reader alone."""
    candidates = slash_candidates(found, pieces) if slash is not None else []
    if not candidates:
        return found, pieces
    contexts = np.stack([context_input(found, pieces[i]) for i in candidates])
    likely = slash.probabilities(contexts)
    wholes = {id(whole_piece(part)) for part in found.parts}
    slashes, cut = {}, []
    for i, p in zip(candidates, likely.tolist(), strict=True):
        if p >= slash.threshold:
            slashes[id(pieces[i])] = Mark("/", pieces[i].box, round(p, 3))
            if id(pieces[i]) not in wholes:
                cut.append(i)
        elif p >= SLASH_DOUBT:
            slashes[id(pieces[i])] = Mark(UNREAD, pieces[i].box, round(p, 3))
    if not slashes:
        return found, pieces
    if cut and gaps is not None:
        slashes.update(seconded(found, pieces, cut, gaps))
    return as_marks(found, pieces, slashes)


def as_marks(
    found: Reading, pieces: list[Segment], marks: dict[int, Mark]
) -> tuple[Reading, list[Segment]]:
    """The reading and its digits with some pieces made marks (`marks`, by the piece's id): a
    part that was only that piece goes with it."""
    parts = [part for part in found.parts if id(whole_piece(part)) not in marks]
    placed = sorted([*found.marks, *marks.values()], key=lambda mark: mark.left)
    return replace(found, parts=parts, marks=placed), [s for s in pieces if id(s) not in marks]


def with_low_marks(found: Reading, pieces: list[Segment]) -> tuple[Reading, list[Segment]]:
    """The reading and its digits (three or more) with the pieces that hang below the others
    made unread marks: a piece whose top is over LOW digit heights below theirs (the median)
    and whose bottom is below their baseline is a mark, no digit written so low (a big comma,
    its head and tail, reads as a 9)."""
    if len(pieces) < 3:
        return found, pieces
    height = float(np.median([s.box[3] for s in pieces]))
    top = float(np.median([s.box[1] for s in pieces]))
    bottom = float(np.median([s.box[1] + s.box[3] for s in pieces]))
    low = {
        id(s): Mark(UNREAD, s.box, 0.0)
        for s in pieces
        if s.box[1] - top > LOW * height and s.box[1] + s.box[3] > bottom
    }
    return as_marks(found, pieces, low) if low else (found, pieces)


def seconded(
    found: Reading, pieces: list[Segment], cut: list[int], gaps: GapReader
) -> dict[int, Mark]:
    """The slashes cut off a stroke (pieces `cut`) that the gap reader, reading the gap between
    each one's neighbours (in one call), does not find likeliest a slash: as it reads the gap
    (`gap_mark`; chosen on validation numbers: bench/results.md)."""
    contexts = np.stack([gap_input(found, pieces[i - 1], pieces[i + 1]) for i in cut])
    return {
        id(pieces[i]): gap_mark(p, pieces[i].box, gaps)
        for i, p in zip(cut, gaps.probabilities(contexts).tolist(), strict=True)
        if GAP_CLASSES[likeliest(p)] != "/"
    }


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
    marks = frozenset(i for i, item in enumerate(items) if item[3] is not None)
    height = found.height * found.scale
    typeset = on_a_baseline(boxes, height)
    after = set(spaces([item[:2] for item in items], height, marks, typeset))
    text, placed = "", []
    for index, (_, _, char, mark) in enumerate(items):
        if mark is not None:
            placed.append(Placed(char, len(text), *mark))
        text += char
        if index in after:
            placed.append(Placed(" ", len(text), None, 1.0))
            text += " "
    return text, placed


def between_digits(text: str, mark: Placed) -> bool:
    """Whether a separator in a number's text has a digit on each side (spaces aside), or is a
    minus with a digit after it at the start."""
    before = text[: mark.position].replace(" ", "")
    after = text[mark.position + 1 :].replace(" ", "")
    if not after[:1].isdigit():
        return False
    return before[-1:].isdigit() or (mark.char == "-" and not before)


def astray(text: str, marks: list[Placed]) -> list[Placed]:
    """The separators of a number's text that stand where no number has one: beside another, or
    at either end but a minus at its start (a speck or a digit's fragment taken for a mark)."""
    return [mark for mark in marks if mark.char != " " and not between_digits(text, mark)]
