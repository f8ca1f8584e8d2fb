"""The feedback database: one engine, its migrations, and every query the service makes.

Synchronous on purpose: SQLAlchemy's sync engine with psycopg 3 or sqlite3 is the well-trodden
path, and the service calls it from worker threads (`anyio.to_thread`), so a slow or absent
database never blocks the event loop. Any failure to reach the database is one `Unavailable`
(503), so that /predict never depends on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from app.feedback.tables import CapturedAnswer, Correction
from digits.contract import IMAGE_SIZE, PIXEL_MAX
from digits.errors import Refusal

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x6469676974  # PostgreSQL advisory lock key: one replica migrates at a time


class Unavailable(Refusal):
    def __init__(self, why: str) -> None:
        super().__init__(
            503,
            "database_unavailable",
            f"The feedback database cannot be reached ({why}); answers go on, corrections wait.",
            headers={"Retry-After": "5"},
        )


def now() -> datetime:
    """The current time as the tables hold it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


def pack(images: np.ndarray) -> bytes:
    """(N, 28, 28) model inputs (float32 0-255) as the bytes a row keeps: N uint8 images."""
    return np.rint(images).clip(0, PIXEL_MAX).astype(np.uint8).tobytes()


def unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)


def sqlalchemy_url(url: str) -> str:
    """`postgresql://` as operators write it, driven by psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_for(url: str) -> Engine:
    url = sqlalchemy_url(url)
    if not url.startswith("sqlite"):
        return create_engine(
            url, pool_pre_ping=True, pool_size=4, connect_args={"connect_timeout": 3}
        )
    engine = create_engine(url, connect_args={"timeout": 10})

    @event.listens_for(engine, "connect")
    def sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
        """WAL: readers never wait for the writer; NORMAL: a committed row survives the process
        being killed (only a power cut can take the last commits)."""
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """Whatever the driver raises for a database that is down or gone, as one 503."""
    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        if isinstance(exc, IntegrityError):
            raise
        reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]
        raise Unavailable(reason) from exc


class FeedbackStore:
    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.migrated = False

    def close(self) -> None:
        self.engine.dispose()

    # --- schema -------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the latest migration; several replicas starting at once take
        turns (an advisory lock on PostgreSQL, a file lock beside an SQLite file)."""
        if self.sqlite_file is not None:
            try:
                self.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise Unavailable(f"cannot create {self.sqlite_file.parent}: {exc}") from exc
        with reachable(), self._migration_lock(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        self.migrated = True

    @property
    def sqlite_file(self) -> Path | None:
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        return Path(database)

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.sqlite_file is None:
            yield
            return
        with open(f"{self.sqlite_file}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def revision(self) -> str | None:
        with reachable(), self.engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    # --- captured answers ---------------------------------------------------------------------

    def capture(self, answers: list[CapturedAnswer]) -> None:
        with reachable(), self.sessions.begin() as session:
            session.add_all(answers)

    def answer(self, answer_id: str) -> CapturedAnswer | None:
        with reachable(), self.sessions() as session:
            return session.get(CapturedAnswer, answer_id)

    def forget_answers(self, before: datetime) -> int:
        """Delete captured answers older than `before` (their corrections keep their images)."""
        with reachable(), self.sessions.begin() as session:
            result = session.execute(
                delete(CapturedAnswer).where(CapturedAnswer.created_at < before)
            )
            return result.rowcount or 0

    # --- corrections --------------------------------------------------------------------------

    def correct(self, correction: Correction) -> tuple[Correction, bool]:
        """Store a correction; one of an answer already corrected replaces that one (same id).
        Returns the stored row and whether it replaced one. Committed before it returns."""
        with reachable():
            for _ in range(3):  # two replicas correcting one answer at once: the loser updates
                try:
                    return self._upsert(correction)
                except IntegrityError:
                    continue
            raise Unavailable("a correction of the same answer kept conflicting")

    def _upsert(self, correction: Correction) -> tuple[Correction, bool]:
        with self.sessions.begin() as session:
            if correction.answer_id is not None:
                existing = session.scalar(
                    select(Correction).where(Correction.answer_id == correction.answer_id)
                )
                if existing is not None:
                    existing.label, existing.updated_at = correction.label, correction.updated_at
                    existing.client = correction.client
                    return existing, True
            session.add(correction)
            return correction, False

    def correction(self, correction_id: str) -> Correction | None:
        with reachable(), self.sessions() as session:
            return session.get(Correction, correction_id)

    def corrections(
        self,
        after: datetime | None = None,
        before: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Correction]:
        """Oldest first (the order they trained in and are held out by)."""
        query = select(Correction).order_by(Correction.created_at, Correction.id)
        if after is not None:
            query = query.where(Correction.created_at >= after)
        if before is not None:
            query = query.where(Correction.created_at < before)
        query = query.offset(offset).limit(limit)
        with reachable(), self.sessions() as session:
            return list(session.scalars(query))

    def count(self) -> int:
        with reachable(), self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Correction)) or 0

    def delete(self, correction_id: str) -> bool:
        with reachable(), self.sessions.begin() as session:
            result = session.execute(delete(Correction).where(Correction.id == correction_id))
            return bool(result.rowcount)

    def delete_before(self, before: datetime) -> int:
        with reachable(), self.sessions.begin() as session:
            result = session.execute(delete(Correction).where(Correction.created_at < before))
            return result.rowcount or 0
