"""Loaders for the MNIST layouts people actually have.

Every loader returns a `Digits` of uint8 images (N, 28, 28) and int labels (N,), or raises
`DataError` naming the file at fault, so that a bad source never fails deep inside Keras.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from digits.contract import IMAGE_SIZE, LABELS, PIXEL_MAX

VENDORED_MNIST = Path(__file__).resolve().parent.parent / "data" / "mnist"

# sha256 of the *uncompressed* IDX files, as listed in data/mnist/README.md.
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049
FORMATS = ("auto", "idx", "folder", "csv")


class DataError(ValueError):
    """A data source that cannot be used, with a message that names the file at fault."""


@dataclass(frozen=True)
class Digits:
    images: np.ndarray  # (N, 28, 28) uint8, light digit on dark background
    labels: np.ndarray  # (N,) int64 in LABELS

    def __post_init__(self) -> None:
        if len(self.images) != len(self.labels):
            raise DataError(f"{len(self.images)} images but {len(self.labels)} labels")
        if len(self.images) == 0:
            raise DataError("the data source holds no images")

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray | slice) -> Digits:
        return Digits(self.images[index], self.labels[index])


def fingerprint(data: Digits) -> str:
    """sha256 of the pixels and labels, whatever file layout they came from."""
    digest = hashlib.sha256(np.ascontiguousarray(data.images).tobytes())
    digest.update(data.labels.astype(np.int64).tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------- IDX (canonical MNIST)


def read_idx_bytes(path: Path) -> bytes:
    """The file's uncompressed bytes; gzip is detected by its magic number, not the suffix."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: unreadable or corrupt ({exc})") from None


def parse_idx(data: bytes, expected_magic: int, path: Path) -> np.ndarray:
    """Decode one IDX payload (big-endian int32 magic and dims, then uint8 data)."""
    ndim = {IDX_IMAGES_MAGIC: 3, IDX_LABELS_MAGIC: 1}[expected_magic]
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(f"{path}: too short to be an IDX file")
    magic, *dims = np.frombuffer(data[:header_len], dtype=">i4").tolist()
    if magic != expected_magic:
        raise DataError(f"{path}: IDX magic {magic}, expected {expected_magic}")
    expected_len = header_len + int(np.prod(dims))
    if len(data) != expected_len:
        raise DataError(f"{path}: {len(data)} bytes, header promises {expected_len} (truncated?)")
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)


def find_idx_file(directory: Path, stem: str) -> Path:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.exists():
            return candidate
    raise DataError(f"{directory / stem}[.gz]: file not found")


def load_idx(images_path: Path, labels_path: Path, sha256: dict[str, str] | None = None) -> Digits:
    """Load an IDX image/label pair, verifying checksums of the uncompressed data when given."""
    arrays = []
    for path, magic in ((images_path, IDX_IMAGES_MAGIC), (labels_path, IDX_LABELS_MAGIC)):
        data = read_idx_bytes(path)
        stem = path.name.removesuffix(".gz")
        if sha256 and stem in sha256 and hashlib.sha256(data).hexdigest() != sha256[stem]:
            raise DataError(
                f"{path}: checksum mismatch, the file is corrupt or not the MNIST original"
            )
        arrays.append(parse_idx(data, magic, path))
    images, labels = arrays
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(f"{images_path}: images are {images.shape[1:]}, expected 28x28")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path}: {len(images)} images but {labels_path.name} has {len(labels)}"
        )
    if labels.size and labels.max() > max(LABELS):
        raise DataError(f"{labels_path}: label {labels.max()} is not a digit")
    return Digits(images, labels.astype(np.int64))


def load_idx_dir(directory: Path, split: str = "train") -> Digits:
    """One split ("train" or "test") of an MNIST directory in the canonical file names."""
    images_stem, labels_stem = MNIST_FILES[split]
    return load_idx(
        find_idx_file(directory, images_stem), find_idx_file(directory, labels_stem), MNIST_SHA256
    )


def mnist_checksums(directory: Path = VENDORED_MNIST) -> dict[str, str]:
    """Checksums the training run records, so metrics.json says which data made the model."""
    return {
        stem: digest for stem, digest in MNIST_SHA256.items() if any(directory.glob(f"{stem}*"))
    }


# ---------------------------------------------------------------------------- folders of images


def image_to_array(path: Path) -> np.ndarray:
    """Read one image file as 28x28 uint8 grayscale; colour is converted, other sizes rejected."""
    try:
        with Image.open(path) as img:
            img.load()
            gray = img.convert("L")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{path}: not a readable image ({exc})") from None
    if gray.size != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(f"{path}: image is {gray.size[0]}x{gray.size[1]}, expected 28x28")
    return np.asarray(gray, dtype=np.uint8)


def parse_label(text: str, path: Path) -> int:
    if not re.fullmatch(r"[0-9]", text):
        raise DataError(f"{path}: label {text!r} is not a digit 0-9")
    return int(text)


def list_visible(directory: Path) -> list[Path]:
    """Entries in a stable order, without hidden files such as .DS_Store."""
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def load_image_folder(directory: Path) -> Digits:
    """A folder in either layout: one subfolder per label, or flat `<label>.<n>.<ext>` files."""
    if not directory.is_dir():
        raise DataError(f"{directory}: not a folder")
    entries = list_visible(directory)
    subdirs = [p for p in entries if p.is_dir()]
    if subdirs:
        labelled = [
            (f, parse_label(d.name, d)) for d in subdirs for f in list_visible(d) if f.is_file()
        ]
    else:
        labelled = [(f, parse_label(f.name.split(".", 1)[0], f)) for f in entries if f.is_file()]
    if not labelled:
        raise DataError(f"{directory}: no images found")
    images = np.stack([image_to_array(path) for path, _ in labelled])
    return Digits(images, np.array([label for _, label in labelled], dtype=np.int64))


# ---------------------------------------------------------------------------- Kaggle CSV


def load_kaggle_csv(path: Path) -> Digits:
    """Kaggle Digit Recognizer's `label,pixel0..pixel783` CSV."""
    expected = ["label"] + [f"pixel{i}" for i in range(IMAGE_SIZE * IMAGE_SIZE)]
    try:
        with path.open() as f:
            header = f.readline().strip().split(",")
            if header != expected:
                hint = " (Kaggle's test.csv has no labels)" if header == expected[1:] else ""
                raise DataError(f"{path}: header is not label,pixel0..pixel783{hint}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "no data": reported below instead
                rows = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: malformed CSV ({exc})") from None
    if rows.size == 0:
        raise DataError(f"{path}: no rows")
    if rows.shape[1] != len(expected):
        raise DataError(f"{path}: rows have {rows.shape[1]} columns, expected {len(expected)}")
    labels, pixels = rows[:, 0], rows[:, 1:]
    if bad := np.flatnonzero(~np.isin(labels, LABELS)).tolist():
        raise DataError(f"{path}: row {bad[0] + 2} has label {labels[bad[0]]}, not a digit 0-9")
    if pixels.min() < 0 or pixels.max() > PIXEL_MAX:
        raise DataError(f"{path}: pixel values outside 0-255")
    images = pixels.astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return Digits(images, labels)


# ---------------------------------------------------------------------------- dispatch


def detect_format(path: Path) -> str:
    if path.suffix.lower() == ".csv":
        return "csv"
    if path.is_dir() and any(path.glob(f"{MNIST_FILES['train'][0]}*")):
        return "idx"
    if path.is_dir():
        return "folder"
    raise DataError(f"{path}: not found, or not a folder, an MNIST directory or a .csv file")


def load_source(path: Path, fmt: str = "auto", split: str = "train") -> Digits:
    """Load any supported source; `split` picks train/test files of an MNIST directory."""
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "idx":
        return load_idx_dir(path, split)
    if fmt == "folder":
        return load_image_folder(path)
    if fmt == "csv":
        return load_kaggle_csv(path)
    raise DataError(f"unknown data format {fmt!r}; choose from {', '.join(FORMATS)}")


def split_holdout(data: Digits, holdout: int, seed: int) -> tuple[Digits, Digits]:
    """Shuffle with `seed`; the last `holdout` images validate, the rest train."""
    if not 0 < holdout < len(data):
        raise DataError(f"validation size {holdout} must be between 1 and {len(data) - 1}")
    order = np.random.default_rng(seed).permutation(len(data))
    return data.subset(order[:-holdout]), data.subset(order[-holdout:])


def card_split(model_dir: Path = Path("model")) -> tuple[Digits, Digits]:
    """The vendored MNIST training set split as the model card in `model_dir` records its
    networks held it out: every step that chooses anything validates on these same images."""
    from digits.card import ModelCard

    training = ModelCard.read(model_dir).training
    data = load_idx_dir(VENDORED_MNIST, "train")
    return split_holdout(data, training["validation_size"], training["seed"])


def mnist_digits(split: str) -> Digits:
    """MNIST's official `test` set, or the `train` or `validation` part of `card_split`."""
    if split == "test":
        return load_idx_dir(VENDORED_MNIST, "test")
    return card_split()[("train", "validation").index(split)]
