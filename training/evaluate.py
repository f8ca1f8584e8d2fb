"""Measure a model on labelled digits: the figures that metrics.json and /metrics report."""

from __future__ import annotations

import keras
import numpy as np

from digits.contract import LABELS, NUM_CLASSES
from training.data import Digits


def as_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) raw pixels, the contract's input."""
    return images.astype(np.float32)[..., np.newaxis]


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Rows are true labels, columns predictions."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def per_class_scores(matrix: np.ndarray) -> dict[str, dict[str, float | int]]:
    true_positives = np.diag(matrix).astype(float)
    predicted_counts, support = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(
        true_positives, predicted_counts, out=np.zeros(NUM_CLASSES), where=predicted_counts > 0
    )
    recall = np.divide(true_positives, support, out=np.zeros(NUM_CLASSES), where=support > 0)
    denominator = precision + recall
    f1 = np.divide(
        2 * precision * recall, denominator, out=np.zeros(NUM_CLASSES), where=denominator > 0
    )
    return {
        str(label): {
            "precision": round(float(precision[i]), 6),
            "recall": round(float(recall[i]), 6),
            "f1": round(float(f1[i]), 6),
            "support": int(support[i]),
        }
        for i, label in enumerate(LABELS)
    }


def evaluate(model: keras.Model, data: Digits, batch_size: int = 1000) -> dict:
    """Accuracy, loss, per-class precision/recall/F1 and the confusion matrix."""
    probabilities = model.predict(as_model_input(data.images), batch_size=batch_size, verbose=0)
    predicted = probabilities.argmax(axis=1)
    picked = np.clip(probabilities[np.arange(len(data)), data.labels], 1e-7, 1.0)
    matrix = confusion_matrix(data.labels, predicted)
    return {
        "accuracy": round(float((predicted == data.labels).mean()), 6),
        "loss": round(float(-np.log(picked).mean()), 6),
        "size": len(data),
        "errors": int((predicted != data.labels).sum()),
        "per_class": per_class_scores(matrix),
        "confusion_matrix": matrix.tolist(),
    }
