"""Response bodies of the API, with the examples /docs shows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from app.core.errors import ErrorBody
from digits.contract import NUM_CLASSES

ANSWER_ID = (
    "this answer's id: POST /corrections takes it with the right label, where the answer's "
    "input was captured (DIGITS_CAPTURE_PERCENT); also in the service's log line"
)
EXAMPLE_PROBABILITIES = [0.0, 0.0, 0.001, 0.0, 0.0, 0.0, 0.0, 0.998, 0.0, 0.001]


class Prediction(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "3f0c2a9e8b7d4c1fa6e5d4c3b2a19081",
                "digit": 7,
                "confidence": 0.998,
                "probabilities": EXAMPLE_PROBABILITIES,
                "filename": "seven.png",
                "model": "mnist-compact+mnist-deep",
                "model_version": "1",
            }
        }
    )

    id: str = Field(description=ANSWER_ID)
    digit: int = Field(ge=0, le=9, description="the most probable digit")
    confidence: float = Field(ge=0, le=1, description="probability of that digit")
    probabilities: list[float] = Field(
        min_length=NUM_CLASSES,
        max_length=NUM_CLASSES,
        description="one per digit 0-9, summing to 1",
    )
    filename: str | None = Field(None, description="the uploaded file's name, when it had one")
    model: str = Field(description="name of the model that answered")
    model_version: str = Field(description="the version of the model that answered")
    input_image: str | None = Field(
        None,
        description="what the model saw: the 28x28 preprocessed input as a PNG data URL "
        "(only with ?include_input=true)",
    )
    is_digit: bool | None = Field(
        None,
        description="whether the image shows a digit at all (its digit score reaches the model "
        "card's threshold); null where the model has no not-a-digit detector",
    )
    digit_score: float | None = Field(
        None, ge=0, le=1, description="the detector's score: how much the image looks like a digit"
    )
    error: ErrorBody | None = Field(
        None,
        description="in /predict/batch only: why this image got no answer (`not_a_digit`); "
        "the fields above then hold the best guess",
    )


class DigitReading(BaseModel):
    digit: int = Field(ge=0, le=9)
    confidence: float = Field(ge=0, le=1, description="probability of that digit")
    probabilities: list[float] = Field(min_length=NUM_CLASSES, max_length=NUM_CLASSES)
    box: list[int] = Field(
        min_length=4, max_length=4, description="x, y, width, height in the uploaded image's pixels"
    )
    is_digit: bool | None = Field(None, description="as in /predict; null without a detector")
    digit_score: float | None = Field(None, ge=0, le=1)


class SeparatorReading(BaseModel):
    char: str = Field(
        description="the separator: `.` `,` `-` `:` `/`, a space between groups, or `?` for a "
        "mark /read cannot tell (the number is then refused unless `always_guess`)"
    )
    box: list[int] | None = Field(
        None,
        min_length=4,
        max_length=4,
        description="x, y, width, height in the uploaded image's pixels (none for a space)",
    )
    confidence: float = Field(
        ge=0, le=1, description="how well its shape fits the rule it was read by (1: ideally)"
    )
    position: int = Field(ge=0, description="its index in `text`")


class NumberReading(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "9d1e6b0c2f3a4e5d8c7b6a5f4e3d2c1b",
                "text": "12.5",
                "confidence": 0.97,
                "digits": [
                    {
                        "digit": 1,
                        "confidence": 0.99,
                        "probabilities": [0.0, 0.99, 0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.0, 0.0],
                        "box": [12, 30, 24, 70],
                        "is_digit": True,
                        "digit_score": 0.998,
                    }
                ],
                "separators": [
                    {"char": ".", "box": [96, 90, 10, 10], "confidence": 0.98, "position": 2}
                ],
                "model": "mnist-compact+mnist-deep",
                "model_version": "1",
                "input_images": None,
            }
        }
    )

    id: str = Field(description=ANSWER_ID)
    text: str = Field(
        description="the digits and separators left to right, leading zeros kept, a space "
        "between groups of digits (`01/12/2026`, `12.50`, `1,000`, `-5`, `12:30`, `120 000`)"
    )
    confidence: float = Field(
        ge=0, le=1, description="that every digit is right: the product of their confidences"
    )
    digits: list[DigitReading] = Field(description="each digit found, left to right")
    separators: list[SeparatorReading] = Field(
        default_factory=list, description="each separator in `text`, left to right"
    )
    model: str
    model_version: str = Field(description="the version of the model that answered")
    input_images: list[str] | None = Field(
        None, description="with ?include_input=true: each digit's 28x28 input, as PNG data URLs"
    )


class BatchPrediction(BaseModel):
    predictions: list[Prediction] = Field(description="one per uploaded file, in the order sent")


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"status": "ok"}})

    status: str


class ModelInfo(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "mnist-compact+mnist-deep",
                "version": "1",
                "loaded_versions": ["1"],
                "architecture": "deep",
                "description": "VGG-style CNN, batch norm, dropout, augmentation, cosine LR",
                "parameters": 1963452,
                "input": {
                    "shape": [28, 28, 1],
                    "dtype": "float32",
                    "pixel_range": [0, 255],
                    "polarity": "light digit on dark background",
                    "labels": list(range(10)),
                },
                "trained_at": "2026-11-27T10:00:00+00:00",
                "test_accuracy": 0.997,
                "versions": {"keras": "3.15.1", "tensorflow": "2.21.0"},
            }
        }
    )

    name: str
    version: str = Field(
        description="the model version this describes (default: the one that "
        "answers requests that name none)"
    )
    loaded_versions: list[str] = Field(description="every version loaded, oldest first")
    architecture: str
    description: str | None = None
    parameters: int | None = None
    input: dict
    trained_at: str | None = None
    test_accuracy: float | None = None
    versions: dict[str, str] = Field(
        default_factory=dict, description="the libraries that trained it"
    )
    cascade: dict | None = Field(
        None,
        description="when a fast network answers first: its file, the confidence threshold below "
        "which it hands an image to the full model, and the cascade as measured (validation, test)",
    )
    not_a_digit: dict | None = Field(
        None,
        description="when a detector screens images: its threshold, the temperature calibrating "
        "the confidence, and how both measured (refusals of digits and non-digits, AUROC)",
    )
    reading: dict | None = Field(
        None,
        description="when /read has a piece judge to choose among the cuts of touching digits: "
        "its file and size; null where /read chooses by the classifier's answers alone",
    )
    slash: dict | None = Field(
        None,
        description="when /read has a slash reader to tell a date's or a fraction's `/` from a "
        "digit: its file, size, threshold and how it measured on validation; null where a "
        "slash is read as a digit",
    )
    gaps: dict | None = Field(
        None,
        description="when /read has a gap reader to find a point, a comma or a colon fused to a "
        "digit (a heavy face's) or too big for the rules' shapes: its file, size, thresholds "
        "and how it measured on validation; null where only marks standing free of the digits "
        "are found",
    )


class ReloadReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "loaded": ["3"],
                "refused": {},
                "retired": ["1"],
                "serving": ["2", "3"],
                "default": "3",
            }
        }
    )

    loaded: list[str] = Field(description="versions loaded by this look")
    refused: dict[str, str] = Field(description="versions that failed their checks, and why")
    retired: list[str] = Field(description="versions no longer served (they finish what they hold)")
    serving: list[str] = Field(description="the versions loaded now")
    default: str | None = Field(description="the version that answers requests naming none")


class CorrectionRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"id": "3f0c2a9e8b7d4c1fa6e5d4c3b2a19081", "label": "1"}}
    )

    id: str = Field(min_length=1, max_length=64, description="the answer's id, as it was given")
    label: StrictStr | StrictInt = Field(
        description="the right answer: a digit 0-9, a number as /read writes it (`12.50`), or "
        "`not_a_digit`"
    )


class CorrectionRecord(BaseModel):
    id: str = Field(description="the correction's id")
    answer_id: str | None = Field(description="the answer it corrects")
    label: str = Field(description="the label the person gave")
    answered: str | None = Field(description="what the service had answered")
    version: str | None = Field(description="the model version that answered")
    images: int = Field(description="28x28 images it labels (a number's: one per digit found)")
    created_at: datetime
    updated_at: datetime


class CorrectionReceipt(CorrectionRecord):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "5b2e0f7a6c1d4e3b9a8f7e6d5c4b3a21",
                "answer_id": "3f0c2a9e8b7d4c1fa6e5d4c3b2a19081",
                "label": "1",
                "answered": "7",
                "version": "1",
                "images": 1,
                "created_at": "2026-12-01T12:00:00",
                "updated_at": "2026-12-01T12:00:00",
                "replaced": False,
            }
        }
    )

    replaced: bool = Field(
        description="whether it replaced an earlier correction of the same answer (same id)"
    )


class CorrectionList(BaseModel):
    corrections: list[CorrectionRecord] = Field(description="oldest first")
    total: int = Field(description="corrections stored in all")
