"""Uploads of digits beyond MNIST, one kind at a time: typed, in other hands, at low resolution.

Typed digits come from the fonts of one split (`synthesis.fonts`); the other kinds redraw a given
MNIST digit (`synthesis.hands`). Every kind goes through the same upload styles.
"""

from __future__ import annotations

import numpy as np

from synthesis import fonts
from synthesis.hands import enlarged, low_resolution, other_hand
from synthesis.styles import STYLES
from synthesis.typed import typed_ink, typed_on_screen

KINDS = ("typed", "hands", "low_resolution")


def upload(
    kind: str, style: str, label: int, source: np.ndarray | None, split: str, seed: int
) -> bytes:
    """One upload of `label`: typed in a font of `split`, or `source` (an MNIST digit) redrawn;
    the same bytes for the same arguments."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    if kind == "typed":
        paths = fonts.require(split)
        path = paths[rng.integers(len(paths))]
        if style == "screen":  # set at its final size, as a screen draws it
            return typed_on_screen(str(label), path, rng)
        ink = typed_ink(str(label), path, rng)
    elif kind == "hands":
        ink = other_hand(source, rng)
    else:
        ink = low_resolution(enlarged(source), rng)
    return STYLES[style](ink, rng)
