"""The bad-input battery: every kind of request the service must refuse with a clear 4xx.

Shared by the endpoint tests and the load test. Each case is (name, request kwargs for httpx,
expected status, expected error code).
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib

import numpy as np
from PIL import Image

from synthesis.styles import encode

MB = 1024 * 1024


def png_with_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares huge dimensions: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def digit_like_png(size: int = 200) -> bytes:
    rng = np.random.default_rng(3)
    return encode(Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8)))


def corrupt_png(size: int = 200) -> bytes:
    data = bytearray(digit_like_png(size))
    for i in range(200, 400):
        data[i] ^= 0x5A
    return bytes(data)


def single(data: bytes, content_type: str = "image/png", name: str = "x.png") -> dict:
    return {"files": {"file": (name, data, content_type)}}


def raw(data: bytes, content_type: str) -> dict:
    return {"content": data, "headers": {"Content-Type": content_type}}


BLANK_WHITE = encode(Image.new("L", (200, 200), 255))
BLANK_BLACK = encode(Image.new("L", (28, 28), 0))
BLANK_CANVAS = encode(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
UNIFORM_JPEG = encode(Image.new("RGB", (300, 300), (120, 160, 200)), "JPEG")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><text y="20">7</text></svg>'
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JPEG = encode(
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (300, 300, 3), np.uint8)), "JPEG"
)
MULTIPART_NO_BOUNDARY = {
    "content": b"--x\r\n\r\n",
    "headers": {"Content-Type": "multipart/form-data"},
}
MULTIPART_BROKEN = {
    "content": b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nxx',
    "headers": {"Content-Type": "multipart/form-data; boundary=abc"},
}


def tiff_header_only() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (100, 100)).save(buffer, "TIFF")
    return buffer.getvalue()[:60]


# (name, path, request kwargs, status, code)
CASES: list[tuple[str, str, dict, int, str]] = [
    ("empty raw body", "/predict", raw(b"", "image/png"), 400, "empty_upload"),
    ("empty file field", "/predict", single(b""), 400, "empty_upload"),
    (
        "text, not an image",
        "/predict",
        single(b"hello, world", "text/plain", "a.txt"),
        415,
        "unsupported_image",
    ),
    ("random bytes", "/predict", raw(bytes(range(256)) * 8, "image/png"), 415, "unsupported_image"),
    ("truncated PNG", "/predict", single(digit_like_png()[:5000]), 422, "corrupt_image"),
    (
        "truncated JPEG",
        "/predict",
        single(JPEG[: len(JPEG) // 2], "image/jpeg", "a.jpg"),
        422,
        "corrupt_image",
    ),
    ("corrupt PNG data", "/predict", single(corrupt_png()), 422, "corrupt_image"),
    (
        "TIFF cut inside its header",
        "/predict",
        single(tiff_header_only(), "image/tiff", "a.tif"),
        415,
        "unsupported_image",
    ),
    (
        "decompression bomb",
        "/predict",
        single(png_with_header(30000, 30000)),
        413,
        "image_too_large",
    ),
    (
        "bomb just over the pixel limit",
        "/predict",
        raw(png_with_header(4001, 4001), "image/png"),
        413,
        "image_too_large",
    ),
    (
        "raw body over the size limit",
        "/predict",
        raw(b"\0" * (6 * MB), "image/png"),
        413,
        "payload_too_large",
    ),
    (
        "multipart over the size limit",
        "/predict",
        single(b"\0" * (6 * MB)),
        413,
        "payload_too_large",
    ),
    ("zero-size image", "/predict", single(png_with_header(0, 0)), 415, "unsupported_image"),
    ("1x1 image", "/predict", single(encode(Image.new("L", (1, 1), 255))), 422, "image_too_small"),
    (
        "10000x1 image",
        "/predict",
        single(encode(Image.new("L", (10000, 1), 255))),
        422,
        "image_too_small",
    ),
    ("blank white page", "/predict", single(BLANK_WHITE), 422, "no_digit_found"),
    ("blank black 28x28", "/predict", single(BLANK_BLACK), 422, "no_digit_found"),
    ("blank transparent canvas", "/predict", single(BLANK_CANVAS), 422, "no_digit_found"),
    (
        "uniform colour JPEG",
        "/predict",
        single(UNIFORM_JPEG, "image/jpeg", "a.jpg"),
        422,
        "no_digit_found",
    ),
    ("SVG", "/predict", single(SVG, "image/svg+xml", "a.svg"), 415, "unsupported_image"),
    ("PDF", "/predict", single(PDF, "application/pdf", "a.pdf"), 415, "unsupported_image"),
    ("gzip of a PNG", "/predict", single(gzip.compress(BLANK_WHITE)), 415, "unsupported_image"),
    (
        "wrong field name",
        "/predict",
        {"files": {"image": ("a.png", BLANK_WHITE, "image/png")}},
        422,
        "missing_file",
    ),
    (
        "HTML form with wrong field",
        "/predict",
        {"data": {"digit": "7"}, "files": {"other": ("a", b"x")}},
        422,
        "missing_file",
    ),
    (
        "text in the file field",
        "/predict",
        {"data": {"file": "not a file"}, "files": {"x": ("a", b"x")}},
        422,
        "not_a_file",
    ),
    ("url-encoded form", "/predict", {"data": {"file": "abc"}}, 415, "unsupported_media_type"),
    ("JSON body", "/predict", {"json": {"image": "base64..."}}, 415, "unsupported_media_type"),
    ("text/plain body", "/predict", raw(b"7", "text/plain"), 415, "unsupported_media_type"),
    ("multipart without boundary", "/predict", MULTIPART_NO_BOUNDARY, 400, "bad_multipart"),
    ("multipart cut short", "/predict", MULTIPART_BROKEN, 422, "missing_file"),
    (
        "two files to /predict",
        "/predict",
        {"files": [("file", ("a.png", BLANK_WHITE)), ("file", ("b.png", BLANK_WHITE))]},
        413,
        "too_many_files",
    ),
    (
        "too many files",
        "/predict/batch",
        {"files": [("files", (f"{i}.png", BLANK_BLACK)) for i in range(65)]},
        413,
        "too_many_files",
    ),
    (
        "batch without files",
        "/predict/batch",
        {"files": {"file": ("a.png", BLANK_WHITE)}},
        422,
        "missing_file",
    ),
    (
        "batch as raw body",
        "/predict/batch",
        raw(BLANK_WHITE, "image/png"),
        415,
        "unsupported_media_type",
    ),
    (
        "batch with one blank image",
        "/predict/batch",
        {"files": [("files", ("ok.png", digit_like_png())), ("files", ("blank.png", BLANK_WHITE))]},
        422,
        "no_digit_found",
    ),
    (
        "bad query parameter",
        "/predict?include_input=maybe",
        single(BLANK_WHITE),
        422,
        "invalid_request",
    ),
]
