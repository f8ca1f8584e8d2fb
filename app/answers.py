"""The data plane's answers in the service's own JSON shapes (`/predict`, `/predict/batch`,
`/read`, the page), and the refusals: the one place an answer becomes a `not_a_digit` or
`several_digits` error. (`/v2` encodes them as the Open Inference Protocol says:
`app.inference_protocol`.)"""

from __future__ import annotations

import base64

import numpy as np

from app.core.errors import ErrorBody
from app.data_plane import UNSURE, Answers, DataPlane, NumberAnswer
from app.schemas import DigitReading, NumberReading, Prediction, SeparatorReading
from app.uploads import Upload
from app.versions import Lease
from digits.errors import NotADigit, SeveralDigits
from digits.preprocess import open_image, to_png


def data_url(image: np.ndarray) -> str:
    """A 28x28 model input as a PNG data URL, so people can see what the model saw."""
    return "data:image/png;base64," + base64.b64encode(to_png(image)).decode()


def rounded(probabilities: np.ndarray) -> tuple[int, list[float]]:
    """The digit and its probabilities rounded for the answer."""
    # float32 softmax sums to 1 only within 1e-7; Python floats round faster than numpy's
    shares = (probabilities / probabilities.sum(dtype=np.float64)).tolist()
    return int(probabilities.argmax()), [round(p, 6) for p in shares]


def score(answers: Answers, i: int) -> float | None:
    scores = answers.digit_scores
    return None if scores is None else round(float(scores[i]), 6)


NOT_A_DIGIT_ERROR = ErrorBody(status=422, code="not_a_digit", message=NotADigit.MESSAGE)


def predictions(
    lease: Lease,
    answers: Answers,
    uploads: list[Upload],
    images: np.ndarray | None,
    always_guess: bool,
) -> list[Prediction]:
    """One per image, with the model input where asked (`images`); an image that holds no digit
    carries the `not_a_digit` error, unless the client asked `always_guess`."""
    model = lease.model.answering.name
    answered = []
    for i, upload in enumerate(uploads):
        digit, shares = rounded(answers.probabilities[i])
        is_digit = answers.is_digit[i]
        answered.append(
            Prediction(
                id=answers.ids[i],
                digit=digit,
                confidence=shares[digit],
                probabilities=shares,
                filename=upload.filename,
                model=model,
                model_version=answers.version,
                input_image=None if images is None else data_url(images[i]),
                is_digit=is_digit,
                digit_score=score(answers, i),
                error=NOT_A_DIGIT_ERROR if is_digit is False and not always_guess else None,
            )
        )
    return answered


def number_reading(lease: Lease, number: NumberAnswer, include_inputs: bool) -> NumberReading:
    answers = number.answers
    digits = []
    for i, box in enumerate(number.boxes):
        digit, shares = rounded(answers.probabilities[i])
        digits.append(
            DigitReading(
                digit=digit,
                confidence=shares[digit],
                probabilities=shares,
                box=box,
                is_digit=answers.is_digit[i],
                digit_score=score(answers, i),
            )
        )
    separators = [
        SeparatorReading(char=s.char, box=s.box, confidence=s.confidence, position=s.position)
        for s in number.separators
    ]
    return NumberReading(
        id=number.id,
        text=number.text,
        confidence=round(float(np.prod([d.confidence for d in digits])), 6),
        digits=digits,
        separators=separators,
        model=lease.model.answering.name,
        model_version=answers.version,
        input_images=[data_url(image) for image in number.inputs] if include_inputs else None,
    )


async def one_digit(
    plane: DataPlane, lease: Lease, prediction: Prediction, upload: Upload, max_pixels: int
) -> Prediction:
    """An image sent as one digit (/predict, the page): its prediction, or, where it holds no
    digit, a 422 `not_a_digit` with the guess, or `several_digits` with the number it holds."""
    if prediction.error is None:
        return prediction
    guess = prediction.model_dump(mode="json", exclude={"error"})
    number = await plane.number_in(lease, open_image(upload.data, max_pixels))
    if number is not None:
        raise SeveralDigits(guess, number_reading(lease, number, False).model_dump(mode="json"))
    raise NotADigit(guess)


def whole_number(reading: NumberReading, number: NumberAnswer, always_guess: bool) -> NumberReading:
    """A number read (/read, the page): its reading, or, where a part does not look like a digit,
    a mark is no separator it can tell or stands where none does, two digits stand closer than
    type sets them, or a digit is read too unsure, and the client did not ask `always_guess`, a
    422 `not_a_digit` naming them, with the reading."""
    if not number.refused or always_guess:
        return reading
    named = []
    if number.strangers:
        which = ", ".join(map(str, number.strangers))
        named.append(f"Part {which} of the {len(number.pieces)} found does not look like a digit.")
    if number.unread:
        at = ", ".join(str(mark.position + 1) for mark in number.unread)
        named.append(
            f'The mark at character {at} of "{number.text}" is neither a digit nor a separator '
            "it can tell (a point, a comma or a colon, say, or a digit too faint beside the rest)."
        )
    if number.astray:
        at = ", ".join(str(mark.position + 1) for mark in number.astray)
        named.append(
            f'The mark at character {at} of "{number.text}" stands where no number has one '
            "(beside another mark, or at an end)."
        )
    if number.crowded:
        which = ", ".join(f"{n - 1} and {n}" for n in number.crowded)
        named.append(
            f'Digits {which} of "{number.text}" stand closer than type sets two digits '
            "(the strokes of a letter?)."
        )
    if number.unsure and not named:
        which = ", ".join(map(str, number.unsure))
        named.append(
            f'Digit {which} of "{number.text}" is read too unsure to answer (below {UNSURE:.0%}).'
        )
    raise NotADigit(reading.model_dump(mode="json"), " ".join(named))
