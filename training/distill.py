"""Knowledge distillation: a small network learns what a large, accurate model answers.

The accurate ensemble costs several times what a small network does to serve. `compact` is
trained to match its probabilities (softened by a temperature, so that which other digits an
image resembles is taught too) on the very same augmented images, beside the true labels; the
card (`model/fast/metrics.json`) records both networks' accuracy.
"""

from __future__ import annotations

import keras
from keras import ops

from digits.contract import NUM_CLASSES
from training.models import augmentation

TEMPERATURE = 3.0  # softens both distributions: the teacher's near-misses carry information
LABEL_WEIGHT = 0.3  # share of the loss on the true labels; the rest on matching the teacher
EPSILON = 1e-12


class Distiller(keras.Model):
    """Trains `student` only; outputs student and teacher probabilities side by side, (N, 20),
    because both must see the same randomly augmented batch."""

    def __init__(self, student: keras.Model, teacher: keras.Model, **kwargs) -> None:
        super().__init__(**kwargs)
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.augment = keras.Sequential(augmentation(), name="augmentation")

    def call(self, pixels, training: bool = False):
        seen = self.augment(pixels, training=training)
        return ops.concatenate(
            [self.student(seen, training=training), self.teacher(seen, training=False)], axis=-1
        )


def soften(probabilities, temperature: float):
    return ops.softmax(ops.log(probabilities + EPSILON) / temperature, axis=-1)


def distillation_loss(labels, outputs):
    """Cross-entropy on the labels plus KL divergence from the softened teacher (scaled by T^2,
    which keeps its gradients the size of the label term's)."""
    student, teacher = outputs[:, :NUM_CLASSES], outputs[:, NUM_CLASSES:]
    hard = keras.losses.sparse_categorical_crossentropy(labels, student)
    soft = keras.losses.kl_divergence(
        soften(teacher, TEMPERATURE), soften(student, TEMPERATURE)
    ) * (TEMPERATURE**2)
    return LABEL_WEIGHT * hard + (1 - LABEL_WEIGHT) * soft


def accuracy(labels, outputs):
    """The student's accuracy (the history's `accuracy`, as for a network trained alone)."""
    return keras.metrics.sparse_categorical_accuracy(labels, outputs[:, :NUM_CLASSES])
