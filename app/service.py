"""What the app holds while it runs: settings, the loaded model, the batcher and the metrics.

Endpoints (JSON API and browser page alike) classify uploads through `Service.classify`, so every
route reads, preprocesses, batches and counts images the same way.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings
from app.inference import LoadedModel, MicroBatcher
from app.observability import ServiceMetrics
from app.preprocess import ImageRejected, open_image, pixel_count, to_model_input, to_png
from app.schemas import ModelInfo, Prediction
from app.uploads import Upload
from training.contract import describe

# Up to this many pixels per request (MNIST-sized uploads and small crops: ~0.3-1 ms of work),
# preparing on the event loop is cheaper than the hop to a worker thread; larger uploads (a
# 280x280 canvas costs several ms) go to the threadpool so that they never stall other requests.
INLINE_PIXELS = 128 * 128


@contextmanager
def naming(upload: Upload, among: int) -> Iterator[None]:
    """In a request with several files, a rejection says which file it was about."""
    try:
        yield
    except ImageRejected as exc:
        if among > 1:
            exc.message = f"{upload.filename or 'a file'}: {exc.message}"
        raise


@dataclass
class Service:
    settings: Settings
    model: LoadedModel
    batcher: MicroBatcher
    metrics: ServiceMetrics
    ready: bool = False

    @property
    def model_name(self) -> str:
        """What answers: the cascade (fast network + full model) where one is served."""
        stored = self.model.metrics
        if self.model.cascade:
            return stored["cascade"]["name"]
        return stored.get("model", {}).get("name", self.model.path.parent.name)

    def open_all(self, uploads: list[Upload]) -> list[Image.Image]:
        """Headers only: bombs and non-images are refused before any pixel is decoded."""
        opened = []
        for upload in uploads:
            with naming(upload, len(uploads)):
                opened.append(open_image(upload.data, self.settings.max_pixels))
        return opened

    def convert_all(self, uploads: list[Upload], opened: list[Image.Image]) -> np.ndarray:
        images = []
        for upload, image in zip(uploads, opened, strict=True):
            with naming(upload, len(uploads)):
                images.append(to_model_input(image))
        return np.stack(images)

    async def preprocess_all(self, uploads: list[Upload]) -> np.ndarray:
        """All or nothing: a bad file fails the request with a message that names it."""
        opened = self.open_all(uploads)
        if sum(map(pixel_count, opened)) <= INLINE_PIXELS:
            return self.convert_all(uploads, opened)
        return await run_in_threadpool(self.convert_all, uploads, opened)

    async def classify(
        self, read: Callable[[], Awaitable[list[Upload]]], include_input: bool = False
    ) -> list[Prediction]:
        """Read and preprocess the uploads, predict them in one batch."""
        with self.batcher.expecting():
            uploads = await read()
            images = await self.preprocess_all(uploads)
        probabilities = await self.batcher.submit(images)
        return [
            self.prediction(p, upload.filename, image if include_input else None)
            for p, upload, image in zip(probabilities, uploads, images, strict=True)
        ]

    def prediction(
        self, probabilities: np.ndarray, filename: str | None, image: np.ndarray | None
    ) -> Prediction:
        digit = int(probabilities.argmax())
        # float32 softmax sums to 1 only within 1e-7; Python floats round faster than numpy's
        shares = (probabilities / probabilities.sum(dtype=np.float64)).tolist()
        rounded = [round(p, 6) for p in shares]
        self.metrics.digit_counts[digit].inc()
        input_image = None
        if image is not None:
            input_image = "data:image/png;base64," + base64.b64encode(to_png(image)).decode()
        return Prediction(
            digit=digit,
            confidence=rounded[digit],
            probabilities=rounded,
            filename=filename,
            model=self.model_name,
            input_image=input_image,
        )

    def model_info(self) -> ModelInfo:
        stored = self.model.metrics
        model = stored.get("model", {})
        return ModelInfo(
            name=self.model_name,
            architecture=model.get("architecture", "unknown"),
            description=model.get("description"),
            parameters=self.model.parameters,
            input=describe(),
            trained_at=stored.get("created_at"),
            test_accuracy=stored.get("test_accuracy"),
            versions=stored.get("versions", {}),
            cascade=stored.get("cascade") if self.model.cascade else None,
        )
