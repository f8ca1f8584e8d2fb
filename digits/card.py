"""The model card, `metrics.json`: the one reader and writer of what a model is and measured.

Training writes it (`training.train`), compiling and calibrating add to it (`training.litert`,
`training.cascade`), and the service reads it once at startup. Every reader asks the card, not
the JSON, so the name, parameter count and test accuracy of what answers are decided in one
place (`ModelCard.answering`) and every surface (responses, /model, /metrics, Prometheus) says
the same. Sections the card does not type (per-class scores, histories) are kept as written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from digits.contract import METRICS_FILENAME


class CardError(ValueError):
    """A metrics.json that cannot be read as a model card; the message names the file."""


class Section(BaseModel):
    """A part of the card: its typed fields, and whatever else training recorded, kept."""

    model_config = ConfigDict(extra="allow")


class ModelSection(Section):
    name: str
    architecture: str = "unknown"
    description: str | None = None
    parameters: int | None = None
    members: int | None = None
    file: str | None = None
    input: dict | None = None


class Evaluation(Section):
    accuracy: float
    errors: int | None = None
    size: int | None = None
    loss: float | None = None


class CascadeEvaluation(Section):
    accuracy: float
    errors: int
    handed_on: float  # share of the images the fast network handed to the full model


class CascadeRecord(Section):
    name: str  # "<fast>+<full>": what answers when the cascade is served
    fast_model: str  # its compiled file, relative to the model folder
    fast_model_parameters: int
    threshold: float
    rule: str | None = None
    validation: CascadeEvaluation
    test: CascadeEvaluation
    thresholds_on_validation: dict[str, CascadeEvaluation] = {}
    sha256: dict[str, str]  # the files calibration measured, relative to the model folder


class NotADigitRecord(Section):
    """The not-a-digit decision and calibrated confidence, chosen on validation, measured once."""

    classifier: str  # the name of what answered when the temperature was fitted
    detector: str  # its compiled file, relative to the model folder
    detector_parameters: int
    threshold: float  # images whose digit score is below it are answered `not_a_digit`
    temperature: float  # of the classifier's probabilities, fitted on the validation split
    calibration: dict = {}  # expected calibration error before and after, per split
    validation: dict = {}
    test: dict = {}
    baseline: dict = {}  # the classifier's top probability as the detector, for comparison
    sha256: dict[str, str]  # the files measured, relative to the model folder


class ReadingRecord(Section):
    """How /read chooses among the candidate cuts of a number: the piece judge it asks."""

    judge: str  # its compiled file, relative to the model folder
    judge_parameters: int
    sha256: dict[str, str]  # the file trained and checked, relative to the model folder


class SlashRecord(Section):
    """How /read tells a slash from a digit: the network it asks and the threshold chosen on
    validation numbers, where at most `false_slashes` of the digits it saw were taken for one."""

    network: str  # its compiled file, relative to the model folder
    parameters: int
    threshold: float  # a stroke whose slash probability reaches it is a "/"
    validation: dict = {}  # at the threshold: digits taken for slashes, slashes found
    sha256: dict[str, str]  # the file trained and checked, relative to the model folder


class GapRecord(Section):
    """How /read finds a separator fused to a digit: the network it asks about the gaps between
    digits where no mark was found, the threshold at which a gap holds a mark (at most
    `false_marks` of the empty validation gaps reach it) and the sureness at which a point or a
    comma is put in the text (below it the mark is unread and the number refused)."""

    network: str  # its compiled file, relative to the model folder
    parameters: int
    threshold: float  # a gap whose chance of holding a mark reaches it holds one
    sure: float  # ... named where the mark's own probability reaches this, else unread
    validation: dict = {}  # at the thresholds: empty gaps marked, marks found and named
    sha256: dict[str, str]  # the file trained and checked, relative to the model folder


@dataclass(frozen=True)
class Answering:
    """What answers requests: the full model alone, or the cascade in front of it."""

    name: str
    architecture: str
    parameters: int | None
    test_accuracy: float | None
    created_at: str | None
    cascade: CascadeRecord | None
    not_a_digit: NotADigitRecord | None = None


class ModelCard(Section):
    model: ModelSection
    test_accuracy: float | None = None  # of the model as trained (test.accuracy), kept on top
    test: Evaluation | None = None
    validation: Evaluation | None = None
    training: dict = {}
    data: dict = {}
    teacher: dict | None = None
    versions: dict[str, str] = {}
    created_at: str | None = None
    serving: dict | None = None  # the compiled file checked against the Keras model
    cascade: CascadeRecord | None = None
    not_a_digit: NotADigitRecord | None = None
    reading: ReadingRecord | None = None
    slash: SlashRecord | None = None
    gaps: GapRecord | None = None

    @classmethod
    def read(cls, model_dir: Path) -> ModelCard:
        path = model_dir / METRICS_FILENAME
        try:
            return cls.model_validate_json(path.read_text())
        except OSError as exc:
            raise CardError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise CardError(f"{path} is not a model card: {where}: {first['msg']}") from None

    @classmethod
    def exists(cls, model_dir: Path) -> bool:
        return (model_dir / METRICS_FILENAME).is_file()

    @classmethod
    def placeholder(cls, name: str) -> ModelCard:
        """For a model folder without a card: a name, and no measurements."""
        return cls(model=ModelSection(name=name))

    def write(self, model_dir: Path) -> Path:
        path = model_dir / METRICS_FILENAME
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n")
        return path

    def as_json(self) -> dict:
        """The card as written: the fields that were set, in their order."""
        return self.model_dump(mode="json", exclude_unset=True)

    def answering(self, cascade: bool, screened: bool = False) -> Answering:
        """Name, size and measured accuracy of what answers, with the cascade served or not,
        and the not-a-digit decision where it is served."""
        record = self.cascade if cascade else None
        parameters = self.model.parameters
        if record:
            parameters = parameters and parameters + record.fast_model_parameters
        accuracy = record.test.accuracy if record else self.test_accuracy
        return Answering(
            name=record.name if record else self.model.name,
            architecture=self.model.architecture,
            parameters=parameters,
            test_accuracy=accuracy,
            created_at=self.created_at,
            cascade=record,
            not_a_digit=self.not_a_digit if screened else None,
        )
