"""The data plane: the one path from prepared images to answers, whichever protocol asked.

`/predict`, `/predict/batch`, `/read`, `/v2` and the page each parse their request into a
version lease (`app.api.deps`) and prepared images (`app.preparing`), call `predict` or
`read` here, and encode the answers in their own shape (`app.answers`,
`app.inference_protocol`). Here, once for every protocol, the model is called in batches shared
across requests, each answer is judged a digit or not by the version's own rule, counted, given
its id, and captured where the sample takes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from starlette.concurrency import run_in_threadpool

from app.feedback.capture import Capture
from app.feedback.store import new_id
from app.telemetry import Telemetry
from app.versions import Lease
from digits.contract import NOT_A_DIGIT
from digits.errors import ImageRejected
from digits.reading import Placed, astray, chosen_pieces, number_text, pieces_to_read
from digits.screening import split
from digits.segment import MAX_DIGITS, Reading, Segment, upload_box
from digits.separators import UNREAD, crowded

SURE = 0.9  # a number sent as one digit is named only where each of its digits is read this sure
# /read refuses a number with a digit read less sure than this: chosen on validation numbers (MNIST
# digits, other hands, typed) as the highest threshold where each step up still refuses one wrong
# text for every two right ones it loses (a wrong text costs more than a refusal; bench/results.md)
UNSURE = 0.8


@dataclass
class Answers:
    """The model's answers to k images: which version gave them, per image the probabilities,
    the detector's digit score and whether that makes it a digit (None without a detector),
    and each answer's id."""

    version: str
    probabilities: np.ndarray  # (k, 10) float32
    digit_scores: np.ndarray | None  # (k,)
    is_digit: list[bool | None]
    ids: list[str] = field(default_factory=list)

    @property
    def digits(self) -> list[int]:
        return self.probabilities.argmax(axis=1).tolist()

    def labels(self) -> list[str]:
        """What each answer said, as a correction's label says it."""
        return [
            NOT_A_DIGIT if is_digit is False else str(digit)
            for digit, is_digit in zip(self.digits, self.is_digit, strict=True)
        ]


@dataclass
class NumberAnswer:
    """A number read from one image: its digits (the pieces chosen, their model inputs and the
    answers to them, left to right) and the text they make with the separators between them."""

    id: str
    found: Reading
    pieces: list[Segment]
    boxes: list[list[int]]  # each digit's box in the upload's pixels
    inputs: np.ndarray  # (k, 28, 28)
    answers: Answers
    text: str
    separators: list[Placed]

    @property
    def strangers(self) -> list[int]:
        """The digits (counted from 1) that do not look like one."""
        return [n for n, is_digit in enumerate(self.answers.is_digit, 1) if is_digit is False]

    @property
    def unread(self) -> list[Placed]:
        """The marks that are neither a digit nor a separator it can tell (`UNREAD` in text)."""
        return [s for s in self.separators if s.char == UNREAD]

    @property
    def astray(self) -> list[Placed]:
        """The separators that stand where no number has one: beside another, or at either end
        but a minus at its start (`26/80//6560`, `905-`, `,59`: a speck or a digit's fragment
        taken for a mark, never a number people write)."""
        return astray(self.text, self.separators)

    @property
    def crowded(self) -> list[int]:
        """The digits (counted from 1) set closer to the one before than type sets two digits
        (`digits.separators.crowded`): the strokes of a letter, not digits."""
        return crowded(self.boxes, self.found.height * self.found.scale)

    @property
    def unsure(self) -> list[int]:
        """The digits (counted from 1) read less sure than UNSURE: refusing such numbers
        catches a wrong text for every two right ones it loses."""
        confidences = self.answers.probabilities.max(axis=1)
        return [n for n, confidence in enumerate(confidences.tolist(), 1) if confidence < UNSURE]

    @property
    def refused(self) -> bool:
        """Whether the number is refused unless the client asked `always_guess`."""
        return bool(self.strangers or self.unread or self.astray or self.crowded or self.unsure)


@dataclass
class DataPlane:
    telemetry: Telemetry
    capture: Capture

    async def predict(
        self, lease: Lease, images: np.ndarray, endpoint: str = "predict", keep: bool = False
    ) -> Answers:
        """The answers to (k, 28, 28) prepared images; captured where the sample takes them, or
        `keep` (an image sent to be corrected)."""
        answers = self.answer(lease, await lease.submit(images))
        answers.ids = [new_id() for _ in answers.is_digit]
        confidences = answers.probabilities.max(axis=1).tolist()
        self.capture.keep(
            endpoint,
            answers.version,
            answers.ids,
            answers.labels(),
            confidences,
            images[:, np.newaxis],
            always=keep,
        )
        return answers

    async def read(
        self, lease: Lease, image: Image.Image, always_guess: bool = False, keep: bool = False
    ) -> NumberAnswer:
        """The number in one opened image: its pieces found in a worker thread, every piece to
        read in one model call. Captured as `predict` captures, as the text (or `not_a_digit`
        where it is refused: a digit does not look like one or is unsure, a mark is unread or
        astray, and the client did not ask `always_guess`)."""
        model = lease.model
        found, pieces, inputs = await run_in_threadpool(
            pieces_to_read, image, model.judge, model.slash, model.gaps
        )
        probabilities, scores = split(await lease.submit(inputs))
        chosen = [i for i, _ in chosen_pieces(found, pieces, probabilities, scores, model.judge)]
        outputs = probabilities[chosen]
        if scores is not None:
            outputs = np.concatenate([outputs, scores[chosen, np.newaxis]], axis=1)
        answers = self.answer(lease, outputs)
        number = numbered(found, [pieces[i] for i in chosen], inputs[chosen], answers)
        refused = number.refused and not always_guess
        self.capture.keep(
            "read",
            lease.version,
            [number.id],
            [NOT_A_DIGIT if refused else number.text],
            [float(np.prod(number.answers.probabilities.max(axis=1)))],
            [number.inputs],
            always=keep,
        )
        return number

    async def number_in(self, lease: Lease, image: Image.Image) -> NumberAnswer | None:
        """For an image refused as not one digit: the number it holds, as `read` reads it, where
        it is two or more separate digits (each stroke group read whole: strokes cut apart are
        more often a letter's than a number's), each looking like a digit and read SURE, every
        mark a separator, no digit crowding another; else None. Neither counted nor captured:
        the request is refused either way."""
        judge = lease.model.judge
        if judge is None or lease.model.answering.not_a_digit is None:
            return None
        try:
            found, pieces, inputs = await run_in_threadpool(
                pieces_to_read, image, judge, lease.model.slash, lease.model.gaps
            )
        except ImageRejected:
            return None
        if not 2 <= len(found.parts) == len(pieces) <= MAX_DIGITS:
            return None
        outputs = await lease.submit(inputs)
        probabilities, scores = split(outputs)
        is_digit = lease.model.looks_like_digit(scores)
        if (probabilities.max(axis=1) < SURE).any() or not np.all(is_digit):
            return None
        answers = Answers(lease.version, probabilities, scores, [True] * len(pieces))
        number = numbered(found, pieces, inputs, answers)
        return None if number.unread or number.astray or number.crowded else number

    def answer(self, lease: Lease, outputs: np.ndarray) -> Answers:
        """The model's outputs judged by the version's refusal rule, and counted: the one place
        every answer is counted, by digit and, where refused, as not a digit."""
        probabilities, scores = split(outputs)
        if scores is None:
            is_digit: list[bool | None] = [None] * len(probabilities)
        else:
            is_digit = np.atleast_1d(lease.model.looks_like_digit(scores)).tolist()
        counts = lease.served.counts
        for digit in probabilities.argmax(axis=1).tolist():
            counts[digit].inc()
        refused = is_digit.count(False)
        if refused:
            self.telemetry.not_a_digit.inc(refused)
        return Answers(lease.version, probabilities, scores, is_digit)


def numbered(
    found: Reading, pieces: list[Segment], inputs: np.ndarray, answers: Answers
) -> NumberAnswer:
    boxes = [upload_box(found, seg) for seg in pieces]
    text, separators = number_text(found, boxes, answers.digits)
    return NumberAnswer(new_id(), found, pieces, boxes, inputs, answers, text, separators)
