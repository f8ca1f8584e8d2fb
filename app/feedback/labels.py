"""What a correction may say an image is: one digit, a number as /read answers it (digits with
the separators it writes), or `not_a_digit`. The one check, for the API and the page alike."""

from __future__ import annotations

import re
from dataclasses import dataclass

from digits.contract import NOT_A_DIGIT
from digits.errors import Refusal

SEPARATORS = ".,-/: "
NUMBER = re.compile(r"[0-9]([0-9.,\-/: ]*[0-9])?|-[0-9]([0-9.,\-/: ]*[0-9])?")
MAX_LENGTH = 64


class InvalidLabel(Refusal):
    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_label", message)


@dataclass(frozen=True)
class Label:
    text: str

    @property
    def digits(self) -> str:
        """The label's digits, in order: what the images of a number are labelled with."""
        return "".join(c for c in self.text if c.isdigit())

    @property
    def kind(self) -> str:
        """What metrics count it as: the digit, not_a_digit, or `number` (bounded labels)."""
        return self.text if self.is_digit or self.text == NOT_A_DIGIT else "number"

    @property
    def is_digit(self) -> bool:
        return len(self.text) == 1 and self.text.isdigit()


def parse_label(given: object) -> Label:
    """A label as sent (a string; a JSON integer 0-9 is taken as that digit), or a 422."""
    if isinstance(given, int) and not isinstance(given, bool) and 0 <= given <= 9:
        given = str(given)
    if not isinstance(given, str):
        raise InvalidLabel('`label` must be a digit, a number such as "12.50", or not_a_digit.')
    text = given.strip()
    if text == NOT_A_DIGIT:
        return Label(text)
    if len(text) > MAX_LENGTH or not NUMBER.fullmatch(text):
        raise InvalidLabel(
            f"`label` {given[:MAX_LENGTH]!r} is neither a digit, nor a number (digits with "
            f"{SEPARATORS.strip()!r} or spaces between them, at most {MAX_LENGTH} characters), "
            "nor not_a_digit."
        )
    return Label(text)


def fits_one_image(label: Label) -> None:
    """One image (an answer of /predict or /v2) is a digit or not_a_digit; a number is corrected
    on an answer of /read, or sent as an image of that number."""
    if not (label.is_digit or label.text == NOT_A_DIGIT):
        raise InvalidLabel(
            f"{label.text!r} labels an answer of one digit: give a digit 0-9 or not_a_digit (a "
            "number is corrected on an answer of /read)."
        )
