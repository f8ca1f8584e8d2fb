"""The served model: its card, its compiled files opened with LiteRT, and the cascade if any.

Loaded once at startup. A cascade is served only where its files are the ones calibration
measured (checked by sha256): with other files its threshold would be a guess.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.card import (
    Answering,
    CardError,
    CascadeRecord,
    GapRecord,
    ModelCard,
    NotADigitRecord,
    ReadingRecord,
    SlashRecord,
)
from digits.cascade import Cascade, Network
from digits.contract import NUM_CLASSES, SERVING_FILENAME
from digits.runtime import LiteRTModel, ModelLoadError, sha256
from digits.screening import Screened
from digits.segment import CONTEXT_SHAPE
from digits.separators import GAP_CLASSES

log = logging.getLogger("digits.served")


@dataclass
class Judge:
    """/read's piece judge: how sure it is that each candidate piece is one whole digit. One
    interpreter, so one caller at a time (numbers are prepared in worker threads)."""

    network: LiteRTModel
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sureness(self, contexts: np.ndarray) -> np.ndarray:
        with self.lock:
            judged = self.network.predict(contexts)
        return 1.0 - judged[:, NUM_CLASSES]  # the last class: not one whole digit


@dataclass
class SlashReader:
    """/read's slash reader: how likely each stroke is a "/" rather than a digit, and the
    threshold chosen on validation. One interpreter, so one caller at a time."""

    network: LiteRTModel
    threshold: float
    lock: threading.Lock = field(default_factory=threading.Lock)

    def probabilities(self, contexts: np.ndarray) -> np.ndarray:
        with self.lock:
            return self.network.predict(contexts)[:, 1]


@dataclass
class GapReader:
    """/read's gap reader: what stands between two digits (`digits.separators.GAP_CLASSES`), and
    the thresholds chosen on validation. One interpreter, so one caller at a time."""

    network: LiteRTModel
    threshold: float  # a gap whose chance of holding a mark reaches it holds one ...
    sure: float  # ... named where the mark's own probability reaches this, else unread
    lock: threading.Lock = field(default_factory=threading.Lock)

    def probabilities(self, contexts: np.ndarray) -> np.ndarray:
        with self.lock:
            return self.network.predict(contexts)


@dataclass
class ServedModel:
    predict: Callable[[np.ndarray], np.ndarray]  # (N, 28, 28, 1) float32 -> (N, 10) probabilities
    card: ModelCard
    answering: Answering  # what answers: the cascade, or the full model alone
    path: Path
    cascade: Cascade | None = None
    judge: Judge | None = None  # /read's piece judge, where the model folder has one
    slash: SlashReader | None = None  # /read's slash reader, likewise
    gaps: GapReader | None = None  # /read's gap reader, likewise

    def looks_like_digit(self, digit_scores: np.ndarray | float) -> np.ndarray | bool:
        """Whether digit scores reach the detector's threshold: answered as a digit, not
        refused as not_a_digit (the one rule, for the service and for training's checks)."""
        return digit_scores >= self.answering.not_a_digit.threshold


def read_card(model_dir: Path) -> ModelCard:
    if not ModelCard.exists(model_dir):
        log.warning("%s has no model card: /metrics and /model report no measurements", model_dir)
        return ModelCard.placeholder(model_dir.name)
    try:
        return ModelCard.read(model_dir)
    except CardError as exc:
        raise ModelLoadError(str(exc)) from None


@dataclass(frozen=True)
class Part:
    """A part of the served model that its card measured, and what the log says where its files
    are not the measured ones."""

    name: str
    instead: str  # what answers without it
    fix: str  # the command that measures it again


CASCADE = Part("the cascade", f"serving {SERVING_FILENAME} alone", "python -m training cascade")
SCREENING = Part(
    "the not-a-digit detector",
    "answering every image with a digit",
    "python -m training detector calibrate",
)
JUDGE = Part(
    "the piece judge", "/read chooses cuts by the classifier alone", "python -m training judge"
)
SLASH = Part("the slash reader", "/read reads a slash as a digit", "python -m training slash")
GAPS = Part("the gap reader", "/read finds only marks that stand free", "python -m training gaps")


def measured(model_dir: Path, checksums: dict[str, str], part: Part) -> bool:
    """Whether a part's files are the ones its card's figures were measured on (by sha256): with
    other files its threshold would be a guess, so the part is left out, and the log says so."""
    if all(
        (model_dir / name).is_file() and sha256(model_dir / name) == digest
        for name, digest in checksums.items()
    ):
        return True
    log.warning(
        "%s: %s was measured on other model files; %s (recalibrate: %s %s)",
        *(model_dir, part.name, part.instead, part.fix, model_dir),
    )
    return False


def open_cascade(
    model_dir: Path, full: LiteRTModel, record: CascadeRecord, threads: int
) -> Cascade | None:
    if not measured(model_dir, record.sha256, CASCADE):
        return None
    return Cascade(LiteRTModel.open(model_dir / record.fast_model, threads), full, record.threshold)


def open_screening(
    model_dir: Path, classifier: Network, record: NotADigitRecord, threads: int
) -> Screened | None:
    if not measured(model_dir, record.sha256, SCREENING):
        return None
    detector = LiteRTModel.open(model_dir / record.detector, threads, outputs=1)
    return Screened(classifier, detector, record.temperature)


def open_judge(model_dir: Path, record: ReadingRecord, threads: int) -> Judge | None:
    if not measured(model_dir, record.sha256, JUDGE):
        return None
    judge = model_dir / record.judge
    return Judge(LiteRTModel.open(judge, threads, outputs=NUM_CLASSES + 1, inputs=CONTEXT_SHAPE))


def open_slash(model_dir: Path, record: SlashRecord, threads: int) -> SlashReader | None:
    if not measured(model_dir, record.sha256, SLASH):
        return None
    network = LiteRTModel.open(model_dir / record.network, threads, outputs=2, inputs=CONTEXT_SHAPE)
    return SlashReader(network, record.threshold)


def open_gaps(model_dir: Path, record: GapRecord, threads: int) -> GapReader | None:
    if not measured(model_dir, record.sha256, GAPS):
        return None
    outputs = len(GAP_CLASSES)
    network = LiteRTModel.open(
        model_dir / record.network, threads, outputs=outputs, inputs=CONTEXT_SHAPE
    )
    return GapReader(network, record.threshold, record.sure)


def load_model(
    model_dir: Path, threads: int = 1, cascade: bool = True, not_a_digit: bool = True
) -> ServedModel:
    """Load the served model (a cascade where one is calibrated and `cascade` is on; screened
    for non-digits where a detector is calibrated and `not_a_digit` is on) and its card, or
    raise ModelLoadError. Its `predict` gives (N, 10) probabilities, or (N, 11) with the digit
    score where screened (`digits.screening.split` tells them apart)."""
    path = model_dir / SERVING_FILENAME
    full = LiteRTModel.open(path, threads)
    card = read_card(model_dir)
    record = card.cascade if cascade else None
    served = open_cascade(model_dir, full, record, threads) if record else None
    classifier: Network = served or full
    screen = card.not_a_digit if not_a_digit else None
    screened = open_screening(model_dir, classifier, screen, threads) if screen else None
    return ServedModel(
        predict=(screened or classifier).predict,
        card=card,
        answering=card.answering(cascade=served is not None, screened=screened is not None),
        path=path,
        cascade=served,
        judge=open_judge(model_dir, card.reading, threads) if card.reading else None,
        slash=open_slash(model_dir, card.slash, threads) if card.slash else None,
        gaps=open_gaps(model_dir, card.gaps, threads) if card.gaps else None,
    )
