"""MLServer 1.7 serving the project's fast network through a custom runtime, as MLServer's docs
show one (`MLModel` with `load` and `predict`, its tensors decoded and encoded by MLServer's own
codecs): the Open Inference Protocol's `pixels` FP32 [N, 28, 28, 1] in, `probabilities` out.

    cd bench/peer_servers/mlserver && ../../../.cache/peers/mlserver/bin/mlserver start .
"""

from __future__ import annotations

import os

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse


class Digits(MLModel):
    async def load(self) -> bool:
        path = os.environ.get("DIGITS_PEER_MODEL", "../../../model/fast/model.tflite")
        self.interpreter = Interpreter(model_path=path, num_threads=2)
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.batch = 0
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        pixels = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32)
        if len(pixels) != self.batch:
            self.interpreter.resize_tensor_input(self.input, pixels.shape)
            self.interpreter.allocate_tensors()
            self.batch = len(pixels)
        self.interpreter.set_tensor(self.input, pixels)
        self.interpreter.invoke()
        probabilities = self.interpreter.get_tensor(self.output)
        return InferenceResponse(
            model_name=self.name,
            outputs=[NumpyCodec.encode_output("probabilities", probabilities)],
        )
