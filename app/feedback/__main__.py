"""`python -m app.feedback migrate`: bring the feedback database (DIGITS_DATABASE_URL, or the
SQLite file in DIGITS_DATA_DIR) to the latest migration, as the service does at startup."""

from __future__ import annotations

import argparse
import sys

from app.core.config import get_settings
from app.feedback.store import FeedbackStore
from digits.errors import Refusal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.feedback", description=__doc__)
    parser.add_argument("command", choices=["migrate"])
    parser.parse_args(argv)
    store = FeedbackStore(get_settings().feedback_database_url)
    try:
        store.migrate()
        print(f"feedback database at revision {store.revision()}")
    except Refusal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
