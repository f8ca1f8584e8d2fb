"""The Open Inference Protocol (KServe v2) as this service speaks it: the tensors, their parsing
and their encoding, JSON or binary (Triton's binary tensor data extension).

Two inputs, one per request: `pixels`, FP32 [-1, 28, 28, 1], raw pixels as the model contract
says (`digits.contract`), or `images`, BYTES [-1], encoded images (PNG, JPEG, ...; base64 strings
in JSON) that get the same preparation as /predict. Outputs: `probabilities` FP32 [-1, 10],
`digit` INT64 [-1], and where a not-a-digit detector screens, `digit_score` FP32 [-1] and
`is_digit` BOOL [-1]. Anything malformed is a 400 with the protocol's `{"error": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from app.core.errors import ApiError
from digits.contract import INPUT_SHAPE, NUM_CLASSES, PIXEL_MAX

MODEL_NAME = "digits"
PIXELS, IMAGES = "pixels", "images"
HEADER_LENGTH = "Inference-Header-Content-Length"
EXTENSIONS = ["binary_tensor_data"]

# name -> (datatype, shape, numpy dtype of its binary form)
OUTPUTS: dict[str, tuple[str, list[int], str]] = {
    "probabilities": ("FP32", [-1, NUM_CLASSES], "<f4"),
    "digit": ("INT64", [-1], "<i8"),
    "digit_score": ("FP32", [-1], "<f4"),
    "is_digit": ("BOOL", [-1], "u1"),
}
SCREENED_ONLY = ("digit_score", "is_digit")


def bad(message: str) -> ApiError:
    return ApiError(400, "invalid_inference_request", message)


class RequestInput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    data: Any = None


class RequestOutput(BaseModel):
    name: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class InferenceRequest(BaseModel):
    id: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    inputs: list[RequestInput]
    outputs: list[RequestOutput] | None = None


@dataclass
class ParsedRequest:
    id: str | None
    images: np.ndarray | list[bytes]  # (N, 28, 28) float32 pixels, or encoded images
    outputs: list[tuple[str, bool]] | None  # (name, as binary) asked for; None: all
    binary: bool  # the request's binary_data_output: the default for outputs


def metadata_tensor(name: str, datatype: str, shape: list[int]) -> dict:
    return {"name": name, "datatype": datatype, "shape": shape}


def model_metadata(versions: list[str], screened: bool) -> dict:
    outputs = [
        metadata_tensor(name, datatype, shape)
        for name, (datatype, shape, _) in OUTPUTS.items()
        if screened or name not in SCREENED_ONLY
    ]
    return {
        "name": MODEL_NAME,
        "versions": versions,
        "platform": "tflite",
        "inputs": [
            metadata_tensor(PIXELS, "FP32", [-1, *INPUT_SHAPE]),
            metadata_tensor(IMAGES, "BYTES", [-1]),
        ],
        "outputs": outputs,
    }


def split_body(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """The JSON header and the binary tensor data after it."""
    if header_length is None:
        return body, b""
    if not header_length.strip().isdigit() or int(header_length) > len(body):
        raise bad(f"{HEADER_LENGTH} must be a length within the body's {len(body)} bytes")
    cut = int(header_length)
    return body[:cut], body[cut:]


def parse_request(body: bytes, header_length: str | None, max_images: int) -> ParsedRequest:
    header, binary = split_body(body, header_length)
    try:
        request = InferenceRequest.model_validate_json(header)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the request"
        raise bad(f"not an inference request: {where}: {first['msg']}") from None
    if len(request.inputs) != 1:
        raise bad(f"send one input, '{PIXELS}' or '{IMAGES}' (got {len(request.inputs)})")
    [given] = request.inputs
    chunk, rest = binary_chunk(given, binary)
    if rest:
        raise bad(f"{len(rest)} bytes after the tensor data that no binary_data_size accounts for")
    if given.name == PIXELS:
        images: np.ndarray | list[bytes] = pixels(given, chunk, max_images)
    elif given.name == IMAGES:
        images = encoded_images(given, chunk, max_images)
    else:
        raise bad(f"unknown input '{given.name}': send '{PIXELS}' or '{IMAGES}'")
    binary = flag(request.parameters, "binary_data_output")
    return ParsedRequest(request.id, images, requested_outputs(request, binary), binary)


def flag(parameters: dict, name: str) -> bool:
    value = parameters.get(name, False)
    if not isinstance(value, bool):
        raise bad(f"parameter {name} must be true or false")
    return value


def binary_chunk(given: RequestInput, binary: bytes) -> tuple[bytes | None, bytes]:
    """The input's binary data (None where it came as JSON) and what follows it."""
    size = given.parameters.get("binary_data_size")
    if size is None:
        return None, binary
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= len(binary):
        raise bad(f"binary_data_size of '{given.name}' must be within the {len(binary)} bytes sent")
    if given.data is not None:
        raise bad(f"'{given.name}' has both binary_data_size and data")
    return binary[:size], binary[size:]


def batch_size(given: RequestInput, max_images: int) -> int:
    count = given.shape[0] if given.shape else 0
    if not 1 <= count <= max_images:
        raise bad(f"'{given.name}' must hold 1 to {max_images} images (shape {given.shape})")
    return count


def pixels(given: RequestInput, chunk: bytes | None, max_images: int) -> np.ndarray:
    """(N, 28, 28) float32 within the contract's pixel range, from JSON numbers or binary FP32."""
    expected = [-1, *INPUT_SHAPE]
    if given.datatype != "FP32" or len(given.shape) != 4 or given.shape[1:] != expected[1:]:
        raise bad(
            f"'{PIXELS}' must be FP32 {expected}, got {given.datatype} {given.shape}",
        )
    count = batch_size(given, max_images)
    if chunk is not None:
        if len(chunk) != count * int(np.prod(INPUT_SHAPE)) * 4:
            raise bad(f"'{PIXELS}': {len(chunk)} bytes do not hold FP32 {given.shape}")
        values = np.frombuffer(chunk, "<f4").astype(np.float32)
    else:
        values = json_numbers(given)
    if values.size != count * int(np.prod(INPUT_SHAPE)):
        raise bad(f"'{PIXELS}': {values.size} values do not fill shape {given.shape}")
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > PIXEL_MAX:
        raise bad(f"'{PIXELS}' values must be finite pixels from 0 to {PIXEL_MAX}")
    return values.reshape(count, *INPUT_SHAPE[:2])


def json_numbers(given: RequestInput) -> np.ndarray:
    try:
        values = np.asarray(given.data)
    except (ValueError, TypeError):
        values = np.asarray([])
    if values.dtype.kind not in "iuf" or values.size == 0:
        raise bad(f"'{given.name}' data must be numbers (a flat or nested list)")
    return values.astype(np.float32).ravel()


def encoded_images(given: RequestInput, chunk: bytes | None, max_images: int) -> list[bytes]:
    """The encoded images of a BYTES tensor: length-prefixed in binary, base64 in JSON."""
    if (
        given.datatype != "BYTES"
        or len(given.shape) not in (1, 2)
        or given.shape[1:] not in ([], [1])
    ):
        raise bad(f"'{IMAGES}' must be BYTES [-1] (or [-1, 1]), got {given.datatype} {given.shape}")
    count = batch_size(given, max_images)
    found = length_prefixed(chunk) if chunk is not None else base64_strings(given.data)
    if len(found) != count:
        raise bad(f"'{IMAGES}' holds {len(found)} elements, its shape says {count}")
    return found


def length_prefixed(chunk: bytes) -> list[bytes]:
    """The binary extension's BYTES: each element a 4-byte little-endian length, then itself."""
    elements, offset = [], 0
    while offset < len(chunk):
        if offset + 4 > len(chunk):
            raise bad(f"'{IMAGES}': a BYTES element's length is cut short")
        [length] = struct.unpack_from("<I", chunk, offset)
        offset += 4
        if offset + length > len(chunk):
            raise bad(f"'{IMAGES}': an element claims {length} bytes past the end of the data")
        elements.append(chunk[offset : offset + length])
        offset += length
    return elements


def base64_strings(data: Any) -> list[bytes]:
    rows = data if isinstance(data, list) else [data]
    flat = [item for row in rows for item in (row if isinstance(row, list) else [row])]
    message = f"'{IMAGES}' data in JSON must be base64 strings, one per image"
    if not all(isinstance(item, str) for item in flat):
        raise bad(message)
    try:
        return [base64.b64decode(item, validate=True) for item in flat]
    except (binascii.Error, ValueError):
        raise bad(message) from None


def requested_outputs(
    request: InferenceRequest, binary_default: bool
) -> list[tuple[str, bool]] | None:
    """The outputs asked for, each with whether it goes as binary (its own `binary_data`, else
    the request's `binary_data_output`); None: every output."""
    if request.outputs is None:
        return None
    asked = []
    for output in request.outputs:
        if output.name not in OUTPUTS:
            raise bad(f"unknown output '{output.name}': choose from {', '.join(OUTPUTS)}")
        binary = output.parameters.get("binary_data")
        if binary is not None and not isinstance(binary, bool):
            raise bad(f"binary_data of output '{output.name}' must be true or false")
        asked.append((output.name, binary))
    return [(name, binary_default if binary is None else binary) for name, binary in asked]


def check_outputs(parsed: ParsedRequest, screened: bool) -> None:
    """Before any inference: outputs the version cannot give are a 400, not answers wasted."""
    for name, _ in parsed.outputs or []:
        if name in SCREENED_ONLY and not screened:
            raise bad(f"output '{name}' needs a not-a-digit detector, which this version lacks")


def output_tensors(
    probabilities: np.ndarray, digit_scores: np.ndarray | None, is_digit: np.ndarray | None
) -> dict[str, np.ndarray]:
    tensors = {
        "probabilities": probabilities.astype(np.float32),
        "digit": probabilities.argmax(axis=1).astype(np.int64),
    }
    if digit_scores is not None and is_digit is not None:
        tensors["digit_score"] = digit_scores.astype(np.float32)
        tensors["is_digit"] = is_digit.astype(bool)
    return tensors


def encode_response(
    parsed: ParsedRequest, version: str, tensors: dict[str, np.ndarray], ids: list[str]
) -> tuple[bytes, int | None]:
    """The response body, and the JSON header's length where binary tensors follow it; each
    image's answer id (what POST /corrections takes) in the response parameter `answer_ids`,
    comma-separated in the images' order (the protocol's parameters hold no lists)."""
    wanted = parsed.outputs or [(name, parsed.binary) for name in tensors]
    outputs, chunks = [], []
    for name, binary in wanted:
        datatype, _, dtype = OUTPUTS[name]
        tensor = tensors[name]
        entry: dict[str, Any] = {"name": name, "datatype": datatype, "shape": list(tensor.shape)}
        if binary:
            chunks.append(tensor.astype(dtype).tobytes())
            entry["parameters"] = {"binary_data_size": len(chunks[-1])}
        else:
            entry["data"] = tensor.ravel().tolist()
        outputs.append(entry)
    response: dict[str, Any] = {"model_name": MODEL_NAME, "model_version": version}
    if parsed.id is not None:
        response["id"] = parsed.id
    response["parameters"] = {"answer_ids": ",".join(ids)}
    response["outputs"] = outputs
    header = json.dumps(response, separators=(",", ":")).encode()
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)
