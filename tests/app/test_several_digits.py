"""A number sent where one digit is asked for: refused as `several_digits`, with its reading."""

from __future__ import annotations

import numpy as np
import pytest

from synthesis.numbers import compose, paper


@pytest.fixture(scope="module")
def numbers(mnist_test) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(11)
    made = []
    for _ in range(10):
        picks = rng.choice(len(mnist_test), int(rng.integers(2, 4)), replace=False)
        text = "".join(str(int(d)) for d in mnist_test.labels[picks])
        made.append((text, paper(compose(mnist_test.images[picks], False, rng), rng)))
    return made


def test_a_number_sent_to_predict_says_what_it_reads(client, numbers) -> None:
    said = 0
    for text, data in numbers:
        response = client.post("/predict", content=data, headers={"Content-Type": "image/png"})
        assert response.status_code == 422
        body = response.json()
        if body["error"]["code"] == "several_digits":
            said += 1
            assert body["reading"]["text"] in body["error"]["message"]
            assert len(body["reading"]["digits"]) >= 2
            assert body["prediction"]["is_digit"] is False
            said_right = body["reading"]["text"] == text
            assert said_right or len(body["reading"]["text"]) == len(text)
    assert said >= 9


def test_one_digit_and_batches_are_not_read_as_numbers(client, sample_digits, numbers) -> None:
    rng = np.random.default_rng(0)
    one = paper(compose(sample_digits.images[:1], False, rng), rng)
    answer = client.post("/predict", content=one, headers={"Content-Type": "image/png"}).json()
    assert answer["digit"] == int(sample_digits.labels[0])
    files = [("files", ("n.png", numbers[0][1], "image/png"))]
    [item] = client.post("/predict/batch", files=files).json()["predictions"]
    assert item["error"]["code"] == "not_a_digit"  # a batch keeps one answer per image


def test_the_page_without_javascript_offers_the_number(client, numbers) -> None:
    _, data = numbers[0]
    answer = client.post("/predict", content=data, headers={"Content-Type": "image/png"}).json()
    response = client.post(
        "/", files={"file": ("n.png", data, "image/png")}, data={"mode": "digit"}
    )
    assert response.status_code == 422
    assert "looks like a number" in response.text and "Read it as a number" in response.text
    assert f"<strong>{answer['reading']['text']}</strong>" in response.text
