"""Loaders on small files the tests make, including every bad case a user hits."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.data import (
    VENDORED_MNIST,
    DataError,
    Digits,
    load_idx,
    load_idx_dir,
    load_image_folder,
    load_kaggle_csv,
    load_source,
    split_holdout,
)
from training.export import export_folder

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (12, 28, 28), dtype=np.uint8)
LABELS = np.arange(12) % 10


def write_idx(
    directory: Path, images: np.ndarray, labels: np.ndarray, compress: bool
) -> tuple[Path, Path]:
    image_bytes = np.array([2051, len(images), 28, 28], ">i4").tobytes() + images.tobytes()
    label_bytes = np.array([2049, len(labels)], ">i4").tobytes() + labels.astype(np.uint8).tobytes()
    paths = []
    for stem, data in (
        ("train-images-idx3-ubyte", image_bytes),
        ("train-labels-idx1-ubyte", label_bytes),
    ):
        path = directory / (stem + (".gz" if compress else ""))
        path.write_bytes(gzip.compress(data) if compress else data)
        paths.append(path)
    return paths[0], paths[1]


# ---------------------------------------------------------------- the vendored MNIST


def test_vendored_mnist_loads_with_verified_checksums() -> None:
    train, test = load_idx_dir(VENDORED_MNIST, "train"), load_idx_dir(VENDORED_MNIST, "test")
    assert train.images.shape == (60000, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (10000, 28, 28)
    assert np.bincount(test.labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]


def test_corrupt_mnist_copy_is_named(tmp_path: Path) -> None:
    shutil.copytree(VENDORED_MNIST, tmp_path / "mnist")
    labels = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(labels.read_bytes()))
    data[100] = (data[100] + 1) % 10  # one wrong label: same size, valid IDX, wrong content
    labels.write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch"):
        load_idx_dir(tmp_path / "mnist", "test")


def test_missing_mnist_file_is_named(tmp_path: Path) -> None:
    shutil.copytree(VENDORED_MNIST, tmp_path / "mnist")
    (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="train-images-idx3-ubyte.*not found"):
        load_idx_dir(tmp_path / "mnist", "train")


# ---------------------------------------------------------------- IDX


@pytest.mark.parametrize("compress", [True, False])
def test_idx_round_trip(tmp_path: Path, compress: bool) -> None:
    digits = load_idx(*write_idx(tmp_path, IMAGES, LABELS, compress))
    np.testing.assert_array_equal(digits.images, IMAGES)
    np.testing.assert_array_equal(digits.labels, LABELS)


def test_truncated_idx_is_reported(tmp_path: Path) -> None:
    images, labels = write_idx(tmp_path, IMAGES, LABELS, compress=False)
    images.write_bytes(images.read_bytes()[:-10])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: .*truncated"):
        load_idx(images, labels)


def test_corrupt_gzip_is_reported(tmp_path: Path) -> None:
    images, labels = write_idx(tmp_path, IMAGES, LABELS, compress=True)
    images.write_bytes(images.read_bytes()[:40])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: unreadable or corrupt"):
        load_idx(images, labels)


def test_swapped_idx_files_are_reported(tmp_path: Path) -> None:
    images, labels = write_idx(tmp_path, IMAGES, LABELS, compress=False)
    with pytest.raises(DataError, match="magic 2049, expected 2051"):
        load_idx(labels, images)


def test_idx_label_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="label 12 is not a digit"):
        load_idx(*write_idx(tmp_path, IMAGES, np.full(12, 12), compress=False))


# ---------------------------------------------------------------- folders


def save_images(paths: list[Path], mode: str = "L", size: tuple[int, int] = (28, 28)) -> None:
    for i, path in enumerate(paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(IMAGES[i % len(IMAGES)]).convert(mode).resize(size).save(path)


def test_flat_seed_layout_any_format(tmp_path: Path) -> None:
    files = [tmp_path / "3.0.jpg", tmp_path / "7.12.png", tmp_path / "0.5.bmp"]
    save_images(files)
    (tmp_path / ".DS_Store").write_bytes(b"\0junk")  # hidden files are not data
    digits = load_image_folder(tmp_path)
    assert sorted(digits.labels.tolist()) == [0, 3, 7]
    assert digits.images.shape == (3, 28, 28)


def test_per_label_layout_and_colour_conversion(tmp_path: Path) -> None:
    save_images([tmp_path / "4" / "a.png", tmp_path / "4" / "b.png"], mode="RGB")
    save_images([tmp_path / "9" / "c.png"], mode="RGBA")
    digits = load_image_folder(tmp_path)
    assert digits.labels.tolist() == [4, 4, 9]
    assert digits.images.dtype == np.uint8


@pytest.mark.parametrize(
    ("name", "error"),
    [("x.1.png", "label 'x' is not a digit"), ("10.1.png", "label '10' is not a digit")],
)
def test_bad_label_in_file_name(tmp_path: Path, name: str, error: str) -> None:
    save_images([tmp_path / "1.0.png", tmp_path / name])
    with pytest.raises(DataError, match=f"{name}: {error}"):
        load_image_folder(tmp_path)


def test_bad_label_folder(tmp_path: Path) -> None:
    save_images([tmp_path / "seven" / "a.png"])
    with pytest.raises(DataError, match="seven: label 'seven' is not a digit"):
        load_image_folder(tmp_path)


def test_unreadable_image_is_named(tmp_path: Path) -> None:
    save_images([tmp_path / "1.0.png"])
    (tmp_path / "2.1.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match=r"2\.1\.png: not a readable image"):
        load_image_folder(tmp_path)


def test_wrong_size_is_rejected(tmp_path: Path) -> None:
    save_images([tmp_path / "5.0.png"], size=(32, 32))
    with pytest.raises(DataError, match=r"5\.0\.png: image is 32x32, expected 28x28"):
        load_image_folder(tmp_path)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no images found"):
        load_image_folder(tmp_path)


def test_export_then_load_seed_layout(tmp_path: Path) -> None:
    data = Digits(IMAGES, LABELS)
    assert export_folder(data, tmp_path / "png", "png") == 12
    back = load_source(tmp_path / "png")  # auto-detected as a folder
    order = np.argsort([f"{label}.{n}" for n, label in enumerate(LABELS)])
    np.testing.assert_array_equal(back.images, IMAGES[order])  # PNG: lossless
    export_folder(data, tmp_path / "per", "jpg", layout="per-label")
    assert sorted(load_source(tmp_path / "per").labels.tolist()) == sorted(LABELS.tolist())


# ---------------------------------------------------------------- Kaggle CSV

HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))


def write_csv(path: Path, rows: list[list[int]], header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def test_kaggle_csv(tmp_path: Path) -> None:
    rows = [[int(LABELS[i]), *IMAGES[i].ravel().tolist()] for i in range(5)]
    digits = load_kaggle_csv(write_csv(tmp_path / "train.csv", rows))
    np.testing.assert_array_equal(digits.images, IMAGES[:5])
    assert load_source(tmp_path / "train.csv").labels.tolist() == LABELS[:5].tolist()


def test_kaggle_test_csv_without_labels(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "test.csv", [[0] * 784], header=HEADER.removeprefix("label,"))
    with pytest.raises(DataError, match="Kaggle's test.csv has no labels"):
        load_kaggle_csv(path)


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ([11] + [0] * 784, "row 2 has label 11"),
        ([1] + [0] * 783 + [300], "pixel values outside 0-255"),
        ([1] + [0] * 700, "malformed CSV|columns"),
        ([1, "abc"] + [0] * 783, "malformed CSV"),
    ],
)
def test_bad_kaggle_rows(tmp_path: Path, row: list, error: str) -> None:
    with pytest.raises(DataError, match=error):
        load_kaggle_csv(write_csv(tmp_path / "bad.csv", [row]))


def test_empty_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no rows|no images"):
        load_kaggle_csv(write_csv(tmp_path / "empty.csv", []))


def test_missing_source() -> None:
    with pytest.raises(DataError, match="not found"):
        load_source(Path("/nonexistent/folder"))


def test_holdout_split_is_seeded() -> None:
    data = Digits(IMAGES, LABELS)
    train_a, val_a = split_holdout(data, 4, seed=1)
    _, val_b = split_holdout(data, 4, seed=1)
    assert len(train_a) == 8 and len(val_a) == 4
    np.testing.assert_array_equal(val_a.images, val_b.images)
    with pytest.raises(DataError, match="validation size"):
        split_holdout(data, 12, seed=1)
