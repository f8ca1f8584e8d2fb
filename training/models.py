"""The architectures the trainer can build, each with the recipe that trains it well.

Both take raw 0-255 pixels (the contract); scaling, and for `default` augmentation, are layers
of the model, so the saved file carries its own preprocessing and serving cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

from training.contract import INPUT_SHAPE, NUM_CLASSES, PIXEL_MAX


@dataclass(frozen=True)
class Architecture:
    name: str
    build: Callable[[], keras.Model]
    optimizer: Callable[[int], keras.optimizers.Optimizer]  # steps of the whole run -> optimizer
    epochs: int
    batch_size: int
    patience: int  # early stopping: epochs without a better validation loss
    members: int  # networks trained with successive seeds and averaged into one model
    description: str
    teacher: str | None = None  # distilled from this architecture's model instead of labels alone


def build_seed() -> keras.Model:
    """The 2016 tutorial's CNN, layer for layer in Keras 3 (tanh, valid convolutions)."""
    normal = keras.initializers.RandomNormal(stddev=0.05)  # Keras 1's init="normal"
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Rescaling(1.0 / PIXEL_MAX),
            layers.Conv2D(4, 5, activation="tanh"),
            layers.Conv2D(8, 3, activation="tanh"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, activation="tanh"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation="tanh", kernel_initializer=normal),
            layers.Dense(NUM_CLASSES, activation="softmax", kernel_initializer=normal),
        ],
        name="seed",
    )


def conv_block(filters: int) -> list[layers.Layer]:
    return [
        layers.Conv2D(filters, 3, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
    ]


def dense_head(units: int, dropout: float) -> list[layers.Layer]:
    """Flattened features -> a batch-normed dense layer -> one probability per digit."""
    return [
        layers.Flatten(),
        layers.Dense(units, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Dropout(dropout),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]


def augmentation() -> list[layers.Layer]:
    """Small rotations, zooms and shifts, as handwriting varies; active only while training."""
    return [
        layers.RandomRotation(10 / 360, fill_mode="constant"),
        layers.RandomZoom(0.1, fill_mode="constant"),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
    ]


def build_default() -> keras.Model:
    """The accurate model: a small VGG-style CNN with batch norm, dropout and augmentation.

    Valid convolutions keep it cheap enough to train on a 2-core CPU; two of them, averaged, are
    the teacher that `compact` learns from.
    """
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *augmentation(),
            layers.Rescaling(1.0 / PIXEL_MAX),
            *conv_block(32),
            *conv_block(32),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            *conv_block(64),
            *conv_block(64),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            *dense_head(256, dropout=0.5),
        ],
        name="default",
    )


def build_compact() -> keras.Model:
    """The fast model: one convolution per resolution, ~0.1 ms an image on one CPU core, a fifth
    of the `default` pair it is distilled from.

    No augmentation layers: distillation augments each batch before teacher and student see it.
    """
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Rescaling(1.0 / PIXEL_MAX),
            *conv_block(32),
            layers.MaxPooling2D(2),
            *conv_block(64),
            layers.MaxPooling2D(2),
            *conv_block(128),
            *dense_head(128, dropout=0.25),
        ],
        name="compact",
    )


def seed_optimizer(total_steps: int) -> keras.optimizers.Optimizer:
    return keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)


def default_optimizer(total_steps: int) -> keras.optimizers.Optimizer:
    """Adam with a short warm-up then cosine decay to zero: converges without tuning epochs."""
    warmup = max(1, total_steps // 20)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup),
        warmup_target=1e-3,
        warmup_steps=warmup,
    )
    return keras.optimizers.Adam(learning_rate=schedule)


ARCHITECTURES = {
    "default": Architecture(
        "default",
        build_default,
        default_optimizer,
        epochs=30,
        batch_size=128,
        patience=30,  # the cosine schedule must run its course; selection keeps the best epoch
        members=2,  # two networks err on different digits: their average is right more often
        description="two VGG-style CNNs (batch norm, dropout, augmentation, cosine LR), averaged",
    ),
    "compact": Architecture(
        "compact",
        build_compact,
        default_optimizer,
        epochs=30,
        batch_size=128,
        patience=30,
        members=1,
        description="one small CNN (32-64-128 filters, Dense 128) distilled from the default pair",
        teacher="default",
    ),
    "seed": Architecture(
        "seed",
        build_seed,
        seed_optimizer,
        epochs=10,
        batch_size=100,
        patience=5,
        members=1,
        description="the 2016 tutorial's tanh CNN (4-8-16 filters, Dense 128)",
    ),
}
