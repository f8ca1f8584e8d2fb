"""Refusals: input the service will not answer with a digit, each with the HTTP status and the
stable code it is answered with. The base of every error kind, app's included, so that the
image pipeline (here, shared with training) and the API (`app.core.errors`) speak one format.
"""

from __future__ import annotations

from digits.contract import NOT_A_DIGIT


class Refusal(Exception):
    """Input refused, with its HTTP status, machine-readable code and a message for people."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers

    def __str__(self) -> str:
        return self.message


class ImageRejected(Refusal):
    """An upload that cannot be turned into a digit (not an image, damaged, blank, too big)."""


class NotADigit(Refusal):
    """An image that holds no digit: refused rather than guessed, the guess still attached for
    clients that want it (`guess`: the prediction as the API would have answered it)."""

    MESSAGE = "That does not look like a digit."

    def __init__(self, guess: dict, message: str = MESSAGE, code: str = NOT_A_DIGIT) -> None:
        super().__init__(422, code, message)
        self.guess = guess

    def details(self) -> dict:
        """What the error body carries beside the error: the guess."""
        return {"prediction": self.guess}


class SeveralDigits(NotADigit):
    """One digit was asked for (/predict) and the image holds a number: refused with what /read
    makes of it, so that a client (or the page) can read it as a number instead."""

    def __init__(self, guess: dict, reading: dict) -> None:
        text = reading["text"]
        message = f'That looks like a number, not one digit: /read reads it as "{text}".'
        super().__init__(guess, message, code="several_digits")
        self.reading = reading

    def details(self) -> dict:
        return {**super().details(), "reading": self.reading}
