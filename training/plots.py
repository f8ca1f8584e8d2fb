"""Pictures of a training run: learning curves and the confusion matrix, as PNG files."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: training runs on servers without a display
import matplotlib.pyplot as plt
import numpy as np

from digits.contract import LABELS


def plot_learning_curves(histories: list[dict[str, list[float]]], path: Path) -> None:
    """Loss and accuracy per epoch, training and validation, for each member network."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for number, history in enumerate(histories, start=1):
        epochs = np.arange(1, len(history["loss"]) + 1)
        member = f"member {number} " if len(histories) > 1 else ""
        for ax, key in ((loss_ax, "loss"), (acc_ax, "accuracy")):
            ax.plot(epochs, history[key], marker="o", label=f"{member}training")
            if f"val_{key}" in history:
                ax.plot(epochs, history[f"val_{key}"], marker="o", label=f"{member}validation")
    for ax, key in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
    loss_ax.set_yscale("log")  # the late epochs, where models differ, stay readable
    final = min(history["accuracy"][-1] for history in histories)
    if final > 0.95:
        acc_ax.set_ylim(0.95, 1.0)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion_matrix(matrix: list[list[int]], path: Path, title: str) -> None:
    counts = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    # log scale so the few errors are visible beside ~1000 correct answers per digit
    image = ax.imshow(np.log1p(counts), cmap="Blues")
    for (row, col), value in np.ndenumerate(counts):
        if value:
            colour = "white" if row == col else "black"
            ax.text(col, row, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(LABELS)), [str(label) for label in LABELS])
    ax.set_yticks(range(len(LABELS)), [str(label) for label in LABELS])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="log(1 + count)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_reliability(curves: dict[str, list[dict]], path: Path) -> None:
    """Reliability diagram: accuracy against confidence per bin, one line per calibration
    (`curves`: name -> bins with confidence, accuracy, count); the diagonal is perfect."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
    for name, bins in curves.items():
        filled = [b for b in bins if b["count"]]
        ax.plot(
            [b["confidence"] for b in filled],
            [b["accuracy"] for b in filled],
            marker="o",
            label=name,
        )
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability on the validation split")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> None:
    """ROC of not-a-digit detectors: non-digits refused against digits refused."""
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, (digits_refused, nondigits_refused) in curves.items():
        ax.plot(digits_refused, nondigits_refused, label=name)
    ax.axvline(0.01, color="grey", linestyle=":", label="1% of digits refused")
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlabel("digits refused (MNIST test)")
    ax.set_ylabel("non-digits refused (held-out set)")
    ax.set_title("Not a digit: ROC")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
