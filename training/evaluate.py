"""Measure a model on labelled digits: the figures that metrics.json and /metrics report, and
the generic measures of confidence and of a detector (calibration error, temperature, AUROC)."""

from __future__ import annotations

import numpy as np

from digits.contract import LABELS, NUM_CLASSES, as_model_input
from digits.screening import temper
from training.data import Digits

BINS = 15  # equal-width confidence bins of the calibration error


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


def evaluate(model, data: Digits, batch_size: int = 1000) -> dict:
    """Accuracy, loss, per-class precision/recall/F1 and the confusion matrix."""
    probabilities = model.predict(as_model_input(data.images), batch_size=batch_size, verbose=0)
    return scored(probabilities, data.labels)


def scored(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """`evaluate`'s figures from probabilities already computed (a compiled file's, say)."""
    predicted = probabilities.argmax(axis=1)
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)
    matrix = confusion_matrix(labels, predicted)
    return {
        "accuracy": round(float((predicted == labels).mean()), 6),
        "loss": round(float(-np.log(picked).mean()), 6),
        "size": len(labels),
        "errors": int((predicted != labels).sum()),
        "per_class": per_class_scores(matrix),
        "confusion_matrix": matrix.tolist(),
    }


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.log(np.maximum(picked, 1e-12)).mean())


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature of least log-loss, on a fine logarithmic grid."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 281))
    losses = [negative_log_likelihood(temper(probabilities, t), labels) for t in grid]
    return round(float(grid[int(np.argmin(losses))]), 4)


def reliability(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, list[dict]]:
    """Expected calibration error over BINS equal-width confidence bins, and the bins."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, BINS - 1)
    bins, error = [], 0.0
    for b in range(BINS):
        members = which == b
        count = int(members.sum())
        if count:
            gap = abs(correct[members].mean() - confidence[members].mean())
            error += gap * count / len(labels)
        bins.append(
            {
                "confidence": round(float(confidence[members].mean()), 6) if count else None,
                "accuracy": round(float(correct[members].mean()), 6) if count else None,
                "count": count,
            }
        )
    return round(float(error), 6), bins


def auroc(digit_scores: np.ndarray, nondigit_scores: np.ndarray) -> float:
    """Probability that a digit scores above a non-digit (ties count half)."""
    below = np.sort(nondigit_scores)
    under = np.searchsorted(below, digit_scores, "left")
    tied = np.searchsorted(below, digit_scores, "right") - under
    return round(float((under + tied / 2).mean() / len(below)), 6)


def refused_at(digit_scores: np.ndarray, nondigit_scores: np.ndarray, share: float) -> float:
    """Share of non-digits refused by the threshold that refuses `share` of the digits."""
    threshold = np.quantile(digit_scores, share)
    return round(float((nondigit_scores < threshold).mean()), 6)


def roc(digit_scores: np.ndarray, nondigit_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.unique(np.concatenate([digit_scores, nondigit_scores]))
    digits = np.searchsorted(np.sort(digit_scores), thresholds) / len(digit_scores)
    nondigits = np.searchsorted(np.sort(nondigit_scores), thresholds) / len(nondigit_scores)
    return digits, nondigits
