"""The architectures the trainer can build, each with the recipe that trains it well.

Both take raw 0-255 pixels (the contract); scaling, and for `default` augmentation, are layers
of the model, so the saved file carries its own preprocessing and serving cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

from digits.card import ModelSection
from digits.contract import INPUT_SHAPE, NUM_CLASSES, PIXEL_MAX


@dataclass(frozen=True)
class Architecture:
    name: str
    build: Callable[[], keras.Model]
    optimizer: Callable[[int, int], keras.optimizers.Optimizer]  # (steps per epoch, epochs)
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


def context_network(
    groups: list[list[int]], units: int, dropout: float, outputs: int, name: str
) -> keras.Model:
    """A small CNN over a piece of a number in its context (`CONTEXT_SHAPE`, /read's piece judge
    and slash reader): groups of conv blocks of these widths, pooled between groups, averaged,
    one dense layer, `outputs` probabilities."""
    from digits.segment import CONTEXT_SHAPE

    blocks: list[layers.Layer] = []
    for k, widths in enumerate(groups):
        if k:
            blocks.append(layers.MaxPooling2D(2))
        blocks += [layer for width in widths for layer in conv_block(width)]
    return keras.Sequential(
        [
            keras.Input(CONTEXT_SHAPE),
            layers.Rescaling(1 / 255),
            *blocks,
            layers.GlobalAveragePooling2D(),
            layers.Dense(units, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(outputs, activation="softmax"),
        ],
        name=name,
    )


def context_section(name: str, architecture: str, description: str) -> ModelSection:
    """The card's model section of a network built by `context_network`: its file and input."""
    from digits.segment import CONTEXT_SHAPE

    return ModelSection(
        name=name,
        architecture=architecture,
        description=description,
        file="model.keras",
        input={"shape": list(CONTEXT_SHAPE), "dtype": "float32", "pixel_range": [0, 255]},
    )


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


def augmentation(degrees: float = 10, zoom: float = 0.1, shift: float = 0.1) -> list[layers.Layer]:
    """Small rotations, zooms and shifts, as handwriting varies; active only while training."""
    return [
        layers.RandomRotation(degrees / 360, fill_mode="constant"),
        layers.RandomZoom(zoom, fill_mode="constant"),
        layers.RandomTranslation(shift, shift, fill_mode="constant"),
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
    """The fast model: one convolution per resolution, a fraction of the cost of the `default`
    pair it is distilled from (`bench/results.md`).

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


def conv_bn(filters: int, size: int, strides: int = 1) -> list[layers.Layer]:
    """A ReLU convolution followed by batch norm (the order of the Kaggle recipe `deep` follows)."""
    padding = "same" if strides > 1 else "valid"
    return [
        layers.Conv2D(filters, size, strides=strides, padding=padding, activation="relu"),
        layers.BatchNormalization(),
    ]


def build_deep() -> keras.Model:
    """The accurate member: Chris Deotte's Kaggle MNIST CNN (conv 32-32-32/2, 64-64-64/2, 128),
    strided 5x5 convolutions where `default` pools, dropout 0.4 after each block, and stronger
    augmentation (rotation 15 degrees, zoom 0.15, shift 0.1)."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *augmentation(degrees=15, zoom=0.15, shift=0.1),
            layers.Rescaling(1.0 / PIXEL_MAX),
            *conv_bn(32, 3),
            *conv_bn(32, 3),
            *conv_bn(32, 5, strides=2),
            layers.Dropout(0.4),
            *conv_bn(64, 3),
            *conv_bn(64, 3),
            *conv_bn(64, 5, strides=2),
            layers.Dropout(0.4),
            *conv_bn(128, 4),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="deep",
    )


def seed_optimizer(steps_per_epoch: int, epochs: int) -> keras.optimizers.Optimizer:
    return keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)


def default_optimizer(steps_per_epoch: int, epochs: int) -> keras.optimizers.Optimizer:
    """Adam with a short warm-up then cosine decay to zero: converges without tuning epochs."""
    total_steps = steps_per_epoch * epochs
    warmup = max(1, total_steps // 20)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup),
        warmup_target=1e-3,
        warmup_steps=warmup,
    )
    return keras.optimizers.Adam(learning_rate=schedule)


def decaying_optimizer(steps_per_epoch: int, epochs: int) -> keras.optimizers.Optimizer:
    """Adam at 1e-3, multiplied by 0.95 every epoch (the Kaggle recipe's schedule)."""
    schedule = keras.optimizers.schedules.ExponentialDecay(
        1e-3, decay_steps=steps_per_epoch, decay_rate=0.95, staircase=True
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
        description="one small CNN (32-64-128 filters, Dense 128) distilled from the model it "
        "serves in front of (the card's teacher)",
        teacher="default",
    ),
    "deep": Architecture(
        "deep",
        build_deep,
        decaying_optimizer,
        epochs=35,
        batch_size=64,
        patience=35,  # run the whole schedule; selection keeps the best validation epoch
        members=5,  # trained one per run (python -m training members), averaged when assembled
        description="Deotte-style CNNs (32-32-32/2, 64-64-64/2, 128; batch norm, dropout 0.4, "
        "augmentation), averaged",
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
