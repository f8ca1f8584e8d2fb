"""LiteRT: how a compiled model file (`model.tflite`) is opened and run, in serving and training.

Serving runs the compiled file rather than the Keras model because LiteRT's per-call overhead is
a fraction of TensorFlow's and the service then needs neither TensorFlow nor Keras
(`bench/results.md` has the figures). Training uses the same class to check the compiled file
against the Keras model, so what is checked is what is served.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.contract import INPUT_SHAPE, NUM_CLASSES


class ModelLoadError(RuntimeError):
    """The model cannot be served; the message is one line an operator can act on."""


def interpreter_class() -> type:
    """LiteRT's own package where it has wheels (Linux, macOS); TensorFlow's copy elsewhere."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        return tf.lite.Interpreter
    return Interpreter


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class LiteRTModel:
    """One LiteRT interpreter; not thread-safe, so the batcher makes every call from one thread.

    Opened on several threads, it keeps a second, one-thread interpreter of the same file for
    calls on one image: there the pool's other thread has to be woken for every layer and costs
    more than it shares out (`python -m bench.lone`), while batches gain from it. Both give the
    same answer to the same image."""

    interpreter: object
    input_index: int
    output_index: int
    batch: int = 0  # the batch size the interpreter's tensors are allocated for
    lone: LiteRTModel | None = None  # the one-thread twin for one image, where threads > 1

    @classmethod
    def open(
        cls,
        path: Path,
        threads: int = 1,
        outputs: int = NUM_CLASSES,
        inputs: tuple[int, ...] = INPUT_SHAPE,
    ) -> LiteRTModel:
        """Load and check the compiled model (the contract's input, or the piece judge's;
        `outputs` scores per image: the ten digits', the detector's one or the judge's eleven),
        or raise ModelLoadError saying what is wrong."""
        if not path.is_file():
            raise ModelLoadError(
                f"model file not found: {path} (set DIGITS_MODEL_DIR, or compile model.keras "
                "with `python -m training litert MODEL_DIR`)"
            )
        # from a copy in memory: a file mapped from disk changes if it is written over
        content = path.read_bytes()
        model = cls.checked(path, content, threads, outputs, inputs)
        if threads > 1:
            model.lone = cls.checked(path, content, 1, outputs, inputs)
        return model

    @classmethod
    def checked(
        cls, path: Path, content: bytes, threads: int, outputs: int, inputs: tuple[int, ...]
    ) -> LiteRTModel:
        """An interpreter of `content`, whose tensors must be what the caller feeds and reads."""
        try:
            interpreter = interpreter_class()(model_content=content, num_threads=threads)
        except (ValueError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(f"cannot load model {path}: {reason}") from None
        [given], [output] = interpreter.get_input_details(), interpreter.get_output_details()
        takes, gives = tuple(given["shape_signature"]), tuple(output["shape_signature"])
        if takes[1:] != inputs or gives[1:] != (outputs,) or given["dtype"] != np.float32:
            raise ModelLoadError(
                f"{path} takes {takes} {given['dtype'].__name__} -> {gives}; the service needs "
                f"(-1, {', '.join(map(str, inputs))}) float32 -> (-1, {outputs})"
            )
        return cls(interpreter, given["index"], output["index"])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 raw pixels -> (N, 10) probabilities."""
        if self.lone is not None and len(batch) == 1:
            return self.lone.predict(batch)
        if len(batch) != self.batch:
            self.interpreter.resize_tensor_input(self.input_index, batch.shape, strict=True)
            self.interpreter.allocate_tensors()
            self.batch = len(batch)
        self.interpreter.set_tensor(self.input_index, np.ascontiguousarray(batch, np.float32))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_index)

    def predict_all(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Probabilities for any number of images, `batch_size` at a time (offline use)."""
        return np.concatenate(
            [self.predict(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
        )
