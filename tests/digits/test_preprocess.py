"""Preprocessing of images as people make them, judged by what the model then recognises."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from digits.contract import MAX_PIXELS
from digits.errors import ImageRejected
from digits.preprocess import (
    SMALL_PNG_PIXELS,
    PlainPng,
    open_image,
    open_upload,
    pyspng,
    to_model_input,
)
from synthesis.styles import encode
from synthesis.uploads import STYLES
from tests.app.bad_inputs import corrupt_png


def preprocess(data: bytes) -> np.ndarray:
    """Encoded bytes -> the model input, as the service prepares an upload."""
    return to_model_input(open_upload(data, MAX_PIXELS))


def recognised(client, uploads: list[bytes]) -> list[int]:
    digits = []
    for start in range(0, len(uploads), 50):
        files = [
            ("files", (f"{i}", data, "application/octet-stream"))
            for i, data in enumerate(uploads[start : start + 50])
        ]
        response = client.post("/predict/batch", files=files)
        assert response.status_code == 200, response.text
        digits += [p["digit"] for p in response.json()["predictions"]]
    return digits


def test_mnist_digits_pass_through_unchanged(sample_digits) -> None:
    for image in sample_digits.images:
        np.testing.assert_array_equal(preprocess(STYLES["mnist_png"](image)), image)


# The shipped model misreads 0 or 1 of these 300 digits in every style; a margin of 2 more
# allows a retrained model its noise and still catches a preprocessing regression.
MOST_ERRORS_PER_STYLE = 3


@pytest.mark.parametrize("style", sorted(STYLES))
def test_real_style_uploads_are_recognised(client, sample_digits, style: str) -> None:
    uploads = [STYLES[style](image) for image in sample_digits.images]
    errors = int(np.sum(np.array(recognised(client, uploads)) != sample_digits.labels))
    assert errors <= MOST_ERRORS_PER_STYLE, f"{style}: {errors} wrong of {len(uploads)}"


def as_mode(image: np.ndarray, mode: str) -> Image.Image:
    """The digit as dark ink on white paper, stored in the given Pillow mode."""
    paper = Image.fromarray(255 - image, mode="L").resize((84, 84), Image.Resampling.BICUBIC)
    if mode == "I;16":
        sixteen_bit = Image.fromarray(np.asarray(paper).astype(np.uint16) * 257)
        assert sixteen_bit.mode == "I;16"
        return sixteen_bit
    if mode == "RGBA":
        return paper.convert("RGBA")
    if mode == "LA":
        ink = Image.fromarray(np.asarray(paper.point(lambda v: 255 - v)), mode="L")
        return Image.merge("LA", (Image.new("L", paper.size, 0), ink))  # black ink, alpha strokes
    return paper.convert(mode)


FORMATS = [
    ("1", "PNG"),
    ("L", "PNG"),
    ("P", "PNG"),
    ("RGB", "PNG"),
    ("RGBA", "PNG"),
    ("LA", "PNG"),
    ("I;16", "PNG"),
    ("CMYK", "JPEG"),
    ("L", "JPEG"),
    ("RGB", "BMP"),
    ("RGB", "WEBP"),
    ("L", "TIFF"),
    ("P", "GIF"),
    ("RGB", "PPM"),
]


@pytest.mark.parametrize(("mode", "fmt"), FORMATS, ids=[f"{m}-{f}" for m, f in FORMATS])
def test_every_mode_and_format(client, sample_digits, mode: str, fmt: str) -> None:
    picks = [1, 33, 65, 97, 129, 161, 193, 225, 257, 289]  # one of each digit
    uploads = [encode(as_mode(sample_digits.images[i], mode), fmt) for i in picks]
    assert recognised(client, uploads) == sample_digits.labels[picks].tolist()


def test_palette_png_with_transparency(client, sample_digits) -> None:
    image, label = sample_digits.images[100], int(sample_digits.labels[100])
    rgba = np.zeros((112, 112, 4), np.uint8)
    rgba[..., 3] = np.asarray(Image.fromarray(image).resize((112, 112)))
    palette = Image.fromarray(rgba, "RGBA").quantize(colors=16, method=Image.Quantize.FASTOCTREE)
    assert recognised(client, [encode(palette)]) == [label]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])  # PNG carries EXIF in an eXIf chunk
def test_exif_rotation_is_applied(client, sample_digits, fmt: str) -> None:
    image, label = sample_digits.images[200], int(sample_digits.labels[200])
    upright = Image.fromarray(255 - image).resize((112, 112)).convert("RGB")
    # stored rotated, with the EXIF tag (6: rotate 90 CW to display) that puts it upright
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    assert recognised(client, [encode(stored, fmt, exif=exif.tobytes())]) == [label]
    assert recognised(client, [encode(stored, fmt)]) != [label]  # the tag is what righted it


def test_animated_gif_uses_first_frame(client, sample_digits) -> None:
    first, second = sample_digits.images[0], sample_digits.images[150]
    frames = [Image.fromarray(first).convert("P"), Image.fromarray(second).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert recognised(client, [buffer.getvalue()]) == [int(sample_digits.labels[0])]


MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "I;16", "I", "F", "CMYK", "YCbCr"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mode=st.sampled_from(MODES),
    width=st.integers(1, 400),
    height=st.integers(1, 400),
    seed=st.integers(0, 2**32 - 1),
    fmt=st.sampled_from(["PNG", "TIFF", "BMP", "JPEG", "WEBP", "GIF"]),
)
def test_any_image_gives_a_digit_frame_or_a_clear_rejection(mode, width, height, seed, fmt) -> None:
    rng = np.random.default_rng(seed)
    base = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")
    if rng.random() < 0.3:  # also mostly-flat images, the blank-page edge case
        base = Image.new("RGB", (width, height), tuple(int(v) for v in rng.integers(0, 256, 3)))
    image = base.convert(mode)
    try:
        data = encode(image, fmt)
    except (OSError, ValueError, KeyError):
        return  # Pillow cannot write this mode in this format: not an upload anyone can make
    try:
        result = preprocess(data)
    except ImageRejected as rejection:
        assert 400 <= rejection.status < 500 and rejection.message
        return
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert result.min() >= 0 and result.max() <= 255


needs_libspng = pytest.mark.skipif(
    pyspng is None, reason="pyspng has no wheel for this platform: Pillow decodes every PNG"
)


def plain_pngs(sample_digits) -> dict[str, bytes]:
    """PNGs that libspng decodes (8-bit grey or RGB), MNIST-like and not."""
    digit = sample_digits.images[7]
    paper = Image.fromarray(255 - digit).resize((90, 60))
    shifted = np.zeros((28, 28), np.uint8)
    shifted[:20, :20] = digit[4:24, 4:24]
    return {
        "MNIST digit": encode(Image.fromarray(digit)),
        "MNIST-sized, off centre": encode(Image.fromarray(shifted)),
        "grey page": encode(paper),
        "RGB screenshot": encode(paper.convert("RGB")),
        "grey, one transparent level": encode(paper, transparency=255),
    }


@needs_libspng
def test_plain_pngs_are_decoded_by_libspng_to_the_same_input(sample_digits) -> None:
    for name, data in plain_pngs(sample_digits).items():
        opened = open_upload(data, MAX_PIXELS)
        assert isinstance(opened, PlainPng), name
        by_pillow = to_model_input(open_image(data, MAX_PIXELS))
        np.testing.assert_array_equal(to_model_input(opened), by_pillow, err_msg=name)


@needs_libspng
@settings(max_examples=60, deadline=None)
@given(
    mode=st.sampled_from(["L", "RGB"]),
    width=st.integers(8, 128),
    height=st.integers(8, 128),
    seed=st.integers(0, 2**32 - 1),
    level=st.integers(0, 9),
)
def test_any_plain_png_gives_what_pillow_gives(mode, width, height, seed, level) -> None:
    """Random content (noise, or a flat page with a blob of ink), any size and compression: the
    same model input, or the same refusal, whichever decoder reads it."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if rng.random() < 0.5:
        pixels[:] = rng.integers(0, 256, 3, dtype=np.uint8)
        top, left = int(rng.integers(0, height - 4)), int(rng.integers(0, width - 4))
        pixels[top : top + height // 3, left : left + width // 4] = 0
    data = encode(Image.fromarray(pixels, "RGB").convert(mode), compress_level=level)
    opened = open_upload(data, MAX_PIXELS)
    assert isinstance(opened, PlainPng)
    outcomes = []
    for image in (opened, open_image(data, MAX_PIXELS)):
        try:
            outcomes.append(to_model_input(image))
        except ImageRejected as rejection:
            outcomes.append(rejection.code)
    if isinstance(outcomes[0], str) or isinstance(outcomes[1], str):
        assert outcomes[0] == outcomes[1]
    else:
        np.testing.assert_array_equal(outcomes[0], outcomes[1])


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "I;16", "1"])
def test_other_pngs_are_opened_by_pillow(sample_digits, mode: str) -> None:
    data = encode(as_mode(sample_digits.images[3], mode))
    assert isinstance(open_upload(data, MAX_PIXELS), Image.Image)


def test_a_large_plain_png_is_opened_by_pillow() -> None:
    """libspng holds the GIL while it decodes; a large PNG is decoded in a worker thread, where
    Pillow lets the event loop go on meanwhile."""
    side = int(SMALL_PNG_PIXELS**0.5) + 1
    data = encode(Image.new("L", (side, side), 255))
    assert isinstance(open_upload(data, MAX_PIXELS), Image.Image)


def test_a_png_with_exif_is_opened_by_pillow(sample_digits) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.fromarray(sample_digits.images[3]), exif=exif.tobytes())
    assert isinstance(open_upload(data, MAX_PIXELS), Image.Image)  # Pillow turns it upright


def test_a_plain_png_over_the_limits_is_refused_as_pillow_refuses_it(sample_digits) -> None:
    data = encode(Image.fromarray(sample_digits.images[3]))
    with pytest.raises(ImageRejected) as refused:
        open_upload(data, 27 * 28)
    assert refused.value.code == "image_too_large"


@needs_libspng
def test_a_corrupt_plain_png_is_refused_by_pillow() -> None:
    opened = open_upload(corrupt_png(size=100), MAX_PIXELS)
    assert isinstance(opened, PlainPng)  # its header is whole
    with pytest.raises(ImageRejected) as refused:
        to_model_input(opened)
    assert refused.value.code == "corrupt_image"
