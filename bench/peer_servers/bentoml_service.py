"""BentoML 1.4 serving the project's fast network, as BentoML's docs show a service: one
`@bentoml.service` class that loads the model once, one `@bentoml.api` method taking a
`PIL.Image.Image` (a multipart field named after the parameter, `file`, as /predict's is) and
returning JSON. Preprocessing is a resize to 28x28 grey (what a user writing it would do).

    .cache/peers/bentoml/bin/bentoml serve bench.peer_servers.bentoml_service:Digits --port P
"""

from __future__ import annotations

import os
from pathlib import Path

import bentoml
import numpy as np
from ai_edge_litert.interpreter import Interpreter
from PIL.Image import Image

MODEL = Path(os.environ.get("DIGITS_PEER_MODEL", "model/fast/model.tflite"))


@bentoml.service(workers=1)
class Digits:
    def __init__(self) -> None:
        self.interpreter = Interpreter(model_path=str(MODEL), num_threads=2)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]

    @bentoml.api
    def predict(self, file: Image) -> dict:
        pixels = np.asarray(file.convert("L").resize((28, 28)), np.float32)
        self.interpreter.set_tensor(self.input, pixels.reshape(1, 28, 28, 1))
        self.interpreter.invoke()
        probabilities = self.interpreter.get_tensor(self.output)[0]
        digit = int(probabilities.argmax())
        return {"digit": digit, "confidence": float(probabilities[digit])}
