"""Corrections exported for training, in the one archive format (`digits.archive`)."""

from __future__ import annotations

from app.feedback.store import unpack
from app.feedback.tables import Correction
from digits.archive import Corrected, write_archive


def export_zip(corrections: list[Correction]) -> bytes:
    return write_archive(
        Corrected(
            id=c.id,
            label=c.label,
            created_at=c.created_at.isoformat(),
            version=c.version,
            answered=c.answered,
            images=unpack(c.inputs),
        )
        for c in corrections
    )
