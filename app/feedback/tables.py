"""The database's tables, as SQLAlchemy 2 declares them; Alembic's migrations
(`migrations/versions/`) create and change them, never `create_all`.

Times are stored as naive UTC (SQLite has no time zones); inputs as the 28x28 uint8 images the
model saw, one after another (`inputs.pack`), so that training reads exactly what was answered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID_LENGTH = 32  # uuid4().hex
LABEL_LENGTH = 64


class Base(DeclarativeBase):
    pass


class CapturedAnswer(Base):
    """An answered request kept (a sampled share, for a set number of days) so that it can be
    corrected by its id and live accuracy measured."""

    __tablename__ = "captured_answers"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    endpoint: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    confidence: Mapped[float] = mapped_column(Float)
    images: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[bytes] = mapped_column(LargeBinary)


class Correction(Base):
    """The right label of an image, sent by a person: of a captured answer (`answer_id`, at
    most one correction each: a second replaces the first) or of an image sent with it."""

    __tablename__ = "corrections"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    answer_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    label: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    answered: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    version: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(16), index=True)
    images: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[bytes] = mapped_column(LargeBinary)
