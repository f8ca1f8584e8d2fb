"""The data plane: what the app holds while it runs, and the one path every image takes.

Routes stay thin: the JSON API and the browser page alike hand a request's uploads to
`Service.classify`, which reads them, preprocesses them, predicts them in a shared batch and
builds the answers, so every route reads, checks, batches and counts images the same way.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Awaitable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings
from app.core.errors import ApiError, ErrorBody
from app.feedback.capture import Capture
from app.feedback.store import new_id
from app.schemas import DigitReading, ModelInfo, NumberReading, Prediction, SeparatorReading
from app.telemetry import Telemetry
from app.uploads import Upload, UploadReader
from app.versions import LoadedVersion, ModelVersions
from digits.contract import IMAGE_SIZE, NOT_A_DIGIT, describe
from digits.errors import ImageRejected, NotADigit, SeveralDigits
from digits.preprocess import open_image, pixel_count, to_model_input, to_png
from digits.screening import split
from digits.segment import (
    MAX_DIGITS,
    Reading,
    Segment,
    aspect_fit,
    context_input,
    find_digits,
    upload_box,
)
from digits.segment import model_input as number_input
from digits.separators import spaces
from digits.served import Judge

# Up to this many pixels per request (MNIST-sized uploads and small crops), preparing on the
# event loop is cheaper than the hop to a worker thread; larger uploads (a 280x280 canvas) go to
# the threadpool so that they never stall other requests (`bench/results.md`).
INLINE_PIXELS = 128 * 128
SURE = 0.9  # a number sent as one digit is named only where each of its digits is read this sure


@contextmanager
def naming(upload: Upload, among: int) -> Iterator[None]:
    """In a request with several files, a rejection says which file it was about."""
    try:
        yield
    except ImageRejected as exc:
        if among > 1:
            exc.message = f"{upload.filename or 'a file'}: {exc.message}"
        raise


def data_url(image: np.ndarray) -> str:
    """A 28x28 model input as a PNG data URL, so people can see what the model saw."""
    return "data:image/png;base64," + base64.b64encode(to_png(image)).decode()


def prepare_number(
    image: Image.Image, judge: Judge | None
) -> tuple[Reading, list[Segment], np.ndarray]:
    """The number's parts, the pieces the model reads and their model inputs: with a piece
    judge, the pieces it chose (one per digit); without, every candidate, to choose among by
    the classifier's answers (`choose_digits`)."""
    found = find_digits(image)
    pieces = found.candidates()
    if judge is not None:
        pieces = [seg for _, seg in choose_digits(found, pieces, judged(found, pieces, judge))]
    return found, pieces, np.stack([number_input(found, s) for s in pieces])


def judged(found: Reading, pieces: list[Segment], judge: Judge) -> np.ndarray:
    """The judge's sureness that each piece (`found.candidates()`) is one whole digit; 1 for a
    part read whole, which leaves nothing to choose."""
    asked = np.array([len(part.pieces) > 1 for part in found.parts for _ in part.pieces])
    sureness = np.ones(len(pieces))
    if asked.any():
        contexts = [context_input(found, s) for s, ask in zip(pieces, asked, strict=True) if ask]
        sureness[asked] = judge.sureness(np.stack(contexts))
    return sureness


def choose_digits(
    found: Reading, pieces: list[Segment], sureness: np.ndarray
) -> list[tuple[int, Segment]]:
    """Left to right, each part read the surest way: (index into `pieces`, segment)."""
    index = {id(s): i for i, s in enumerate(pieces)}
    chosen = []
    for part in found.parts:
        best = part.best(lambda s: float(sureness[index[id(s)]]))
        chosen += [(index[id(s)], s) for s in best]
    return chosen


def rounded(probabilities: np.ndarray) -> tuple[int, list[float]]:
    """The digit and its probabilities rounded for the answer."""
    # float32 softmax sums to 1 only within 1e-7; Python floats round faster than numpy's
    shares = (probabilities / probabilities.sum(dtype=np.float64)).tolist()
    return int(probabilities.argmax()), [round(p, 6) for p in shares]


def looks_like_digit(served: LoadedVersion, digit_score: float | None) -> bool | None:
    """Whether a digit score reaches the version's threshold (None without a detector)."""
    if digit_score is None:
        return None
    return bool(served.model.looks_like_digit(digit_score))


def digit_reading(
    found: Reading,
    seg: Segment,
    probabilities: np.ndarray,
    score: float | None,
    is_digit: bool | None,
) -> DigitReading:
    digit, shares = rounded(probabilities)
    return DigitReading(
        digit=digit,
        confidence=shares[digit],
        probabilities=shares,
        box=upload_box(found, seg),
        is_digit=is_digit,
        digit_score=None if score is None else round(score, 6),
    )


def number_reading(
    served: LoadedVersion,
    found: Reading,
    digits: list[DigitReading],
    images: list[str] | None,
    answer_id: str,
) -> NumberReading:
    """The digits and the separators between them (`found.marks`) as one text, left to right,
    with a space where the gap between two groups is one (`digits.separators.spaces`)."""
    scale = found.scale
    items = [(d.box[0], d.box[0] + d.box[2], str(d.digit), None) for d in digits]
    for mark in found.marks:
        box = [round(v * scale) for v in mark.box]
        items.append((box[0], box[0] + box[2], mark.char, (box, mark.confidence)))
    items.sort(key=lambda item: item[:2])
    after = set(spaces([item[:2] for item in items], found.height * scale))
    text, separators = "", []
    for index, (_, _, char, mark) in enumerate(items):
        if mark is not None:
            box, confidence = mark
            separators.append(
                SeparatorReading(char=char, box=box, confidence=confidence, position=len(text))
            )
        text += char
        if index in after:
            separators.append(SeparatorReading(char=" ", confidence=1.0, position=len(text)))
            text += " "
    return NumberReading(
        id=answer_id,
        text=text,
        confidence=round(float(np.prod([d.confidence for d in digits])), 6),
        digits=digits,
        separators=separators,
        model=served.model.answering.name,
        model_version=served.version,
        input_images=images,
    )


@dataclass
class Inference:
    """Answers to a protocol request: which version gave them, and per image the probabilities,
    the detector's digit score and whether that makes it a digit (None without a detector)."""

    version: str
    probabilities: np.ndarray  # (N, 10) float32
    digit_scores: np.ndarray | None  # (N,)
    is_digit: np.ndarray | None  # (N,) bool
    ids: list[str]  # each answer's id


def dump(record: BaseModel | None) -> dict | None:
    return record.model_dump(mode="json") if record else None


@dataclass
class Service:
    settings: Settings
    versions: ModelVersions
    telemetry: Telemetry
    reader: UploadReader
    capture: Capture
    ready: bool = False

    def leased(
        self, version: str | None, reading: Awaitable[list[Upload]]
    ) -> AbstractContextManager[LoadedVersion]:
        """The lease on the version asked for; where it is not loaded, the request's reading is
        dropped unread (closed, not left never awaited) and the 404 raised."""
        try:
            return self.versions.lease(version)
        except ApiError:
            if inspect.iscoroutine(reading):
                reading.close()
            raise

    def open_all(self, uploads: list[Upload]) -> list[Image.Image]:
        """Headers only: bombs and non-images are refused before any pixel is decoded."""
        opened = []
        for upload in uploads:
            with naming(upload, len(uploads)):
                opened.append(open_image(upload.data, self.settings.max_pixels))
        return opened

    def convert_all(self, uploads: list[Upload], opened: list[Image.Image]) -> np.ndarray:
        images = []
        for upload, image in zip(uploads, opened, strict=True):
            with naming(upload, len(uploads)):
                images.append(to_model_input(image))
        return np.stack(images)

    async def preprocess_all(self, uploads: list[Upload]) -> np.ndarray:
        """All or nothing: a bad file fails the request with a message that names it."""
        opened = self.open_all(uploads)
        if sum(map(pixel_count, opened)) <= INLINE_PIXELS:
            return self.convert_all(uploads, opened)
        return await run_in_threadpool(self.convert_all, uploads, opened)

    async def classify(
        self,
        reading: Awaitable[list[Upload]],
        include_input: bool = False,
        always_guess: bool = False,
        version: str | None = None,
        one_digit: bool = False,
        keep: bool = False,
    ) -> list[Prediction]:
        """Read the uploads (`reading`, one of `reader`'s methods on the request), preprocess
        them, predict them in one batch. An image that holds no digit gets its best guess with
        an `error` (`not_a_digit`), or without one where the client asked `always_guess`; with
        `one_digit` (/predict), one that holds a number is refused as `several_digits`. Each
        answer is captured where the sample takes it, or `keep` (an image sent to be corrected)."""
        with self.leased(version, reading) as served:
            with served.batcher.expecting():
                uploads = await reading
                images = await self.preprocess_all(uploads)
            probabilities, scores = split(await served.batcher.submit(images))
            predictions = [
                self.prediction(
                    served,
                    probabilities[i],
                    uploads[i].filename,
                    images[i] if include_input else None,
                    None if scores is None else float(scores[i]),
                    always_guess,
                )
                for i in range(len(uploads))
            ]
            self.capture.keep(
                "predict",
                served.version,
                [p.id for p in predictions],
                [NOT_A_DIGIT if p.is_digit is False else str(p.digit) for p in predictions],
                [p.confidence for p in predictions],
                images[:, np.newaxis],
                always=keep,
            )
            if one_digit and predictions[0].error:
                number = await self.number_in(served, uploads[0])
                if number is not None:
                    guess = predictions[0].model_dump(mode="json", exclude={"error"})
                    raise SeveralDigits(guess, number)
            return predictions

    async def infer(self, version: str | None, images: np.ndarray | list[bytes]) -> Inference:
        """The Open Inference Protocol's path: raw (N, 28, 28) pixels as the model contract
        says, or encoded images (bytes) prepared as /predict prepares them; the same batches."""
        with self.versions.lease(version) as served:
            with served.batcher.expecting():
                if isinstance(images, list):
                    uploads = [Upload(data, f"image[{i}]") for i, data in enumerate(images)]
                    images = await self.preprocess_all(uploads)
            probabilities, scores = split(await served.batcher.submit(images))
            digits = probabilities.argmax(axis=1).tolist()
            given = [None] * len(digits) if scores is None else scores.tolist()
            judged = [self.count(served, d, s) for d, s in zip(digits, given, strict=True)]
            is_digit = None if scores is None else np.array(judged)
            ids = [new_id() for _ in digits]
            self.capture.keep(
                "infer",
                served.version,
                ids,
                [
                    NOT_A_DIGIT if j is False else str(d)
                    for d, j in zip(digits, judged, strict=True)
                ],
                probabilities.max(axis=1).tolist(),
                images.reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE),
            )
            return Inference(served.version, probabilities, scores, is_digit, ids)

    def prediction(
        self,
        served: LoadedVersion,
        probabilities: np.ndarray,
        filename: str | None,
        image: np.ndarray | None,
        digit_score: float | None,
        always_guess: bool,
    ) -> Prediction:
        digit, rounded, is_digit = self.judge(served, probabilities, digit_score)
        input_image = data_url(image) if image is not None else None
        refused = is_digit is False and not always_guess
        return Prediction(
            id=new_id(),
            digit=digit,
            confidence=rounded[digit],
            probabilities=rounded,
            filename=filename,
            model=served.model.answering.name,
            model_version=served.version,
            input_image=input_image,
            is_digit=is_digit,
            digit_score=None if digit_score is None else round(digit_score, 6),
            error=ErrorBody(status=422, code="not_a_digit", message=NotADigit.MESSAGE)
            if refused
            else None,
        )

    def judge(
        self, served: LoadedVersion, probabilities: np.ndarray, digit_score: float | None
    ) -> tuple[int, list[float], bool | None]:
        """The digit, its rounded probabilities, and whether the image shows a digit at all
        (None without a detector); counted."""
        digit, shares = rounded(probabilities)
        return digit, shares, self.count(served, digit, digit_score)

    def count(self, served: LoadedVersion, digit: int, digit_score: float | None) -> bool | None:
        """Count the answer; whether the image shows a digit (None without a detector)."""
        served.counts[digit].inc()
        is_digit = looks_like_digit(served, digit_score)
        if is_digit is False:
            self.telemetry.not_a_digit.inc()
        return is_digit

    async def number_in(self, served: LoadedVersion, upload: Upload) -> dict | None:
        """For an upload refused as not one digit: the number it holds, as /read reads it, where
        it is two or more separate digits (each stroke group read whole: strokes cut apart are
        more often a letter's than a number's), each looking like a digit and read with SURE
        confidence; else None. Not counted as answers: the request is refused either way."""
        if served.model.judge is None or served.model.answering.not_a_digit is None:
            return None
        opened = open_image(upload.data, self.settings.max_pixels)
        try:
            judge = served.model.judge
            found, pieces, inputs = await run_in_threadpool(prepare_number, opened, judge)
        except ImageRejected:
            return None
        if not 2 <= len(found.parts) == len(pieces) <= MAX_DIGITS:
            return None
        probabilities, scores = split(await served.batcher.submit(inputs))
        sure = probabilities.max(axis=1) >= SURE
        if not sure.all() or not all(looks_like_digit(served, float(s)) for s in scores):
            return None
        digits = [
            digit_reading(found, seg, probabilities[i], float(scores[i]), True)
            for i, seg in enumerate(pieces)
        ]
        return number_reading(served, found, digits, None, new_id()).model_dump(mode="json")

    async def read_number(
        self,
        reading: Awaitable[list[Upload]],
        include_input: bool,
        always_guess: bool,
        version: str | None = None,
        keep: bool = False,
    ) -> NumberReading:
        """Find the digits of a number in one upload and read them in one model call; every
        candidate cut of touching digits goes into the same call, and the surest reading wins.
        Captured as `classify` captures."""
        with self.leased(version, reading) as served:
            with served.batcher.expecting():
                [upload] = await reading
                [opened] = self.open_all([upload])
                judge = served.model.judge
                found, pieces, inputs = await run_in_threadpool(prepare_number, opened, judge)
            probabilities, scores = split(await served.batcher.submit(inputs))
            if judge is None:
                sureness = probabilities.max(axis=1) * (1.0 if scores is None else scores)
                sureness *= [
                    aspect_fit(s, int(d))
                    for s, d in zip(pieces, probabilities.argmax(1), strict=True)
                ]
                chosen = choose_digits(found, pieces, sureness)
            else:
                chosen = list(enumerate(pieces))
            digits = []
            for i, seg in chosen:
                score = None if scores is None else float(scores[i])
                digit = int(probabilities[i].argmax())
                is_digit = self.count(served, digit, score)
                digits.append(digit_reading(found, seg, probabilities[i], score, is_digit))
            images = [data_url(inputs[i]) for i, _ in chosen] if include_input else None
            result = number_reading(served, found, digits, images, new_id())
        strangers = [n for n, d in enumerate(digits, start=1) if d.is_digit is False]
        refused = strangers and not always_guess
        self.capture.keep(
            "read",
            served.version,
            [result.id],
            [NOT_A_DIGIT if refused else result.text],
            [result.confidence],
            [inputs[[i for i, _ in chosen]]],
            always=keep,
        )
        if refused:
            which = ", ".join(map(str, strangers))
            raise NotADigit(
                result.model_dump(mode="json"),
                f"Part {which} of the {len(digits)} found does not look like a digit.",
            )
        return result

    def model_info(self, version: str | None = None) -> ModelInfo:
        served = self.versions.get(version)
        card, answering = served.model.card, served.model.answering
        return ModelInfo(
            name=answering.name,
            version=served.version,
            loaded_versions=list(self.versions.loaded),
            architecture=answering.architecture,
            description=card.model.description,
            parameters=answering.parameters,
            input=describe(),
            trained_at=answering.created_at,
            test_accuracy=answering.test_accuracy,
            versions=card.versions,
            cascade=dump(answering.cascade),
            not_a_digit=dump(answering.not_a_digit),
            reading=dump(card.reading) if served.model.judge else None,
        )

    def card_json(self) -> dict:
        """The default version's card as stored, its top-level test accuracy that of what
        answers, and `served` saying what that is."""
        served = self.versions.get()
        answering = served.model.answering
        return {
            **served.model.card.as_json(),
            "test_accuracy": answering.test_accuracy,
            "served": {
                "name": answering.name,
                "version": served.version,
                "parameters": answering.parameters,
                "test_accuracy": answering.test_accuracy,
                "cascade": answering.cascade is not None,
            },
        }
