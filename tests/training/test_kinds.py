"""Digits beyond MNIST as labelled model inputs, made as the service prepares uploads."""

from __future__ import annotations

import numpy as np

from synthesis.kinds import FONT_KINDS
from synthesis.styles import STYLES
from training.kinds import CROPS, KINDS, cached, crops_of, make


def test_each_kind_comes_out_as_labelled_model_inputs(sample_digits) -> None:
    for kind in KINDS:
        images, labels, styles = make(kind, "train", 40, seed=5, digits=sample_digits, workers=1)
        assert images.shape[1:] == (28, 28) and images.dtype == np.float32
        assert len(images) == len(labels) == len(styles) >= 36  # a blank one may be refused
        assert images.max() > 200
        assert set(styles) == set(range(len(STYLES)))
        if kind not in FONT_KINDS:  # the redrawn digits keep the labels of their sources
            assert set(labels) <= set(sample_digits.labels)


def test_the_same_arguments_make_the_same_images(sample_digits, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("training.kinds.CACHE", tmp_path)
    first = cached("typed", "validation", 20, 7, sample_digits)
    again = cached("typed", "validation", 20, 7, sample_digits)  # read back from the cache
    assert list(tmp_path.iterdir())
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a, b)
    other = make("typed", "train", 20, 7, sample_digits, workers=1)
    assert not np.array_equal(first[0][:5], other[0][:5])  # other fonts


def test_crops_of_a_split_are_made_once_and_read_back(sample_digits, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("training.kinds.CACHE", tmp_path)
    monkeypatch.setattr("training.kinds.CROP_COUNTS", {"validation": 30})
    monkeypatch.setattr("training.kinds.CROP_CHUNK", 20)  # two jobs, each its own seed
    first = crops_of("validation", sample_digits)
    assert set(first) == set(CROPS) and len(list(tmp_path.iterdir())) == len(CROPS)
    for images, labels in first.values():
        assert images.shape == (30, 28, 28) and set(labels) <= set(range(10))
        assert not np.array_equal(images[:10], images[20:30])  # the jobs do not repeat
    again = crops_of("validation", sample_digits)  # read back from the cache
    for kind in CROPS:
        assert all(np.array_equal(a, b) for a, b in zip(first[kind], again[kind], strict=True))
