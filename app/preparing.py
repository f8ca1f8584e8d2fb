"""Uploads to model inputs, as every route that takes images prepares them.

All or nothing: a bad file fails the request, with a message that names it where the request
held several. Small uploads (MNIST-sized images, small crops) are prepared on the event loop,
where the hop to a worker thread would cost more than the work; larger ones (a 280x280 canvas, a
photo) in the threadpool, so that they never stall other requests (`bench/results.md`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image
from starlette.concurrency import run_in_threadpool

from app.uploads import Upload
from digits.errors import ImageRejected
from digits.preprocess import Opened, open_image, open_upload, pixel_count, to_model_input

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


def open_all(uploads: list[Upload], max_pixels: int) -> list[Image.Image]:
    """Pillow's images, headers only (a number is read from them): bombs and non-images are
    refused before any pixel is decoded."""
    return open_each(uploads, max_pixels, open_image)


def open_each(
    uploads: list[Upload], max_pixels: int, opener: Callable[[bytes, int], Opened]
) -> list[Opened]:
    images = []
    for upload in uploads:
        with naming(upload, len(uploads)):
            images.append(opener(upload.data, max_pixels))
    return images


def convert_all(uploads: list[Upload], opened: list[Opened]) -> np.ndarray:
    images = []
    for upload, image in zip(uploads, opened, strict=True):
        with naming(upload, len(uploads)):
            images.append(to_model_input(image))
    return np.stack(images)


async def prepare(uploads: list[Upload], max_pixels: int) -> np.ndarray:
    """(N, 28, 28) float32 model inputs, one per upload."""
    images = open_each(uploads, max_pixels, open_upload)  # a plain PNG read to its header
    if sum(map(pixel_count, images)) <= INLINE_PIXELS:
        return convert_all(uploads, images)
    return await run_in_threadpool(convert_all, uploads, images)
