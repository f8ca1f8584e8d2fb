"""Corrections exported for training: a zip of 28x28 PNGs (exactly what the model saw) and a
`labels.csv` naming each one's label, which `python -m training corrections` reads.

A number's correction is one row per digit image where /read found as many digits as the label
has; where it did not (a cut the person's label disagrees with), the correction is listed in the
manifest as skipped rather than guessed at.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

from app.feedback.labels import NOT_A_DIGIT
from app.feedback.store import unpack
from app.feedback.tables import Correction
from digits.preprocess import to_png

FORMAT = "digits-corrections/1"
COLUMNS = ("file", "label", "correction", "created_at", "version", "answered")


def labelled_images(correction: Correction) -> list[str] | None:
    """The label of each of the correction's images, or None where they cannot be paired."""
    if correction.label == NOT_A_DIGIT:
        return [NOT_A_DIGIT] * correction.images
    digits = [c for c in correction.label if c.isdigit()]
    return digits if len(digits) == correction.images else None


def export_zip(corrections: list[Correction]) -> bytes:
    rows, skipped = [], []
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for correction in corrections:
            labels = labelled_images(correction)
            if labels is None:
                skipped.append(correction.id)
                continue
            digest.update(f"{correction.id}:{correction.label}\n".encode())
            for k, (image, label) in enumerate(zip(unpack(correction.inputs), labels, strict=True)):
                name = f"images/{correction.id}-{k}.png"
                archive.writestr(name, to_png(image))
                rows.append(
                    (
                        name,
                        label,
                        correction.id,
                        correction.created_at.isoformat(),
                        correction.version or "",
                        correction.answered or "",
                    )
                )
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        archive.writestr("labels.csv", table.getvalue())
        times = [c.created_at.isoformat() for c in corrections]
        manifest = {
            "format": FORMAT,
            "corrections": len(corrections) - len(skipped),
            "images": len(rows),
            "skipped": skipped,
            "first": min(times, default=None),
            "last": max(times, default=None),
            "digest": digest.hexdigest(),
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buffer.getvalue()
