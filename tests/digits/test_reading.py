"""A number's text from its digits and the separators between them; the judge's, the slash
reader's and the gap reader's choices."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from digits.preprocess import open_image
from digits.reading import (
    Placed,
    asked_gaps,
    between_digits,
    gap_marks,
    number_text,
    pieces_to_read,
    slash_candidates,
    with_fused_marks,
    with_low_marks,
    with_slashes,
)
from digits.segment import Part, Reading, Segment
from digits.separators import UNREAD, Mark
from digits.served import GapReader, SlashReader, load_model
from synthesis.numbers import NUMBER_STYLES, compose_text, separated_text


@pytest.fixture(scope="module")
def shipped():
    return load_model(Path("model"), 1, True, True)


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


def test_a_slash_is_looked_for_only_between_digits() -> None:
    """A slash stands between two digits: neither the first piece nor the last is asked, nor a
    piece too wide or too short for a stroke across the band."""

    def piece(width: int, height: int) -> Segment:
        return Segment(np.zeros((1, 1), bool), (0, 0, width, height))

    found = Reading(parts=[], ink=np.zeros((1, 1)), scale=1.0, height=20.0)
    pieces = [piece(8, 20), piece(8, 20), piece(30, 20), piece(8, 10), piece(8, 20), piece(8, 20)]
    assert slash_candidates(found, pieces) == [1, 4]


def test_dates_and_fractions_are_read_with_their_slashes(shipped, sample_digits) -> None:
    """Pen-written dates and fractions of MNIST test digits, in every upload style: the slash
    reader (trained on training digits and validated on validation ones) finds their slashes,
    and takes none of the digits of plain numbers rich in 1s for one."""
    rng = np.random.default_rng(5)
    read = found = 0
    for k, template in enumerate(["dd/dd/dddd", "d/d", "dd/dd"] * 8):
        text = separated_text(rng, template)
        style = list(NUMBER_STYLES)[k % len(NUMBER_STYLES)]
        image = open_image(NUMBER_STYLES[style](compose_text(text, sample_digits, rng), rng), 10**8)
        number, pieces, _ = pieces_to_read(image, shipped.judge, shipped.slash)
        read += "".join(m.char for m in number.marks) == "/" * text.count("/")
        found += len(pieces) == sum(c.isdigit() for c in text)
    assert read >= 22 and found >= 22, (read, found)  # of 24
    taken = 0
    for k in range(24):
        text = "".join("1" if rng.random() < 0.5 else str(rng.integers(10)) for _ in range(5))
        style = list(NUMBER_STYLES)[k % len(NUMBER_STYLES)]
        image = open_image(NUMBER_STYLES[style](compose_text(text, sample_digits, rng), rng), 10**8)
        number, _, _ = pieces_to_read(image, shipped.judge, shipped.slash)
        taken += any(m.char == "/" for m in number.marks)
    assert taken == 0


class Sayer:
    """A gap network that says what it is told, gap by gap: the decision around it is tested."""

    def __init__(self, *answers: list[float]) -> None:
        self.answers, self.asked = np.array(answers, np.float32), 0

    def predict(self, contexts: np.ndarray) -> np.ndarray:
        self.asked += len(contexts)
        return self.answers[: len(contexts)]


def digit_pieces(*lefts: int) -> list[Segment]:
    pieces = []
    for x in lefts:
        mask = np.zeros((40, 200), bool)
        mask[5:35, x : x + 14] = True
        pieces.append(Segment(mask, (x, 5, 14, 30)))
    return pieces


def test_the_gaps_without_a_mark_the_rules_read_are_the_ones_asked() -> None:
    pieces = digit_pieces(10, 40, 70, 100, 130)
    point = Mark(".", (60, 30, 4, 4), 0.9)  # between the second piece and the third
    unread = Mark(UNREAD, (120, 28, 6, 6), 0.0)  # between the fourth and the fifth
    assert gap_marks(reading([point, unread]), pieces) == [[], [point], [], [unread]]
    assert asked_gaps(gap_marks(reading([point, unread]), pieces)) == [0, 2, 3]


def test_a_mark_fused_to_a_digit_is_named_where_the_gap_reader_is_sure_else_unread() -> None:
    """Of three unmarked gaps: one holds a point surely, one a mark that may be a point or a
    comma, one nothing. The point goes in the text, the doubtful mark is unread (the number is
    refused, not answered without it), the empty gap stays empty; the gap with a comma found by
    the rules is checked, asked in the same call, and its comma stands where the gap reader
    agrees."""
    pieces = digit_pieces(10, 40, 70, 100, 130)
    comma = Mark(",", (122, 30, 4, 8), 0.9)  # the rules found it: between pieces 3 and 4
    found = reading([comma])
    #            nothing  .     ,     :     /
    sure_point = [0.01, 0.97, 0.01, 0.005, 0.005]
    doubtful = [0.05, 0.5, 0.44, 0.005, 0.005]
    empty = [0.99, 0.005, 0.003, 0.001, 0.001]
    agreed = [0.01, 0.01, 0.97, 0.005, 0.005]
    sayer = Sayer(sure_point, doubtful, empty, agreed)
    gaps = GapReader(sayer, threshold=0.9, sure=0.95)
    read = with_fused_marks(found, pieces, gaps)
    assert sayer.asked == 4
    assert [m.char for m in read.marks] == [".", UNREAD, ","]
    assert read.marks[0].box == (24, 5, 16, 30) and read.marks[0].confidence == 0.97
    boxes = [[v * 2 for v in p.box] for p in pieces]  # in the upload (scale 2)
    text, _ = number_text(read, boxes, [1, 2, 3, 4, 5])
    assert text == f"1.2{UNREAD}34,5"
    assert with_fused_marks(found, pieces, None) is found  # no reader: the rules' marks alone


def test_the_gap_reader_names_what_the_rules_could_not_read() -> None:
    """A heavy comma the rules left unread: named by the gap reader where it is sure, in the
    unread mark's place and box; where it is not, the unread mark stands."""
    pieces = digit_pieces(10, 40, 70)
    unread = Mark(UNREAD, (57, 30, 8, 9), 0.0)  # between the second piece and the third
    found = reading([unread])
    #        nothing  .     ,     :     /
    comma = [0.01, 0.01, 0.97, 0.005, 0.005]
    empty = [0.99, 0.005, 0.003, 0.001, 0.001]
    read = with_fused_marks(found, pieces, GapReader(Sayer(empty, comma), 0.9, 0.95))
    assert [(m.char, m.box, m.confidence) for m in read.marks] == [(",", unread.box, 0.97)]
    doubtful = [0.05, 0.5, 0.44, 0.005, 0.005]
    read = with_fused_marks(found, pieces, GapReader(Sayer(empty, doubtful), 0.9, 0.95))
    assert read.marks == [unread]
    # two unread marks in one gap are no point (a point and a broken digit's speck), but may be
    # a colon's dots
    second = Mark(UNREAD, (57, 12, 8, 8), 0.0)
    two = reading([second, unread])
    point = [0.01, 0.97, 0.01, 0.005, 0.005]
    assert with_fused_marks(two, pieces, GapReader(Sayer(empty, point), 0.9, 0.95)).marks == [
        second,
        unread,
    ]
    colon = [0.01, 0.005, 0.005, 0.975, 0.005]
    read = with_fused_marks(two, pieces, GapReader(Sayer(empty, colon), 0.9, 0.95))
    assert [(m.char, m.box) for m in read.marks] == [(":", (57, 12, 8, 27))]


def test_a_colon_is_named_once_but_not_around_a_piece_cut_from_its_dots() -> None:
    """A colon the gap reader finds in one gap is named; found in two neighbouring gaps, it is
    the colon's dots cut as a digit between them (`47:2:47`): both unread; beside a colon the
    rules found, it is a false one (`42:1:3`): unread."""
    colon = [0.01, 0.005, 0.005, 0.975, 0.005]
    empty = [0.99, 0.005, 0.003, 0.001, 0.001]
    one = with_fused_marks(
        reading([]), digit_pieces(10, 40, 70, 100), GapReader(Sayer(empty, colon, empty), 0.9, 0.95)
    )
    assert [m.char for m in one.marks] == [":"]
    pieces = digit_pieces(10, 40, 70, 100, 130)
    two = with_fused_marks(
        reading([]), pieces, GapReader(Sayer(empty, colon, colon, empty), 0.9, 0.95)
    )
    assert [m.char for m in two.marks] == [UNREAD, UNREAD]
    beside = Mark(":", (55, 10, 4, 20), 0.9)  # the rules' colon, between the second and third
    three = with_fused_marks(
        reading([beside]), pieces, GapReader(Sayer(empty, colon, empty, colon), 0.9, 0.95)
    )
    assert [m.char for m in three.marks] == [":", UNREAD]


def test_a_doubtful_slash_is_unread_cut_or_whole() -> None:
    """Five pieces: a digit, a whole stroke, two pieces cut off one stroke, a digit. The slash
    reader scores the middle three. Where it doubts the whole stroke and the first cut piece
    (from SLASH_DOUBT up to its threshold) both are unread, so the number is refused rather
    than read with a 1 for a slash; below SLASH_DOUBT a piece stays a digit; above the
    threshold it is a slash, cut or not."""
    first, whole, cut, rest, last = digit_pieces(10, 40, 70, 84, 130)
    joined = Segment(cut.mask | rest.mask, (70, 5, 28, 30))
    parts = [
        Part([0, 14], {(0, 1): first}),
        Part([0, 14], {(0, 1): whole}),
        Part([0, 14, 28], {(0, 1): cut, (1, 2): rest, (0, 2): joined}),
        Part([0, 14], {(0, 1): last}),
    ]
    found = Reading(parts=parts, ink=np.zeros((40, 200)), scale=1.0, height=30.0)
    pieces = [first, whole, cut, rest, last]
    doubt, low = [0.5, 0.5], [0.9, 0.1]
    sayer = Sayer(doubt, doubt, low)
    read, digits = with_slashes(found, pieces, SlashReader(sayer, threshold=0.8))
    assert sayer.asked == 3
    assert [(m.char, m.box) for m in read.marks] == [(UNREAD, whole.box), (UNREAD, cut.box)]
    assert digits == [first, rest, last]
    read, digits = with_slashes(found, pieces, SlashReader(Sayer(low, doubt, low), 0.8))
    assert [(m.char, m.box) for m in read.marks] == [(UNREAD, cut.box)]
    assert digits == [first, whole, rest, last]  # the whole stroke it does not doubt: a 1
    sure = [0.05, 0.95]
    read, digits = with_slashes(found, pieces, SlashReader(Sayer(sure, sure, low), 0.8))
    assert [(m.char, m.box) for m in read.marks] == [("/", whole.box), ("/", cut.box)]
    assert digits == [first, rest, last]
    assert len(read.parts) == 3  # the part that was only the slash went with it


def test_a_slash_cut_off_a_stroke_stands_where_the_gap_reader_agrees() -> None:
    """A digit, a piece cut off a stroke that the slash reader takes for "/", the rest of that
    stroke, a digit. The gap reader, asked once about the gap between the cut slash's
    neighbours, decides: a slash where it finds one likeliest, the colon it names sure (a heavy
    face's colon cut out with a sliver of its digit), unread where it finds no mark or is
    unsure. A whole stroke the slash reader takes for "/" is not asked about."""
    first, cut, rest, last = digit_pieces(10, 40, 54, 100)
    joined = Segment(cut.mask | rest.mask, (40, 5, 28, 30))
    parts = [
        Part([0, 14], {(0, 1): first}),
        Part([0, 14, 28], {(0, 1): cut, (1, 2): rest, (0, 2): joined}),
        Part([0, 14], {(0, 1): last}),
    ]
    found = Reading(parts=parts, ink=np.zeros((40, 200)), scale=1.0, height=30.0)
    pieces = [first, cut, rest, last]
    slash = SlashReader(Sayer([0.02, 0.98], [0.9, 0.1]), threshold=0.8)
    #        nothing  .     ,     :     /
    says = {
        "/": [0.01, 0.01, 0.01, 0.01, 0.96],
        ":": [0.01, 0.01, 0.01, 0.96, 0.01],
        UNREAD: [0.97, 0.01, 0.01, 0.005, 0.005],
    }
    confidence = {"/": 0.98, ":": 0.96, UNREAD: 0.03}  # unread: the chance of a mark there
    for char, answer in says.items():
        gaps = Sayer(answer)
        read, digits = with_slashes(found, pieces, slash, GapReader(gaps, 0.9, 0.95))
        assert gaps.asked == 1
        assert [(m.char, m.box, m.confidence) for m in read.marks] == [
            (char, cut.box, confidence[char])
        ]
        assert digits == [first, rest, last]
    unsure = [0.01, 0.45, 0.5, 0.02, 0.02]
    read, _ = with_slashes(found, pieces, slash, GapReader(Sayer(unsure), 0.9, 0.95))
    assert [m.char for m in read.marks] == [UNREAD]
    whole = [first, joined, last]
    found_whole = replace(found, parts=[parts[0], Part([0, 28], {(0, 1): joined}), parts[2]])
    gaps = Sayer(says[":"])
    read, digits = with_slashes(found_whole, whole, slash, GapReader(gaps, 0.9, 0.95))
    assert gaps.asked == 0 and [m.char for m in read.marks] == ["/"]


def test_the_gap_reader_overrules_a_point_the_rules_read_only_where_it_is_sure() -> None:
    """The rules read a point between two digits: where the gap reader reads a colon there
    OVERRULE sure (a heavy colon's upper dot run into its digit), the colon stands in the
    point's place; where it finds no mark that sure (a speck beside a digit), the mark is unread,
    never dropped; where it agrees, or reads otherwise less sure, the point stands."""
    from digits.reading import OVERRULE

    pieces = digit_pieces(10, 40, 70)
    point = Mark(".", (60, 30, 4, 4), 0.9)  # between the second piece and the third
    found = reading([point])
    empty = [0.99, 0.005, 0.003, 0.001, 0.001]  # the first gap, asked: nothing there
    #              nothing  .     ,     :     /
    colon = [0.005, 0.01, 0.005, 0.975, 0.005]
    nothing = [0.97, 0.01, 0.01, 0.005, 0.005]
    below = [0.1, 0.02, 0.02, OVERRULE - 0.05, 0.01]
    agreed = [0.01, 0.97, 0.01, 0.005, 0.005]
    cases = {":": colon, UNREAD: nothing, ".": below}
    for char, says in cases.items():
        read = with_fused_marks(found, pieces, GapReader(Sayer(empty, says), 0.9, 0.95))
        assert [(m.char, m.box) for m in read.marks] == [(char, point.box)]
    assert with_fused_marks(found, pieces, GapReader(Sayer(empty, agreed), 0.9, 0.95)) is found


def test_a_piece_hanging_below_the_digits_is_an_unread_mark_not_a_digit() -> None:
    """A big comma (its head and tail read as a 9) stands with its top over half a digit below
    the others' and hangs below their baseline: it is an unread mark, no digit, so the number is
    refused rather than read with a 9 for it; a digit written a little low stays a digit, and a
    number of two digits has no line to judge by."""
    first, second, third, fourth = digit_pieces(10, 40, 70, 100)  # rows 5-35
    comma = Segment(np.zeros((40, 200), bool), (56, 22, 8, 17))  # rows 22-39
    parts = [Part([0, 14], {(0, 1): piece}) for piece in (first, second, comma, third, fourth)]
    found = Reading(parts=parts, ink=np.zeros((40, 200)), scale=1.0, height=30.0)
    pieces = [first, second, comma, third, fourth]
    read, digits = with_low_marks(found, pieces)
    assert [(m.char, m.box) for m in read.marks] == [(UNREAD, comma.box)]
    assert digits == [first, second, third, fourth] and len(read.parts) == 4
    low = Segment(np.zeros((40, 200), bool), (56, 12, 14, 30))  # a digit 7 rows low
    written = [first, second, low, third]
    assert with_low_marks(found, written) == (found, written)
    assert with_low_marks(found, [first, comma]) == (found, [first, comma])


def test_a_separator_stands_between_digits_or_is_a_leading_minus() -> None:
    def placed(text: str) -> list[bool]:
        marks = [Placed(c, i, [0, 0, 1, 1], 1.0) for i, c in enumerate(text) if c in ".,:/-"]
        return [between_digits(text, mark) for mark in marks]

    assert placed("1,000.50") == [True, True]
    assert placed("-5") == [True] and placed("01/12/2026") == [True, True]
    assert placed("1 000, 5") == [True]  # spaces aside
    assert placed("5-") == [False] and placed(".5") == [False] and placed("-.5") == [False, False]
    assert placed("26/80//6560") == [True, False, False]
    assert placed("5-/9") == [False, False]
