"""KServe's own client (`kserve.InferenceRESTClient`, protocol v2) against the running service.

KServe pulls in pandas, kubernetes and a protobuf that TensorFlow's pin disagrees with, so it
lives in its own venv, outside the test suite's (tritonclient covers the protocol there):

    python3 -m venv .venv-kserve && .venv-kserve/bin/pip install kserve pillow
    .venv-kserve/bin/python -m bench.kserve_client http://127.0.0.1:8000

Prints what the client got and exits non-zero where an answer is not the digit MNIST labels.
"""

from __future__ import annotations

import asyncio
import gzip
import sys
from pathlib import Path

import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

MNIST = Path(__file__).resolve().parents[1] / "data" / "mnist"


def mnist_test(count: int) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(MNIST / "t10k-images-idx3-ubyte.gz") as images:
        images.read(16)
        pixels = np.frombuffer(images.read(784 * count), np.uint8).reshape(count, 28, 28)
    with gzip.open(MNIST / "t10k-labels-idx1-ubyte.gz") as labels:
        labels.read(8)
        return pixels, np.frombuffer(labels.read(count), np.uint8)


async def check(base: str, count: int = 32) -> bool:
    client = InferenceRESTClient(RESTConfig(protocol="v2", timeout=30))
    print("live", await client.is_server_live(base), "ready", await client.is_server_ready(base))
    print("model ready", await client.is_model_ready(base, "digits"))
    pixels, labels = mnist_test(count)
    right = True
    for binary in (False, True):
        tensor = InferInput("pixels", [count, 28, 28, 1], "FP32")
        tensor.set_data_from_numpy(pixels[..., None].astype(np.float32), binary_data=binary)
        request = InferRequest(model_name="digits", infer_inputs=[tensor], request_id="kserve")
        result = await client.infer(base, request, model_name="digits")
        digits = next(o for o in result.outputs if o.name == "digit").as_numpy()
        agree = float((digits == labels).mean())
        print(f"{'binary' if binary else 'JSON'} tensors: {agree:.1%} of {count} as labelled")
        right &= agree >= 0.95
    await client.close()
    return right


if __name__ == "__main__":
    sys.exit(
        0
        if asyncio.run(check(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"))
        else 1
    )
