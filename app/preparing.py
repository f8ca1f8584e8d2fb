"""Uploads to model inputs, as every route that takes images prepares them.

All or nothing: a bad file fails the request, with a message that names it where the request
held several. Small uploads (MNIST-sized images, small crops) are prepared on the event loop,
where the hop to a worker thread would cost more than the work; larger ones (a 280x280 canvas, a
photo) in the threadpool, so that they never stall other requests (`bench/results.md`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image
from starlette.concurrency import run_in_threadpool

from app.uploads import Upload
from digits.errors import ImageRejected
from digits.preprocess import PlainPng, open_upload, pixel_count, to_model_input

INLINE_PIXELS = 128 * 128  # pixels per request up to which preparing stays on the event loop


@contextmanager
def naming(upload: Upload, among: int) -> Iterator[None]:
    """In a request with several files, a rejection says which file it was about."""
    try:
        yield
    except ImageRejected as exc:
        if among > 1:
            exc.message = f"{upload.filename or 'a file'}: {exc.message}"
        raise


def open_all(uploads: list[Upload], max_pixels: int) -> list[Image.Image | PlainPng]:
    """Headers only: bombs and non-images are refused before any pixel is decoded."""
    opened = []
    for upload in uploads:
        with naming(upload, len(uploads)):
            opened.append(open_upload(upload.data, max_pixels))
    return opened


def convert_all(uploads: list[Upload], opened: list[Image.Image | PlainPng]) -> np.ndarray:
    images = []
    for upload, image in zip(uploads, opened, strict=True):
        with naming(upload, len(uploads)):
            images.append(to_model_input(image))
    return np.stack(images)


async def prepare(uploads: list[Upload], max_pixels: int) -> np.ndarray:
    """(N, 28, 28) float32 model inputs, one per upload."""
    opened = open_all(uploads, max_pixels)
    if sum(map(pixel_count, opened)) <= INLINE_PIXELS:
        return convert_all(uploads, opened)
    return await run_in_threadpool(convert_all, uploads, opened)
