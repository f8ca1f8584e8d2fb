"""Fixtures shared by the whole suite: MNIST, the committed model, and a running app."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digits.contract import SERVING_FILENAME
from digits.runtime import LiteRTModel
from tests.harness import MODEL_DIR, make_client, running_service
from tests.postgres import fresh_database, postgres_server
from tests.postgres import why_not as postgres_why_not
from training.data import VENDORED_MNIST, Digits, load_idx_dir


@pytest.fixture(scope="session")
def mnist_test() -> Digits:
    return load_idx_dir(VENDORED_MNIST, "test")


@pytest.fixture(scope="session")
def sample_digits(mnist_test: Digits) -> Digits:
    """A fixed, class-balanced sample of test digits: 30 of each."""
    picks = np.concatenate([np.flatnonzero(mnist_test.labels == d)[:30] for d in range(10)])
    return mnist_test.subset(picks)


@pytest.fixture(scope="module")
def runtime() -> LiteRTModel:
    """The committed full model, through the runtime the service uses."""
    return LiteRTModel.open(MODEL_DIR / SERVING_FILENAME)


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """The app on the committed model, lifespan run (model loaded, warmed up)."""
    with make_client() as test_client:
        yield test_client


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server for the session (tests/postgres.py); its URL."""
    reason = postgres_why_not()
    if reason is not None:
        pytest.skip(f"no PostgreSQL server can start here: {reason}")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty feedback database of each kind the service supports: an SQLite file, and a
    new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    return fresh_database(request.getfixturevalue("postgres"))


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    with running_service() as service:
        yield service.url
