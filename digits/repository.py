"""A model repository: numbered versions of the served model, as TF Serving lays them out.

    <repository>/1/model.tflite, metrics.json, fast/..., detector/..., judge/..., SHA256SUMS
    <repository>/2/...

Each version folder holds what the service runs (the files the card names) and `SHA256SUMS`
(in `sha256sum -c` format) so that a server can tell a complete copy from a torn or damaged one.
Training publishes into it (`python -m training publish`), writing a hidden folder first and
renaming it into place, so a watching server never sees half a version; a version copied in by
hand is considered once its files stop changing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from digits.card import CardError, ModelCard
from digits.contract import METRICS_FILENAME, SERVING_FILENAME
from digits.runtime import ModelLoadError, sha256

CHECKSUMS_FILENAME = "SHA256SUMS"


def versions(repository: Path) -> dict[int, Path]:
    """The version folders (named by a positive number) in the repository, by number."""
    if not repository.is_dir():
        return {}
    found = {}
    for entry in repository.iterdir():
        if entry.is_dir() and entry.name.isdigit() and int(entry.name) > 0:
            found[int(entry.name)] = entry
    return dict(sorted(found.items()))


def served_files(model_dir: Path) -> list[str]:
    """The files a server opens from this folder: the compiled model, its card and the networks
    the card names (the cascade's fast one, the not-a-digit detector, /read's piece judge, its
    slash reader and its gap reader)."""
    files = [SERVING_FILENAME, METRICS_FILENAME]
    try:
        card = ModelCard.read(model_dir)
    except CardError:
        return files
    if card.cascade:
        files.append(card.cascade.fast_model)
    if card.not_a_digit:
        files.append(card.not_a_digit.detector)
    if card.reading:
        files.append(card.reading.judge)
    if card.slash:
        files.append(card.slash.network)
    if card.gaps:
        files.append(card.gaps.network)
    return files


def fingerprint(model_dir: Path) -> str:
    """Changes whenever a served file (or the checksums) is written, added or removed: sizes and
    modification times, not contents, so that watching costs a few stats per poll."""
    digest = hashlib.sha256()
    for name in [*served_files(model_dir), CHECKSUMS_FILENAME]:
        try:
            stat = (model_dir / name).stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        except OSError:
            digest.update(f"{name}:missing;".encode())
    return digest.hexdigest()


def write_checksums(model_dir: Path, names: list[str]) -> Path:
    path = model_dir / CHECKSUMS_FILENAME
    path.write_text("".join(f"{sha256(model_dir / name)}  {name}\n" for name in names))
    return path


def verify_checksums(model_dir: Path) -> None:
    """Raise ModelLoadError where SHA256SUMS is missing, leaves a served file out, or does not
    match a file's contents."""
    path = model_dir / CHECKSUMS_FILENAME
    if not path.is_file():
        raise ModelLoadError(
            f"{model_dir}: no {CHECKSUMS_FILENAME} (publish with "
            "`python -m training publish`, or write it with sha256sum)"
        )
    listed = {}
    for line in path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name.strip()] = digest.strip()
    for name in served_files(model_dir):
        if name not in listed:
            raise ModelLoadError(f"{model_dir}: {CHECKSUMS_FILENAME} does not list {name}")
    for name, digest in listed.items():
        file = model_dir / name
        if not file.is_file():
            raise ModelLoadError(f"{model_dir}: {name} is missing")
        if sha256(file) != digest:
            raise ModelLoadError(f"{model_dir}: {name} does not match its checksum")


def publish(source: Path, repository: Path, version: int | None = None) -> Path:
    """Copy the served files of `source` into the repository as `version` (default: the next
    number), with their checksums, appearing at once: built in a hidden folder, then renamed."""
    names = served_files(source)
    missing = [name for name in names if not (source / name).is_file()]
    if missing:
        raise ModelLoadError(f"{source}: cannot publish, missing {', '.join(missing)}")
    repository.mkdir(parents=True, exist_ok=True)
    number = version or max(versions(repository), default=0) + 1
    target = repository / str(number)
    if target.exists():
        raise ModelLoadError(f"{target} exists: versions are never overwritten, publish a new one")
    staging = Path(tempfile.mkdtemp(prefix=f".{number}.", dir=repository))
    try:
        for name in names:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, staging / name)
        write_checksums(staging, names)
        for file in staging.rglob("*"):
            if file.is_file():
                with file.open("rb") as handle:
                    os.fsync(handle.fileno())
        staging.chmod(0o755)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
