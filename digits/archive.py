"""The corrections archive: the one format the service exports (`GET /corrections/export`) and
training reads (`python -m training corrections`).

A zip of 28x28 PNGs, exactly the images the model saw, `labels.csv` (one row per image: its
file, label, correction, time, version, and what the service had answered) and
`manifest.json`. A number's correction is one row per digit image where /read found as many
digits as the label has; where it did not, the correction is listed as skipped, not guessed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.contract import NOT_A_DIGIT
from digits.preprocess import to_png

FORMAT = "digits-corrections/1"
COLUMNS = ("file", "label", "correction", "created_at", "version", "answered")


@dataclass(frozen=True)
class Corrected:
    """One correction as archived: its images (uint8 (N, 28, 28)) and their label."""

    id: str
    label: str
    created_at: str  # ISO time, UTC
    version: str | None
    answered: str | None
    images: np.ndarray


@dataclass(frozen=True)
class Row:
    """One image of the archive, read back."""

    image: np.ndarray  # uint8 (28, 28)
    label: str  # a digit, or not_a_digit
    correction: str
    created_at: str


def image_labels(label: str, count: int) -> list[str] | None:
    """The label of each of a correction's images, or None where they cannot be paired."""
    if label == NOT_A_DIGIT:
        return [NOT_A_DIGIT] * count
    digits = [c for c in label if c.isdigit()]
    return digits if len(digits) == count else None


def write_archive(corrections: Iterable[Corrected]) -> bytes:
    rows, skipped, times = [], [], []
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for correction in corrections:
            times.append(correction.created_at)
            labels = image_labels(correction.label, len(correction.images))
            if labels is None:
                skipped.append(correction.id)
                continue
            digest.update(f"{correction.id}:{correction.label}\n".encode())
            for k, (image, label) in enumerate(zip(correction.images, labels, strict=True)):
                name = f"images/{correction.id}-{k}.png"
                archive.writestr(name, to_png(image))
                rows.append(
                    (
                        name,
                        label,
                        correction.id,
                        correction.created_at,
                        correction.version or "",
                        correction.answered or "",
                    )
                )
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        archive.writestr("labels.csv", table.getvalue())
        manifest = {
            "format": FORMAT,
            "corrections": len(times) - len(skipped),
            "images": len(rows),
            "skipped": skipped,
            "first": min(times, default=None),
            "last": max(times, default=None),
            "digest": digest.hexdigest(),
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buffer.getvalue()


def read_archive(data: bytes) -> tuple[list[Row], dict]:
    """The archive's images, oldest correction first, and its manifest."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"not a corrections archive of format {FORMAT}")
        table = list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))
        table.sort(key=lambda r: (r["created_at"], r["correction"], r["file"]))
        rows = [
            Row(
                np.asarray(Image.open(io.BytesIO(archive.read(r["file"]))).convert("L")),
                r["label"],
                r["correction"],
                r["created_at"],
            )
            for r in table
        ]
    return rows, manifest
