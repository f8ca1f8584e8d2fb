"""The upload reader on its own: limits enforced while the body arrives, fields, types."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request

from app.core.errors import ApiError
from app.uploads import UploadLimits, UploadReader

READER = UploadReader(UploadLimits(image_bytes=1000, batch_bytes=5000, batch_files=3))
BOUNDARY = "b"


def request(body: bytes, content_type: str, declared: int | None = None) -> tuple[Request, list]:
    """A request whose body arrives in 100-byte chunks; the chunks read are counted."""
    chunks = [body[i : i + 100] for i in range(0, len(body), 100)] or [b""]
    read: list[int] = []

    async def receive() -> dict:
        read.append(1)
        chunk = chunks[len(read) - 1]
        return {"type": "http.request", "body": chunk, "more_body": len(read) < len(chunks)}

    length = len(body) if declared is None else declared
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(length).encode())]
    scope = {"type": "http", "method": "POST", "headers": headers, "app": None}  # as in an app
    return Request(scope, receive), read


def multipart(*files: tuple[str, bytes]) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{field}.png"'
        f"\r\nContent-Type: image/png\r\n\r\n".encode()
        + data
        + b"\r\n"
        for field, data in files
    ]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def refused(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        asyncio.run(call)
    return caught.value


def test_a_raw_image_is_read_whole() -> None:
    req, _ = request(b"x" * 250, "image/png")
    [upload] = asyncio.run(READER.image(req))
    assert upload.data == b"x" * 250 and upload.filename is None


def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    req, read = request(b"x" * 10, "image/png", declared=10**9)
    assert refused(READER.image(req)).status == 413
    assert read == []  # not a byte read


def test_a_streamed_body_past_the_limit_is_refused_while_it_arrives() -> None:
    big = b"x" * 200_000  # no length declared beyond it: refused on the way
    req, read = request(big, "image/png", declared=0)
    assert refused(READER.image(req)).status == 413
    assert len(read) < len(big) // 100  # stopped early


def test_multipart_fields_are_named_and_counted() -> None:
    body = multipart(("files", b"a"), ("files", b"b"))
    req, _ = request(body, f"multipart/form-data; boundary={BOUNDARY}")
    assert [u.data for u in asyncio.run(READER.images(req))] == [b"a", b"b"]
    wrong, _ = request(multipart(("image", b"a")), f"multipart/form-data; boundary={BOUNDARY}")
    missing = refused(READER.image(wrong))
    assert (missing.status, missing.code) == (422, "missing_file") and "image" in missing.message
    four = multipart(*[("files", b"a")] * 4)
    many, _ = request(four, f"multipart/form-data; boundary={BOUNDARY}")
    assert refused(READER.images(many)).code == "too_many_files"


def test_a_file_past_the_image_limit_is_refused_by_its_name() -> None:
    body = multipart(("file", b"x" * 1500))
    req, _ = request(body, f"multipart/form-data; boundary={BOUNDARY}")
    error = refused(READER.image(req))
    assert error.status == 413 and "file.png" in error.message


def test_other_content_types_are_415() -> None:
    req, _ = request(b"{}", "application/json")
    assert refused(READER.image(req)).status == 415
    batch, _ = request(b"x", "image/png")
    assert refused(READER.images(batch)).status == 415
