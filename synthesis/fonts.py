"""The fonts digits are typed in: a fixed list of files from Debian's font packages.

Only `fonts-dejavu*`, `fonts-liberation*`, `fonts-freefont-ttf` and `fonts-noto-core` may train or
validate anything; every other font is held out for judging, so no list here is "whatever is
installed": the same files on every machine, checked at start (`require`). Families, not files,
are split between training and validation, so validation measures fonts the networks never saw.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONT_ROOT = Path("/usr/share/fonts/truetype")
PACKAGES = (
    "fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-freefont-ttf fonts-noto-core"
)


def _styles(stem: str, *suffixes: str) -> tuple[str, ...]:
    return tuple(f"{stem}{suffix}.ttf" for suffix in suffixes)


TRAIN_FONTS: tuple[str, ...] = (
    *_styles("dejavu/DejaVuSans", "", "-Bold", "-Oblique", "-BoldOblique", "-ExtraLight"),
    *_styles("dejavu/DejaVuSansCondensed", "", "-Bold", "-Oblique"),
    *_styles("dejavu/DejaVuSerif", "", "-Bold", "-Italic"),
    *_styles("liberation/LiberationSans", "-Regular", "-Bold", "-Italic", "-BoldItalic"),
    *_styles("liberation/LiberationSansNarrow", "-Regular", "-Bold"),
    *_styles("liberation/LiberationMono", "-Regular", "-Bold"),
    *_styles("freefont/FreeSans", "", "Bold", "Oblique", "BoldOblique"),
    *_styles("freefont/FreeMono", "", "Bold"),
    *_styles("noto/NotoSans", "-Regular", "-Bold", "-Italic", "-BoldItalic"),
    *_styles("noto/NotoSerifDisplay", "-Regular", "-Bold", "-Italic"),
)
VALIDATION_FONTS: tuple[str, ...] = (
    *_styles("dejavu/DejaVuSansMono", "", "-Bold"),
    *_styles("liberation/LiberationSerif", "-Regular", "-Bold", "-Italic"),
    *_styles("freefont/FreeSerif", "", "Bold", "Italic"),
    *_styles("noto/NotoSansDisplay", "-Regular", "-Bold", "-Italic"),
    *_styles("noto/NotoSerif", "-Regular", "-Bold"),
)
FONT_SETS = {"train": TRAIN_FONTS, "validation": VALIDATION_FONTS}


def family(name: str) -> str:
    """'noto/NotoSans-Bold.ttf' -> 'NotoSans': the unit the split is made by."""
    stem = Path(name).stem.split("-")[0]
    for weight in ("BoldOblique", "BoldItalic", "Bold", "Oblique", "Italic"):
        stem = stem.removesuffix(weight)
    return stem


@cache
def require(split: str) -> tuple[Path, ...]:
    """The font files of one split, or FileNotFoundError naming what is missing and how to get
    it: training data must never quietly depend on what a machine happens to have."""
    paths = tuple(FONT_ROOT / name for name in FONT_SETS[split])
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"missing fonts {', '.join(missing)} (apt-get install {PACKAGES})")
    return paths
