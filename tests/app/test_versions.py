"""Model versions: a repository served latest-first, any loaded version on request, new versions
checked and swapped in while requests flow, broken ones refused while the old keeps answering."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from digits.contract import SERVING_FILENAME
from digits.repository import CHECKSUMS_FILENAME, publish
from digits.runtime import LiteRTModel
from tests.harness import MODEL_DIR, make_client, png_bytes, running_service

FULL, FAST = MODEL_DIR, MODEL_DIR / "fast"  # two different models: their answers tell them apart


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    publish(FULL, tmp_path / "repo")
    return tmp_path / "repo"


def upload(image) -> dict:
    return {"file": ("d.png", png_bytes(image), "image/png")}


def test_the_model_folder_alone_is_version_1(client) -> None:
    model = client.get("/model").json()
    assert model["version"] == "1" and model["loaded_versions"] == ["1"]


def test_the_latest_answers_and_any_loaded_version_on_request(repository, sample_digits) -> None:
    publish(FAST, repository)
    image = upload(sample_digits.images[0])
    with make_client(model_repository=repository, model_poll_s=0) as client:
        assert client.get("/model").json()["loaded_versions"] == ["1", "2"]
        latest = client.post("/predict", files=image).json()
        first = client.post("/predict?version=1", files=image).json()
        assert (latest["model_version"], latest["model"]) == ("2", "mnist-compact")
        assert (first["model_version"], first["model"]) == ("1", "mnist-compact+mnist-deep")
        assert client.get("/model?version=1").json()["name"] == "mnist-compact+mnist-deep"
        missing = client.post("/predict?version=3", files=image)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "version_not_found"
        assert client.get("/metrics").json()["served"]["version"] == "2"


def test_a_pinned_version_is_the_only_one_served(repository, sample_digits) -> None:
    publish(FAST, repository)
    with make_client(model_repository=repository, model_version=1, model_poll_s=0) as client:
        answer = client.post("/predict", files=upload(sample_digits.images[0])).json()
        assert answer["model_version"] == "1"
        assert client.get("/model").json()["loaded_versions"] == ["1"]
        states = {e["version"]: e["state"] for e in client.post("/v2/repository/index").json()}
        assert states == {"1": "READY", "2": "UNAVAILABLE"}


def test_only_the_latest_versions_stay_loaded(repository) -> None:
    publish(FAST, repository)
    publish(FAST, repository)
    with make_client(model_repository=repository, model_poll_s=0) as client:
        assert client.get("/model").json()["loaded_versions"] == ["2", "3"]


def damage(version: Path, how: str) -> None:
    if how == "checksum mismatch":
        (version / SERVING_FILENAME).write_bytes(b"not a model at all")
    elif how == "no checksums":
        (version / CHECKSUMS_FILENAME).unlink()
    else:  # checksums that agree with a file LiteRT cannot load
        (version / SERVING_FILENAME).write_bytes(b"not a model at all")
        (version / CHECKSUMS_FILENAME).unlink()
        from digits.repository import served_files, write_checksums

        write_checksums(version, served_files(version))


@pytest.mark.parametrize("how", ["checksum mismatch", "no checksums", "cannot load"])
def test_a_broken_version_is_refused_and_the_old_keeps_answering(
    repository, sample_digits, caplog, how
) -> None:
    with make_client(model_repository=repository, model_poll_s=0) as client:
        broken = publish(FAST, repository)
        damage(broken, how)
        with caplog.at_level(logging.ERROR, logger="app.versions"):
            report = client.post("/model/reload").json()
        assert list(report["refused"]) == ["2"] and report["default"] == "1"
        assert "model version 2 refused" in caplog.text and "still serving 1" in caplog.text
        answer = client.post("/predict", files=upload(sample_digits.images[0]))
        assert answer.status_code == 200 and answer.json()["model_version"] == "1"
        [entry] = [e for e in client.post("/v2/repository/index").json() if e["version"] == "2"]
        assert entry["state"] == "UNAVAILABLE" and entry["reason"]
        load = client.post("/v2/repository/models/digits/load")
        assert load.status_code == 400 and "version 2" in load.json()["error"]
        # mended (published again under the same number), it is taken on the next look
        shutil.rmtree(broken)
        publish(FAST, repository, version=2)
        assert client.post("/model/reload").json()["loaded"] == ["2"]
        assert (
            client.post("/predict", files=upload(sample_digits.images[0])).json()["model_version"]
            == "2"
        )


def test_the_watcher_waits_for_a_copy_to_settle(repository, sample_digits) -> None:
    """A version copied in file by file is loaded once it is whole, not refused half-written."""
    with make_client(model_repository=repository, model_poll_s=0.05) as client:
        staged = publish(FAST, repository.parent / "elsewhere")
        target = repository / "2"
        target.mkdir()
        shutil.copy2(staged / SERVING_FILENAME, target)  # the rest is still to come
        time.sleep(0.3)
        assert client.get("/model").json()["loaded_versions"] == ["1"]
        for name in ("metrics.json", CHECKSUMS_FILENAME):
            shutil.copy2(staged / name, target)
        deadline = time.monotonic() + 20
        while client.get("/model").json()["version"] != "2":
            assert time.monotonic() < deadline, "the watcher did not load version 2"
            time.sleep(0.05)


def test_a_pinned_version_that_is_missing_stops_startup(repository) -> None:
    from digits.runtime import ModelLoadError

    with (
        pytest.raises(ModelLoadError, match="no version found"),
        make_client(model_repository=repository, model_version=9),
    ):
        pass


async def storm(url: str, body: bytes, stop: asyncio.Event, concurrency: int) -> list:
    """`concurrency` clients posting one image back to back until `stop`; every outcome kept."""
    outcomes: list = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

        async def client() -> None:
            while not stop.is_set():
                try:
                    response = await http.post(
                        "/predict", content=body, headers={"Content-Type": "image/png"}
                    )
                    outcomes.append((response.status_code, response.json()))
                except httpx.HTTPError as exc:
                    outcomes.append((None, repr(exc)))

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return outcomes


def least_sure(images: np.ndarray) -> int:
    """The image the fast network is least sure of: where both versions are sure, their answers
    round to the same probabilities and could not be told apart."""
    fast = LiteRTModel.open(FAST / SERVING_FILENAME)
    return int(fast.predict_all(images[..., np.newaxis].astype(np.float32)).max(axis=1).argmin())


def test_a_swap_under_load_loses_and_fails_nothing(tmp_path: Path, sample_digits) -> None:
    """Concurrency 32 while version 2 is published and swapped in: every request answered 200,
    each answer exactly one version's (its probabilities those that version gives alone)."""
    repository = tmp_path / "repo"
    publish(FULL, repository)
    body = png_bytes(sample_digits.images[least_sure(sample_digits.images)])
    env = {"DIGITS_MODEL_REPOSITORY": str(repository), "DIGITS_MODEL_POLL_S": "0.1"}
    with running_service("versions_swap.log", **env) as service:

        async def scenario() -> list:
            stop = asyncio.Event()
            running = asyncio.create_task(storm(service.url, body, stop, 32))
            await asyncio.sleep(2)
            await asyncio.to_thread(publish, FAST, repository)
            async with httpx.AsyncClient(base_url=service.url) as http:
                deadline = time.monotonic() + 60
                while (await http.get("/model")).json()["version"] != "2":
                    assert time.monotonic() < deadline, "version 2 was not swapped in"
                    await asyncio.sleep(0.05)
            await asyncio.sleep(2)
            stop.set()
            return await running

        outcomes = asyncio.run(scenario())
        alone = {
            version: httpx.post(
                f"{service.url}/predict?version={version}",
                content=body,
                headers={"Content-Type": "image/png"},
            ).json()
            for version in ("1", "2")
        }
    failures = [o for o in outcomes if o[0] != 200]
    assert not failures, failures[:3]
    by_version = {"1": 0, "2": 0}
    for _, answer in outcomes:
        expected = alone[answer["model_version"]]
        assert answer["probabilities"] == expected["probabilities"]
        assert answer["model"] == expected["model"]
        by_version[answer["model_version"]] += 1
    assert by_version["1"] > 0 and by_version["2"] > 0, by_version
    assert alone["1"]["probabilities"] != alone["2"]["probabilities"]  # the check can tell


def test_reloading_takes_the_api_key_when_one_is_set() -> None:
    with make_client(api_key="k") as keyed:
        assert keyed.post("/model/reload").status_code == 401
        assert keyed.post("/v2/repository/models/digits/load").status_code == 401
        report = keyed.post("/model/reload", headers={"X-API-Key": "k"})
        assert report.status_code == 200 and report.json()["default"] == "1"
        assert keyed.get("/model").status_code == 200  # reading stays open
