"""The feedback database itself, on a real SQLite file and a real PostgreSQL server: migrations,
corrections replaced rather than doubled (from many threads at once), deletion, retention."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import inspect

from app.feedback.store import FeedbackStore, Unavailable, new_id, now, pack, unpack
from app.feedback.tables import CapturedAnswer, Correction
from tests.harness import free_port


@pytest.fixture
def store(database_url):
    store = FeedbackStore(database_url)
    store.migrate()
    yield store
    store.close()


def correction(answer_id: str | None, label: str, **fields) -> Correction:
    at = fields.pop("at", now())
    inputs = fields.pop("inputs", np.zeros((1, 28, 28), np.float32))
    return Correction(
        id=new_id(),
        answer_id=answer_id,
        created_at=at,
        updated_at=at,
        label=label,
        answered="7",
        version="1",
        client="c",
        images=len(inputs),
        inputs=pack(inputs),
    )


def test_migrations_make_the_tables_and_running_them_again_keeps_the_data(store) -> None:
    assert store.revision() == "0001"
    assert {"captured_answers", "corrections"} <= set(inspect(store.engine).get_table_names())
    store.correct(correction(None, "3"))
    again = FeedbackStore(str(store.engine.url.render_as_string(hide_password=False)))
    again.migrate()
    assert again.count() == 1 and again.revision() == "0001"
    again.close()


def test_inputs_are_kept_exactly_as_the_model_saw_them(store) -> None:
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.float32)
    stored, _ = store.correct(correction(None, "123", inputs=images))
    assert np.array_equal(unpack(store.correction(stored.id).inputs), images.astype(np.uint8))


def test_a_second_correction_of_an_answer_replaces_the_first(store) -> None:
    first, replaced = store.correct(correction("a" * 32, "1"))
    assert not replaced
    second, replaced = store.correct(correction("a" * 32, "2"))
    assert replaced and second.id == first.id
    assert [c.label for c in store.corrections()] == ["2"]


def test_many_threads_correcting_one_answer_leave_one_correction(store) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda i: store.correct(correction("b" * 32, str(i % 10))), range(32))
        )
    assert len({stored.id for stored, _ in results}) == 1
    assert sum(not replaced for _, replaced in results) == 1
    assert store.count() == 1


def test_corrections_are_listed_oldest_first_and_deleted_by_id_or_time(store) -> None:
    old = correction(None, "1", at=now() - timedelta(days=3))
    new = correction(None, "2")
    store.correct(new)
    store.correct(old)
    assert [c.label for c in store.corrections()] == ["1", "2"]
    assert [c.label for c in store.corrections(after=now() - timedelta(days=1))] == ["2"]
    assert store.delete_before(now() - timedelta(days=1)) == 1
    assert store.delete(new.id) and not store.delete(new.id)
    assert store.count() == 0


def test_captured_answers_older_than_their_days_are_forgotten(store) -> None:
    def answer(age: timedelta) -> CapturedAnswer:
        return CapturedAnswer(
            id=new_id(),
            created_at=now() - age,
            endpoint="predict",
            version="1",
            answer="7",
            confidence=0.9,
            images=1,
            inputs=pack(np.zeros((1, 28, 28))),
        )

    kept, stale = answer(timedelta(0)), answer(timedelta(days=31))
    store.capture([kept, stale])
    assert store.forget_answers(now() - timedelta(days=30)) == 1
    assert store.answer(kept.id) is not None and store.answer(stale.id) is None


def test_a_database_that_cannot_be_reached_is_one_clear_error() -> None:
    store = FeedbackStore(f"postgresql://nobody@127.0.0.1:{free_port()}/digits")
    with pytest.raises(Unavailable) as raised:
        store.migrate()
    assert raised.value.status == 503 and raised.value.code == "database_unavailable"


def test_the_migrate_command_brings_a_database_to_the_latest_revision(database_url) -> None:
    import subprocess
    import sys

    from tests.harness import REPO

    done = subprocess.run(
        [sys.executable, "-m", "app.feedback", "migrate"],
        cwd=REPO,
        env={"DIGITS_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "revision 0001" in done.stdout
    store = FeedbackStore(database_url)
    assert store.revision() == "0001"
    store.close()
