"""The loop the small networks share (the not-a-digit detector, the piece judge): fit from a
seed with Adam on a cosine schedule, save, compile for LiteRT (checked against Keras), and a
card that says what was trained, on what, and how it came out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from digits.card import ModelCard, ModelSection


def fit_and_write(
    network,
    data: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    out: Path,
    *,
    seed: int,
    epochs: int,
    batch: int,
    loss: str,
    model: ModelSection,
    training: dict,
    class_weight: dict | None = None,
) -> ModelCard:
    """Train `network` (built, not compiled) and write out/model.keras, model.tflite and the
    card; `model` and `training` are the card's own fields for this network."""
    import keras

    from training.litert import agreement, export_litert
    from training.train import library_versions, seed_everything

    (x, y), (val_x, val_y) = data, validation
    seed_everything(seed)
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, epochs * int(np.ceil(len(x) / batch)))
    network.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])
    history = network.fit(
        x,
        y,
        batch_size=batch,
        epochs=epochs,
        verbose=2,
        class_weight=class_weight,
        validation_data=(val_x, val_y),
    )
    out.mkdir(parents=True, exist_ok=True)
    network.save(out / model.file)
    check = agreement(network, export_litert(network, out), val_x[:2000].astype(np.float32))
    card = ModelCard(
        model=model.model_copy(update={"parameters": network.count_params()}),
        training={
            **training,
            "seed": seed,
            "epochs": epochs,
            "history": {k: [round(float(v), 6) for v in vs] for k, vs in history.history.items()},
        },
        validation={
            "accuracy": round(float(history.history["val_accuracy"][-1]), 6),
            "size": len(val_x),
        },
        serving=check,
        versions=library_versions(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    card.write(out)
    return card
