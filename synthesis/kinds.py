"""Uploads of digits beyond MNIST, one kind at a time: typed, in other hands, at low resolution,
lettered by hand.

Typed and hand-lettered digits come from the fonts of one split (`synthesis.fonts`,
`synthesis.lettered`); the other kinds redraw a given MNIST digit (`synthesis.hands`). Every kind
goes through the same upload styles.
"""

from __future__ import annotations

import numpy as np

from synthesis import fonts
from synthesis.hands import enlarged, low_resolution, other_hand
from synthesis.lettered import lettered_ink
from synthesis.styles import STYLES
from synthesis.typed import typed_ink, typed_on_screen

KINDS = ("typed", "hands", "low_resolution", "lettered")
FONT_KINDS = ("typed", "lettered")  # drawn from a font, not from an MNIST digit


def upload(
    kind: str, style: str, label: int, source: np.ndarray | None, split: str, seed: int
) -> bytes:
    """One upload of `label`: typed or lettered in a font of `split`, or `source` (an MNIST digit)
    redrawn; the same bytes for the same arguments."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    if kind in FONT_KINDS:
        paths = fonts.require(split)
        path = paths[rng.integers(len(paths))]
        if kind == "lettered":
            ink = lettered_ink(str(label), path, rng)
        elif style == "screen":  # set at its final size, as a screen draws it
            return typed_on_screen(str(label), path, rng)
        else:
            ink = typed_ink(str(label), path, rng)
    elif kind == "hands":
        ink = other_hand(source, rng)
    else:
        ink = low_resolution(enlarged(source), rng)
    return STYLES[style](ink, rng)
