"""Reading uploads out of requests, within limits enforced while the body is still arriving.

One reader for every route that takes images: it knows the limits (built once from the
settings) and refuses an oversized body from its Content-Length at once, or as soon as the
streamed bytes pass the limit, so a huge upload is never buffered whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive

from app.core.config import Settings
from app.core.errors import ApiError
from app.multipart import Form, parse

RAW_TYPES = ("image/", "application/octet-stream")
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the files themselves
INLINE_BYTES = 1024 * 1024  # a multipart body up to this size is parsed on the event loop


@dataclass
class Upload:
    data: bytes
    filename: str | None


@dataclass(frozen=True)
class UploadLimits:
    image_bytes: int  # one image
    batch_bytes: int  # a whole /predict/batch request
    batch_files: int  # images in one /predict/batch request

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(settings.max_upload_bytes, settings.max_batch_bytes, settings.max_batch_files)


def too_large(image_limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"The upload exceeds the {image_limit:,}-byte limit.")


def bounded(request: Request, limit: int) -> Request:
    """The request, its body refused with a 413 once it is known to exceed `limit` bytes (plus
    the multipart overhead): from Content-Length before anything is read, else while streaming."""
    cap = limit + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    received = 0
    receive: Receive = request.receive

    async def limited_receive() -> Message:
        nonlocal received
        if declared.isdigit() and int(declared) > cap:
            raise too_large(limit)
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > cap:
                raise too_large(limit)
        return message

    return Request(request.scope, limited_receive)


async def whole(request: Request) -> bytes:
    """The raw body, read to its end (within whatever bound the request carries)."""
    return b"".join([chunk async for chunk in request.stream()])


class UploadReader:
    """Images out of a request: as multipart fields or as the raw body, within the limits."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits

    async def image(self, request: Request) -> list[Upload]:
        """One image: multipart field `file`, or the raw body with an image/* content type."""
        content_type = request.headers.get("content-type", "").lower()
        body = bounded(request, self.limits.image_bytes)
        if content_type.startswith("multipart/form-data"):
            return self._files(await self._form(body, 1), "file")
        if not content_type or content_type.startswith(RAW_TYPES):
            return [Upload(await whole(body), None)]
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content type {content_type!r} is not accepted: send multipart/form-data with field "
            "'file', or the image itself with an image/* content type.",
        )

    async def body(self, request: Request, limit: int | None = None) -> bytes:
        """A whole body: of several images' worth (an inference request) within the batch
        limit, or within `limit`."""
        return await whole(bounded(request, limit or self.limits.batch_bytes))

    async def images(self, request: Request) -> list[Upload]:
        """Several images, as repeated multipart fields `files`."""
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            raise ApiError(
                415,
                "unsupported_media_type",
                "Send multipart/form-data with one or more 'files' fields.",
            )
        body = bounded(request, self.limits.batch_bytes)
        return self._files(await self._form(body, self.limits.batch_files), "files")

    async def form_image(self, request: Request) -> tuple[list[Upload], Form]:
        """The page's form: its image (field `file`) and its other fields."""
        form = await self._form(bounded(request, self.limits.image_bytes), 1)
        return self._files(form, "file"), form

    async def _form(self, request: Request, max_files: int) -> Form:
        """The body's parts, read whole (within the request's bound), then parsed: on the event
        loop where small, else in the threadpool."""
        body = await whole(request)
        content_type = request.headers.get("content-type", "")
        args = (body, content_type, max_files, max_files + 16)
        if len(body) <= INLINE_BYTES:
            return parse(*args)
        return await run_in_threadpool(parse, *args)

    def _files(self, form: Form, field: str) -> list[Upload]:
        """The files of one multipart field, each checked against the per-image size limit."""
        values = [part for part in form.parts if part.name == field]
        if not values:
            fields = ", ".join(sorted({part.name for part in form.parts})) or "none"
            raise ApiError(
                422,
                "missing_file",
                f"Send the image as multipart field '{field}' (got fields: {fields}).",
            )
        uploads = []
        for value in values:
            if not value.is_file:
                raise ApiError(
                    422, "not_a_file", f"Field '{field}' must be a file upload, not text."
                )
            if len(value.data) > self.limits.image_bytes:
                raise ApiError(
                    413,
                    "payload_too_large",
                    f"{value.filename or 'a file'} exceeds {self.limits.image_bytes:,} bytes.",
                )
            uploads.append(Upload(value.data, value.filename))
        return uploads
