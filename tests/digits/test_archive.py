"""The corrections archive: what the service exports is what training reads, image for image."""

from __future__ import annotations

import numpy as np
import pytest

from digits.archive import Corrected, read_archive, write_archive


def corrected(cid: str, label: str, count: int, at: str, seed: int = 0) -> Corrected:
    images = np.random.default_rng(seed).integers(0, 256, (count, 28, 28)).astype(np.uint8)
    return Corrected(cid, label, at, "1", "7", images)


def test_images_come_back_exactly_with_one_label_each_oldest_first() -> None:
    items = [
        corrected("b", "12.5", 3, "2026-12-01T10:00:00", 1),
        corrected("a", "4", 1, "2026-11-30T09:00:00", 2),
        corrected("c", "not_a_digit", 1, "2026-12-01T11:00:00", 3),
    ]
    rows, manifest = read_archive(write_archive(items))
    assert [(r.correction, r.label) for r in rows] == [
        ("a", "4"),
        ("b", "1"),
        ("b", "2"),
        ("b", "5"),
        ("c", "not_a_digit"),
    ]
    assert np.array_equal(rows[1].image, items[0].images[0])
    assert manifest["corrections"] == 3 and manifest["images"] == 5 and not manifest["skipped"]
    assert manifest["first"] == "2026-11-30T09:00:00"


def test_a_number_whose_digits_were_not_all_found_is_skipped_not_guessed() -> None:
    rows, manifest = read_archive(write_archive([corrected("x", "1234", 3, "2026-12-01")]))
    assert rows == [] and manifest["skipped"] == ["x"]


def test_something_else_is_not_read_as_an_archive(tmp_path) -> None:
    import zipfile

    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", '{"format": "something/9"}')
    with pytest.raises(ValueError, match="not a corrections archive"):
        read_archive(path.read_bytes())
