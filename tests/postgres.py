"""A real PostgreSQL server for the tests: Debian's `postgresql` binaries, a fresh cluster in a
temporary folder, run as its own unprivileged user (PostgreSQL refuses to run as root), on a
free loopback port. Where the binaries are missing the tests that need it skip, saying so;
scripts/test.sh installs them, so CI runs those tests."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.harness import free_port

USER = "postgres"


def binaries() -> Path | None:
    """The newest installed server's bin folder (Debian keeps them under /usr/lib/postgresql)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def why_not() -> str | None:
    """Why no server can start here, or None where one can."""
    if binaries() is None:
        return "PostgreSQL's server is not installed (Debian's package postgresql)"
    if os.getuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            return f"running as root with no '{USER}' user to run PostgreSQL as"
    return None


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", USER, "--", *command] if os.getuid() == 0 else command


def run(bin_dir: Path, program: str, *args: str) -> None:
    command = as_server_user([str(bin_dir / program), *args])
    subprocess.run(command, check=True, capture_output=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A started server with an empty database `digits`; yields its SQLAlchemy URL."""
    bin_dir = binaries()
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="digits-pg-"))
    data, port = root / "data", free_port()
    if os.getuid() == 0:
        shutil.chown(root, USER)
    run(bin_dir, "initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8")
    run(
        bin_dir,
        "pg_ctl",
        "-D",
        str(data),
        "-l",
        str(root / "log"),
        "-w",
        "-t",
        "60",
        "start",
        "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on",
    )
    try:
        run(bin_dir, "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", USER, "digits")
        yield f"postgresql://{USER}@127.0.0.1:{port}/digits"
    finally:
        subprocess.run(
            as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    import psycopg

    name = f"digits_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + "/" + name
