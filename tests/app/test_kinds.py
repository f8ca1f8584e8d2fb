"""Digits beyond MNIST through the app, on the committed model: typed in the validation fonts and
lettered by hand after them, MNIST's validation digits redrawn by other hands and at low
resolution, in every upload style
(`training.kinds`; no network trained on these fonts or digits). The floors sit below what
`python -m bench.kinds` measures on 400 per kind and style (`bench/results.md`), by the noise
of this smaller sample, and fail on a real regression."""

from __future__ import annotations

import numpy as np
import pytest

from synthesis.fonts import require
from synthesis.kinds import FONT_KINDS, upload
from synthesis.styles import SCREEN_COLOURS, STYLES
from synthesis.typed import typed_on_screen
from training.data import mnist_digits

PER_STYLE = 25
FLOORS = {  # kind: (right at least, refused at most)
    "typed": (0.97, 0.03),
    "hands": (0.93, 0.05),
    "low_resolution": (0.93, 0.05),
    "lettered": (0.97, 0.03),
}
SEED = 95_000  # none of the training or validation sets' seeds


def sent(client, data: bytes) -> tuple[int | None, bool]:
    """The digit answered (or guessed, where refused) and whether it was refused."""
    response = client.post("/predict", content=data, headers={"Content-Type": "image/png"})
    assert response.status_code in (200, 422)
    body = response.json()
    answer = body if response.status_code == 200 else body.get("prediction") or {}
    return answer.get("digit"), response.status_code == 422


@pytest.mark.parametrize("kind", FLOORS)
def test_digits_beyond_mnist_are_read_and_not_refused(client, kind: str) -> None:
    digits = mnist_digits("validation")
    rng = np.random.default_rng(SEED)
    right = refused = total = 0
    for style in STYLES:
        for i in range(PER_STYLE):
            pick = int(rng.integers(len(digits)))
            label = int(rng.integers(10)) if kind in FONT_KINDS else int(digits.labels[pick])
            source = digits.images[pick]
            answer, was_refused = sent(
                client, upload(kind, style, label, source, "validation", SEED + i)
            )
            right += answer == label
            refused += was_refused
            total += 1
    least_right, most_refused = FLOORS[kind]
    assert right / total >= least_right and refused / total <= most_refused, (right, refused)


def test_a_digit_14_pixels_tall_is_read_light_on_dark_and_coloured(client) -> None:
    """Screenshots at the smallest size people capture: every screen colour scheme (dark on
    light, light on dark, coloured), every validation font, each digit."""
    rng = np.random.default_rng(SEED)
    right = refused = total = 0
    for f, path in enumerate(require("validation")):
        for digit in range(10):
            colours = (f * 10 + digit) % len(SCREEN_COLOURS)
            data = typed_on_screen(str(digit), path, rng, height=14, colours=colours)
            answer, was_refused = sent(client, data)
            right += answer == digit
            refused += was_refused
            total += 1
    assert right / total >= 0.95 and refused / total <= 0.05, (right, refused, total)
