"""`python -m training export`: write MNIST as a folder of images in the seed's layout.

The 2016 tutorial trained on 42,000 files named `<label>.<n>.jpg` in one folder; this rebuilds
such a folder from the vendored MNIST so its workflow can be re-run (`--layout per-label` writes
`<label>/<n>.png` subfolders instead).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from training.data import VENDORED_MNIST, DataError, Digits, load_idx_dir

SEED_COUNT = 42_000


def export_folder(data: Digits, out_dir: Path, fmt: str = "jpg", layout: str = "flat") -> int:
    """Write each image as a file named after its label; returns how many were written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for n, (image, label) in enumerate(zip(data.images, data.labels, strict=True)):
        if layout == "flat":
            path = out_dir / f"{label}.{n}.{fmt}"
        else:
            path = out_dir / str(label) / f"{n}.{fmt}"
            path.parent.mkdir(exist_ok=True)
        Image.fromarray(image, mode="L").save(path, **({"quality": 95} if fmt == "jpg" else {}))
    return len(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training export", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--count",
        type=int,
        default=SEED_COUNT,
        help="images, from the start of MNIST's training set",
    )
    parser.add_argument("--format", choices=("jpg", "png"), default="jpg")
    parser.add_argument("--layout", choices=("flat", "per-label"), default="flat")
    parser.add_argument("--mnist", type=Path, default=VENDORED_MNIST)
    args = parser.parse_args(argv)
    try:
        data = load_idx_dir(args.mnist, "train").subset(slice(0, args.count))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    written = export_folder(data, args.out_dir, args.format, args.layout)
    print(f"wrote {written} images to {args.out_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
