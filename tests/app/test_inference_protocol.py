"""/v2, the Open Inference Protocol, driven by its real client (tritonclient) as operators use
it, and refusing every malformed tensor with the protocol's 400."""

from __future__ import annotations

import base64
import json
import struct

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from digits.contract import INPUT_SHAPE
from tests.harness import png_bytes


@pytest.fixture(scope="module")
def protocol(live_server: str) -> triton.InferenceServerClient:
    return triton.InferenceServerClient(live_server.removeprefix("http://"))


def predicted(client, images: np.ndarray) -> list[dict]:
    files = [("files", (f"{i}.png", png_bytes(im), "image/png")) for i, im in enumerate(images)]
    return client.post("/predict/batch?always_guess=true", files=files).json()["predictions"]


def test_health_and_metadata(protocol) -> None:
    assert protocol.is_server_live() and protocol.is_server_ready()
    assert protocol.is_model_ready("digits") and protocol.is_model_ready("digits", "1")
    assert not protocol.is_model_ready("another")
    server = protocol.get_server_metadata()
    assert server["name"] == "digits" and "binary_tensor_data" in server["extensions"]
    model = protocol.get_model_metadata("digits")
    assert model["versions"] == ["1"]
    assert {i["name"]: (i["datatype"], i["shape"]) for i in model["inputs"]} == {
        "pixels": ("FP32", [-1, *INPUT_SHAPE]),
        "images": ("BYTES", [-1]),
    }
    assert ("probabilities", "FP32", [-1, 10]) in [
        (o["name"], o["datatype"], o["shape"]) for o in model["outputs"]
    ]


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_raw_pixels_answer_as_predict_does(protocol, client, sample_digits, binary) -> None:
    """MNIST arrays as the contract says; the same probabilities as /predict of their PNGs."""
    images = sample_digits.images[::15]
    tensor = triton.InferInput("pixels", [len(images), *INPUT_SHAPE], "FP32")
    tensor.set_data_from_numpy(images[..., None].astype(np.float32), binary_data=binary)
    outputs = [
        triton.InferRequestedOutput(name, binary_data=binary)
        for name in ("probabilities", "digit", "is_digit")
    ]
    result = protocol.infer("digits", [tensor], outputs=outputs, request_id="r-1")
    answers = predicted(client, images)
    assert result.get_response()["model_version"] == "1"
    assert result.get_response()["id"] == "r-1"
    assert result.as_numpy("digit").tolist() == [a["digit"] for a in answers]
    np.testing.assert_allclose(
        result.as_numpy("probabilities"), [a["probabilities"] for a in answers], atol=2e-6
    )
    assert result.as_numpy("is_digit").tolist() == [a["is_digit"] for a in answers]
    assert (result.as_numpy("digit") == sample_digits.labels[::15]).mean() >= 0.95


def test_encoded_images_get_predicts_preparation(protocol, client, sample_digits) -> None:
    """Uploads sent as they are (a BYTES tensor of PNGs), prepared as /predict prepares them."""
    images = sample_digits.images[3::30]
    encoded = np.array([png_bytes(255 - im) for im in images], dtype=object)  # dark on light
    tensor = triton.InferInput("images", [len(encoded)], "BYTES")
    tensor.set_data_from_numpy(encoded)
    result = protocol.infer("digits", [tensor])  # every output, binary, the client's default
    answers = predicted(client, 255 - images)
    assert result.as_numpy("digit").tolist() == [a["digit"] for a in answers]
    np.testing.assert_allclose(
        result.as_numpy("digit_score"), [a["digit_score"] for a in answers], atol=2e-6
    )


def test_encoded_images_in_json_are_base64(client, sample_digits) -> None:
    image = sample_digits.images[0]
    request = {
        "inputs": [
            {
                "name": "images",
                "shape": [1],
                "datatype": "BYTES",
                "data": [base64.b64encode(png_bytes(image)).decode()],
            }
        ]
    }
    response = client.post("/v2/models/digits/versions/1/infer", json=request)
    assert response.status_code == 200, response.text
    outputs = {o["name"]: o for o in response.json()["outputs"]}
    assert outputs["digit"]["data"] == [int(sample_digits.labels[0])]


def test_errors_reach_the_client_as_the_protocol_says(protocol) -> None:
    with pytest.raises(InferenceServerException, match="not served here"):
        protocol.get_model_metadata("another")
    tensor = triton.InferInput("pixels", [1, 28, 28], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 28, 28), np.float32))
    with pytest.raises(InferenceServerException, match=r"must be FP32 \[-1, 28, 28, 1\]"):
        protocol.infer("digits", [tensor])
    with pytest.raises(InferenceServerException, match="not loaded"):
        protocol.infer("digits", [tensor], model_version="9")


def pixels_request(shape: list[int], data: object, datatype: str = "FP32") -> dict:
    return {"inputs": [{"name": "pixels", "shape": shape, "datatype": datatype, "data": data}]}


ZEROS = [0.0] * 784
MALFORMED_JSON = {
    "not JSON": b"{inputs",
    "no inputs": b"{}",
    "two inputs": json.dumps({"inputs": [pixels_request([1, 28, 28, 1], ZEROS)["inputs"][0]] * 2}),
    "unknown input": json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]}),
    "wrong shape": json.dumps(pixels_request([1, 28, 28], ZEROS)),
    "wrong datatype": json.dumps(pixels_request([1, 28, 28, 1], ZEROS, "INT8")),
    "too few values": json.dumps(pixels_request([1, 28, 28, 1], ZEROS[:-1])),
    "too many images": json.dumps(pixels_request([65, 28, 28, 1], ZEROS * 65)),
    "no images": json.dumps(pixels_request([0, 28, 28, 1], [])),
    "NaN": json.dumps(pixels_request([1, 28, 28, 1], [float("nan"), *ZEROS[1:]])),
    "out of range": json.dumps(pixels_request([1, 28, 28, 1], [300.0, *ZEROS[1:]])),
    "negative": json.dumps(pixels_request([1, 28, 28, 1], [-1.0, *ZEROS[1:]])),
    "strings": json.dumps(pixels_request([1, 28, 28, 1], ["a"] * 784)),
    "ragged": json.dumps(pixels_request([1, 28, 28, 1], [[0.0] * 28] * 27 + [[0.0]])),
    "unknown output": json.dumps(
        {**pixels_request([1, 28, 28, 1], ZEROS), "outputs": [{"name": "x"}]}
    ),
    "bad base64": json.dumps(
        {"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "data": ["%%%"]}]}
    ),
    "not an image": json.dumps(
        {"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "data": ["aGVsbG8="]}]}
    ),
    "blank image": json.dumps(
        {
            "inputs": [
                {
                    "name": "images",
                    "shape": [1],
                    "datatype": "BYTES",
                    "data": [base64.b64encode(png_bytes(np.zeros((28, 28), np.uint8))).decode()],
                }
            ]
        }
    ),
}


@pytest.mark.parametrize("body", MALFORMED_JSON.values(), ids=MALFORMED_JSON.keys())
def test_malformed_json_tensors_are_400(client, body) -> None:
    response = client.post("/v2/models/digits/infer", content=body)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"} and response.json()["error"]


def binary_request(size: int, payload: bytes, header_length: int | None = None) -> tuple:
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "pixels",
                    "shape": [1, 28, 28, 1],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": size},
                }
            ]
        }
    ).encode()
    length = len(header) if header_length is None else header_length
    return header + payload, {"Inference-Header-Content-Length": str(length)}


FOUR_BYTES = np.zeros(784, "<f4").tobytes()
MALFORMED_BINARY = {
    "size beyond the body": binary_request(10_000, FOUR_BYTES),
    "bytes left over": binary_request(len(FOUR_BYTES), FOUR_BYTES + b"xx"),
    "too few bytes": binary_request(100, FOUR_BYTES[:100]),
    "header length beyond the body": binary_request(len(FOUR_BYTES), FOUR_BYTES, 10**9),
    "header length not a number": (b"{}", {"Inference-Header-Content-Length": "ten"}),
    "infinity": binary_request(len(FOUR_BYTES), np.full(784, np.inf, "<f4").tobytes()),
}


@pytest.mark.parametrize("case", MALFORMED_BINARY.values(), ids=MALFORMED_BINARY.keys())
def test_malformed_binary_tensors_are_400(client, case) -> None:
    body, headers = case
    response = client.post("/v2/models/digits/infer", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


def test_a_cut_bytes_element_is_400(client) -> None:
    chunk = struct.pack("<I", 100) + b"short"
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "images",
                    "shape": [1],
                    "datatype": "BYTES",
                    "parameters": {"binary_data_size": len(chunk)},
                }
            ]
        }
    ).encode()
    response = client.post(
        "/v2/models/digits/infer",
        content=header + chunk,
        headers={"Inference-Header-Content-Length": str(len(header))},
    )
    assert response.status_code == 400 and "past the end" in response.json()["error"]


def test_unknown_routes_and_models_answer_in_the_protocols_shape(client) -> None:
    for response in (
        client.get("/v2/models/other"),
        client.get("/v2/models/digits/versions/5"),
        client.post("/v2/nothing"),
    ):
        assert response.status_code == 404 and set(response.json()) == {"error"}
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}


def test_infer_takes_the_api_key_when_one_is_set(sample_digits) -> None:
    from tests.harness import make_client

    body = pixels_request([1, 28, 28, 1], sample_digits.images[0].astype(float).ravel().tolist())
    with make_client(api_key="k") as keyed:
        assert keyed.post("/v2/models/digits/infer", json=body).status_code == 401
        ok = keyed.post("/v2/models/digits/infer", json=body, headers={"X-API-Key": "k"})
        assert ok.status_code == 200
        assert keyed.get("/v2/health/ready").status_code == 200  # health stays open
