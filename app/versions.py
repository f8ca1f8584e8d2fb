"""Model versions: which are loaded, which one answers, and swapping them while requests flow.

Without a repository the model folder is the one version, "1". With one (`DIGITS_MODEL_REPOSITORY`,
laid out as `digits.repository` says) the latest versions are loaded, the newest answers unless a
request names another, and a watcher loads what appears: each new version is checked (its
checksums, then a warm-up inference) and loaded beside the old before it takes over, and a
broken one is refused with a log line while the old keeps answering.

Every request holds a lease on the version it started with, so a swap never changes the model
under a request: a retired version finishes the requests it holds, then its batcher stops.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from starlette.concurrency import run_in_threadpool

from app.batching import Announced, MicroBatcher
from app.core.config import Settings
from app.core.errors import ApiError
from app.telemetry import Telemetry
from digits.contract import INPUT_SHAPE, NUM_CLASSES
from digits.repository import fingerprint, verify_checksums, versions
from digits.runtime import ModelLoadError
from digits.served import ServedModel, load_model

log = logging.getLogger("app.versions")

SINGLE_VERSION = "1"  # the name of the model folder's model where there is no repository


@dataclass(eq=False)
class LoadedVersion:
    """One version, loaded and warmed up, with its own batcher (and inference thread)."""

    version: str
    model: ServedModel
    batcher: MicroBatcher
    fingerprint: str
    path: Path
    counts: list = field(default_factory=list)  # its predictions counter, by digit
    leases: int = 0  # requests answering with this version right now


@dataclass
class Refused:
    fingerprint: str
    reason: str


@dataclass
class SyncReport:
    """What one look at the repository did."""

    loaded: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Lease:
    """A request's hold on the version that answers it, from the request's start to its answer
    (a swap never changes the model under a request): held inside `with lease:`, and announced
    to that version's batcher there until the request submits its images."""

    served: LoadedVersion
    announced: Announced | None = None

    def __enter__(self) -> Lease:
        self.served.leases += 1
        self.announced = self.served.batcher.announce()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.announced is not None:
            self.announced.withdraw()
        self.served.leases -= 1

    @property
    def version(self) -> str:
        return self.served.version

    @property
    def model(self) -> ServedModel:
        return self.served.model

    async def submit(self, images: np.ndarray) -> np.ndarray:
        """The model's outputs for (k, 28, 28) images, in a batch shared with other requests."""
        return await self.served.batcher.submit(images, self.announced)


def warm_up(model: ServedModel, max_batch: int) -> None:
    """The first calls at each batch size are slow: make them now, and check that what comes out
    is probabilities, so that a version that loads but answers garbage never takes traffic."""
    for size in (1, max_batch):
        out = model.predict(np.zeros((size, *INPUT_SHAPE), np.float32))
        probabilities = out[:, :NUM_CLASSES] if out.ndim == 2 else out
        if (
            out.shape[0] != size
            or probabilities.shape != (size, NUM_CLASSES)
            or not np.isfinite(out).all()
            or not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)
        ):
            raise ModelLoadError(f"{model.path}: the warm-up inference gave no probabilities")


class ModelVersions:
    """The loaded versions and the default one; every change of them happens here."""

    def __init__(self, settings: Settings, telemetry: Telemetry) -> None:
        self.settings = settings
        self.telemetry = telemetry
        self.loaded: dict[str, LoadedVersion] = {}
        self.default: LoadedVersion | None = None
        self.refused: dict[str, Refused] = {}
        self._seen: dict[str, str] = {}  # fingerprints at the previous look
        self._lock = asyncio.Lock()
        self._draining: set[asyncio.Task] = set()
        self._watcher: asyncio.Task | None = None

    @property
    def repository(self) -> Path | None:
        return self.settings.model_repository

    def available(self) -> dict[str, Path]:
        """The versions there are (every number in the repository, or the model folder)."""
        if self.repository is None:
            return {SINGLE_VERSION: self.settings.model_dir}
        return {str(n): path for n, path in versions(self.repository).items()}

    def look(self) -> tuple[dict[str, Path], dict[str, str]]:
        """The versions there are and their fingerprints, in one pass over the disk."""
        available = self.available()
        return available, {v: fingerprint(path) for v, path in available.items()}

    def wanted(self, available: dict[str, Path]) -> dict[str, Path]:
        """The versions to keep loaded: the pinned one, or the latest few."""
        pinned = self.settings.model_version
        if pinned is not None:
            return {str(pinned): available[str(pinned)]} if str(pinned) in available else {}
        latest = sorted(available, key=int)[-self.settings.model_versions_loaded :]
        return {v: available[v] for v in latest}

    def get(self, version: str | None = None) -> LoadedVersion:
        """The version a request asked for, or the default; 404 where it is not loaded."""
        if version is None and self.default is not None:
            return self.default
        if version in self.loaded:
            return self.loaded[version]
        loaded = ", ".join(sorted(self.loaded, key=int)) or "none"
        raise ApiError(
            404, "version_not_found", f"Model version {version} is not loaded (loaded: {loaded})."
        )

    def lease(self, version: str | None = None) -> Lease:
        """The version that answers a request from its start to its answer, swap or not; an
        unknown version is refused here, before the lease is held (`with lease:`)."""
        return Lease(self.get(version))

    def unavailable(self, version: str) -> str | None:
        """Why a version in the repository is not loaded; None where it is."""
        if version in self.loaded:
            return None
        refused = self.refused.get(version)
        return refused.reason if refused else "not loaded: not among the versions kept"

    async def start(self) -> None:
        """Load the versions there are; raise ModelLoadError where none can serve."""
        report = await self.sync(settle=False)
        if self.default is None:
            where = self.repository or self.settings.model_dir
            reasons = "; ".join(report.refused.values()) or f"no version found in {where}"
            raise ModelLoadError(reasons)
        if self.repository is not None and self.settings.model_poll_s > 0:
            self._watcher = asyncio.create_task(self._watch(), name="model-watcher")

    async def sync(self, settle: bool = False) -> SyncReport:
        """Load what is new or changed, make the newest the default, retire what is no longer
        wanted. With `settle` (the watcher), a version is loaded only once its files are the
        same as at the previous look: a copy still being written waits."""
        async with self._lock:
            report = SyncReport()
            available, prints = await run_in_threadpool(self.look)
            keep: dict[str, LoadedVersion] = {}
            for version, path in self.wanted(available).items():
                current = self.loaded.get(version)
                print_now = prints[version]
                if current and current.fingerprint == print_now:
                    keep[version] = current
                    continue
                # the watcher waits for a copy to settle, and never retries a refused version
                # unchanged; a look someone asked for (startup, reload) tries everything
                refused = self.refused.get(version)
                known_bad = refused is not None and refused.fingerprint == print_now
                if settle and (self._seen.get(version) != print_now or known_bad):
                    if current:
                        keep[version] = current
                    continue
                fresh = await self._load(version, path, print_now, report)
                if fresh:
                    keep[version] = fresh
                elif current:
                    keep[version] = current
            self._seen = prints
            self._swap(keep, report)
            return report

    async def _load(
        self, version: str, path: Path, print_now: str, report: SyncReport
    ) -> LoadedVersion | None:
        try:
            model = await run_in_threadpool(self._open, path)
        except ModelLoadError as exc:
            self.refused[version] = Refused(print_now, str(exc))
            report.refused[version] = str(exc)
            self.telemetry.model_loads.labels("refused").inc()
            serving = self.default.version if self.default else "none"
            log.error("model version %s refused: %s (still serving %s)", version, exc, serving)
            return None
        self.refused.pop(version, None)
        report.loaded.append(version)
        self.telemetry.model_loads.labels("loaded").inc()
        counts = self.telemetry.digit_counters(version)
        return LoadedVersion(version, model, self._batcher(model), print_now, path, counts)

    def _open(self, path: Path) -> ServedModel:
        """Checked, loaded and warmed up, in a worker thread (the event loop keeps serving)."""
        s = self.settings
        if self.repository is not None:
            verify_checksums(path)
        model = load_model(path, s.inference_threads, s.cascade, s.not_a_digit)
        warm_up(model, s.batch_max_size if s.batching else 1)
        return model

    def _batcher(self, model: ServedModel) -> MicroBatcher:
        s = self.settings
        if model.cascade:
            model.cascade.on_handed_on = self.telemetry.handed_on.inc
        batcher = MicroBatcher(
            model.predict,
            max_batch=s.batch_max_size if s.batching else 1,
            max_wait_s=s.batch_max_wait_ms / 1000 if s.batching else 0.0,
            on_batch=self.telemetry.observe_batch,
        )
        batcher.start()
        return batcher

    def _swap(self, keep: dict[str, LoadedVersion], report: SyncReport) -> None:
        """One step on the event loop: requests from now on get the new set; those holding a
        lease on a version that leaves finish with it."""
        if not keep:  # nothing new can serve: the old versions keep answering
            if self.loaded:
                log.warning("no model version in the repository can serve; keeping the loaded")
            return
        leaving = [v for v in self.loaded.values() if keep.get(v.version) is not v]
        self.loaded = dict(sorted(keep.items(), key=lambda item: int(item[0])))
        self.default = self.loaded[max(self.loaded, key=int)]
        for version in self.loaded.values():
            self.telemetry.describe_model(
                version.version, version.model.answering, version is self.default
            )
        for old in leaving:
            report.retired.append(old.version)
            task = asyncio.create_task(self._drain(old))
            self._draining.add(task)
            task.add_done_callback(self._draining.discard)
        if report.loaded or leaving:
            log.info(
                "model versions loaded: %s; version %s answers",
                ", ".join(self.loaded),
                self.default.version,
            )

    async def _drain(self, old: LoadedVersion) -> None:
        """Retire a version once the requests holding it are answered."""
        while old.leases:
            await asyncio.sleep(0.01)
        await old.batcher.stop()
        if old.version not in self.loaded:
            self.telemetry.forget_model(old.version)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.model_poll_s)
            try:
                await self.sync(settle=True)
            except Exception:  # a failed look must not end the watching
                log.exception("looking at the model repository failed")

    async def close(self) -> None:
        if self._watcher:
            self._watcher.cancel()
        for version in self.loaded.values():
            await version.batcher.stop()
        await asyncio.gather(*self._draining, return_exceptions=True)
