"""Every setting of the service, read from environment variables (prefix DIGITS_) in one place."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from digits.contract import MAX_PIXELS

REPO_ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), where the platform says."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGITS_", env_file=".env", extra="ignore")

    model_dir: Path = Field(
        REPO_ROOT / "model", description="folder with model.tflite and metrics.json"
    )
    model_repository: Path | None = Field(
        None,
        description="a repository of numbered model versions (<dir>/<n>/model.tflite ..., as "
        "`python -m training publish` writes them) to serve instead of model_dir; watched for "
        "new versions",
    )
    model_version: int | None = Field(
        None, gt=0, description="with a repository: serve this version only (default: latest)"
    )
    model_versions_loaded: int = Field(
        2, gt=0, description="with a repository: how many of the latest versions stay loaded"
    )
    model_poll_s: float = Field(
        2.0,
        ge=0,
        description="with a repository: seconds between looks for new versions (0: "
        "never; POST /model/reload still looks)",
    )
    max_upload_bytes: int = Field(5 * MB, gt=0, description="largest image upload, bytes")
    max_batch_bytes: int = Field(20 * MB, gt=0, description="largest /predict/batch request, bytes")
    max_pixels: int = Field(MAX_PIXELS, gt=0, description="largest image, width x height")
    max_batch_files: int = Field(64, gt=0, description="most images in one /predict/batch request")
    api_key: SecretStr | None = Field(None, description="when set, /predict* require this key")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated origins allowed by CORS"
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    batch_max_size: int = Field(64, gt=0, description="micro-batcher: most images per model call")
    batch_max_wait_ms: float = Field(
        1.0, ge=0, description="micro-batcher: longest wait for more requests to join a batch"
    )
    batching: bool = Field(True, description="coalesce concurrent requests into one model call")
    cascade: bool = Field(
        True,
        description="where training calibrated one, answer with the fast network first and "
        "hand only the images it is unsure of to the full model",
    )
    not_a_digit: bool = Field(
        True,
        description="where the model card has a calibrated detector: answer images that hold no "
        "digit with 422 not_a_digit, and calibrated confidences",
    )
    noop_route: bool = Field(
        False, description="mount POST /noop, the benchmarks' baseline (reads, never predicts)"
    )
    data_dir: Path = Field(
        REPO_ROOT / "var",
        description="the service's own state: the SQLite feedback database, where "
        "database_url names none",
    )
    database_url: SecretStr | None = Field(
        None,
        description="the feedback database as a SQLAlchemy URL (PostgreSQL: "
        "postgresql://user:password@host/db); default: SQLite, data_dir/feedback.sqlite3",
    )
    capture_percent: float = Field(
        0,
        ge=0,
        le=100,
        description="share of answered requests whose inputs (the 28x28 images the model saw) "
        "and answers are stored, so that they can be corrected by id and live accuracy "
        "measured; 0: none (images are then stored only when a person sends a correction)",
    )
    capture_days: float = Field(
        30, gt=0, description="captured inputs are deleted by the service after this many days"
    )
    corrections_per_minute: int = Field(
        30, ge=0, description="corrections one client may send per minute (0: no limit)"
    )
    operator_key: SecretStr | None = Field(
        None,
        description="the key of the operator routes (list, export, delete corrections); "
        "without one they answer 403",
    )
    inference_threads: int = Field(
        default_factory=lambda: min(2, available_cores()),
        gt=0,
        description="CPU threads per model call on a batch (LiteRT; a lone image runs on one); "
        "default: 2, or 1 on a single core",
    )

    @property
    def feedback_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'feedback.sqlite3'}"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        return (
            [o.strip() for o in value.split(",") if o.strip()] if isinstance(value, str) else value
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
