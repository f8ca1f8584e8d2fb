"""The fonts digits are typed in: a fixed list, from the allowed packages, split by family."""

from __future__ import annotations

from synthesis.fonts import FONT_SETS, TRAIN_FONTS, VALIDATION_FONTS, family, require

ALLOWED = ("dejavu/", "liberation/", "freefont/", "noto/")  # the four Debian packages allowed


def test_every_font_file_is_named_and_installed() -> None:
    for split, names in FONT_SETS.items():
        paths = require(split)
        assert len(paths) == len(names) >= 10
        assert all(path.is_file() for path in paths)


def test_only_the_allowed_packages_are_used() -> None:
    assert all(name.startswith(ALLOWED) for name in TRAIN_FONTS + VALIDATION_FONTS)


def test_training_and_validation_share_no_family() -> None:
    assert family("noto/NotoSans-BoldItalic.ttf") == "NotoSans"
    assert family("freefont/FreeSansBoldOblique.ttf") == "FreeSans"
    train = {family(name) for name in TRAIN_FONTS}
    validation = {family(name) for name in VALIDATION_FONTS}
    assert len(train) >= 8 and len(validation) >= 4
    assert not train & validation
