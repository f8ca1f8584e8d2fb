"""`python -m training publish`: add a trained model to a model repository as a new version.

    python -m training publish model --repository models            # the next number
    python -m training publish model --repository models --version 7

The version appears whole or not at all (`digits.repository.publish`), so a server watching the
repository (DIGITS_MODEL_REPOSITORY) loads it, checks it and swaps it in without a restart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digits.repository import publish
from digits.runtime import ModelLoadError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training publish", description=__doc__)
    parser.add_argument("source", type=Path, help="a model folder (model.tflite, metrics.json)")
    parser.add_argument("--repository", type=Path, required=True, help="the repository folder")
    parser.add_argument("--version", type=int, help="a number not taken (default: the next)")
    args = parser.parse_args(argv)
    if args.version is not None and args.version < 1:
        parser.error("--version must be a positive number")
    try:
        target = publish(args.source, args.repository, args.version)
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"published {args.source} as version {target.name}: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
