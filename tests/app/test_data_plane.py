"""The data plane itself, below the routes: what every protocol's images go through."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.api.deps import Running


@pytest.fixture(scope="module")
def running(client) -> Running:
    return client.app.state.running


def call(client, function, *args):
    """An async function of the app run on the app's own event loop (its batchers live there)."""
    return client.portal.call(function, *args)


def counted(running: Running) -> float:
    return sum(c._value.get() for c in running.versions.get().counts)


def test_predict_answers_each_image_with_an_id_and_counts_it_once(client, running, sample_digits):
    images = sample_digits.images[:60].astype(np.float32)
    before = counted(running)

    async def predict():
        with running.versions.lease() as lease:
            return await running.plane.predict(lease, images)

    answers = call(client, predict)
    assert counted(running) - before == 60
    assert (np.array(answers.digits) == sample_digits.labels[:60]).mean() >= 0.98
    assert len(set(answers.ids)) == 60 and answers.probabilities.shape == (60, 10)
    assert all(isinstance(d, bool) for d in answers.is_digit)
    assert answers.version == running.versions.get().version


def test_the_version_rule_judges_and_counts_refusals(client, running):
    lease_of = running.versions.lease
    threshold = running.versions.get().model.answering.not_a_digit.threshold
    outputs = np.zeros((3, 11), np.float32)
    outputs[:, 3] = 1.0
    outputs[:, 10] = [threshold - 0.01, threshold, 1.0]
    refused_before = running.telemetry.not_a_digit._value.get()
    with lease_of() as lease:
        answers = running.plane.answer(lease, outputs)
    assert answers.is_digit == [False, True, True]
    assert answers.labels() == ["not_a_digit", "3", "3"]
    assert running.telemetry.not_a_digit._value.get() - refused_before == 1


def test_a_lease_holds_its_version_and_is_announced_until_it_submits(client, running):
    served = running.versions.get()

    async def lease_and_submit():
        with running.versions.lease() as lease:
            held = (served.leases, served.batcher._announced)
            await lease.submit(np.zeros((1, 28, 28), np.float32))
            submitted = served.batcher._announced
        return held, submitted

    held, submitted = call(client, lease_and_submit)
    assert held == (1, 1) and submitted == 0
    assert served.leases == 0 and served.batcher._announced == 0


def number_image(digits: list[np.ndarray]) -> Image.Image:
    gap = np.zeros((28, 16), np.uint8)
    strip = np.hstack([part for d in digits for part in (d, gap)][:-1])
    return Image.fromarray(255 - np.pad(strip, 20), "L").resize((strip.shape[1] * 3 + 120, 204))


def test_read_and_number_in_agree_on_separate_sure_digits(client, running, sample_digits):
    picks = [int(np.flatnonzero(sample_digits.labels == d)[0]) for d in (4, 7)]
    digits = [sample_digits.images[i] for i in picks]

    async def both():
        with running.versions.lease() as lease:
            read = await running.plane.read(lease, number_image(digits))
            named = await running.plane.number_in(lease, number_image(digits))
            alone = await running.plane.number_in(lease, number_image(digits[:1]))
        return read, named, alone

    read, named, alone = call(client, both)
    assert read.text == "47" and len(read.boxes) == 2 and read.strangers == []
    assert named is not None and named.text == "47"
    assert alone is None  # one digit is no number


def test_v2_answers_a_wrong_method_in_its_own_shape(client):
    response = client.get("/v2/models/digits/infer")
    assert response.status_code == 405 and set(response.json()) == {"error"}
    assert response.headers["allow"] == "POST"
    rejected = client.app.state.telemetry.registry.get_sample_value
    before = rejected("digits_rejected_inputs_total", {"reason": "model_not_found"}) or 0
    assert client.get("/v2/models/other/ready").status_code == 404
    after = rejected("digits_rejected_inputs_total", {"reason": "model_not_found"})
    assert after == before + 1
