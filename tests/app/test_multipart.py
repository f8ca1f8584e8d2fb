"""Multipart bodies parsed in memory: the parts as sent, and every malformed body a 4xx."""

from __future__ import annotations

import pytest

from app.core.errors import ApiError
from app.multipart import MAX_FIELD_BYTES, parse

TYPE = "multipart/form-data; boundary=xyz"


def part(name: str, data: bytes, filename: str | None = None, extra: str = "") -> bytes:
    disposition = f'form-data; name="{name}"' + (
        "" if filename is None else f'; filename="{filename}"'
    )
    head = f"--xyz\r\nContent-Disposition: {disposition}\r\n{extra}\r\n"
    return head.encode() + data + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--xyz--\r\n"


def refused(data: bytes, content_type: str = TYPE, max_files: int = 2) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse(data, content_type, max_files, 3)
    return caught.value


def test_files_and_fields_come_back_in_order_with_their_bytes_intact() -> None:
    """Binary data keeps its line breaks and near-boundaries; a file may have an empty name
    (a browser's form with no file chosen); headers are matched whatever their case."""
    image = b"\x89PNG\r\n\x1a\n--xy\r\n--xyz-not-the-end\x00\xff"
    parts = parse(
        body(
            part("file", image, "d\u00e9j\u00e0.png", "content-type: image/png\r\n"),
            part("mode", b"number"),
            part("file", b"", ""),
        ),
        'multipart/form-data; boundary="xyz"',
        2,
        3,
    ).parts
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("file", "d\u00e9j\u00e0.png", image),
        ("mode", None, b"number"),
        ("file", "", b""),
    ]
    assert [p.is_file for p in parts] == [True, False, True]


def test_a_body_cut_short_gives_only_its_whole_parts() -> None:
    whole = body(part("a", b"1"), part("file", b"abcdef", "x.png"))
    assert [p.name for p in parse(whole[:-30], TYPE, 2, 3).parts] == ["a"]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code", "says"),
    [
        (body(part("a", b"1")), "multipart/form-data", 400, "bad_multipart", "boundary"),
        (
            b'--xyz\r\nContent-Disposition: form-data; filename="a.png"\r\n\r\nx\r\n--xyz--\r\n',
            TYPE,
            400,
            "bad_multipart",
            '"name"',
        ),
        (body(*[part("f", b"x", "f.png")] * 3), TYPE, 413, "too_many_files", "at most 2"),
        (body(*[part(f"t{i}", b"x") for i in range(4)]), TYPE, 400, "bad_multipart", "fields"),
        (body(part("t", b"x" * (MAX_FIELD_BYTES + 1))), TYPE, 400, "bad_multipart", "size"),
        (b"--xyz\r\nno header line ending\r\r\r", TYPE, 400, "bad_multipart", "Invalid"),
    ],
)
def test_malformed_bodies_are_refused_with_the_service_s_errors(
    data: bytes, content_type: str, status: int, code: str, says: str
) -> None:
    error = refused(data, content_type)
    assert (error.status, error.code) == (status, code) and says in error.message


def test_text_fields_are_read_in_the_bodys_charset() -> None:
    """As Starlette's parser reads them: the charset the body declares, latin-1 where the bytes
    are not in it."""
    sent = body(part("label", "caf\u00e9".encode("latin-1")), part("mode", b"\xff"))
    form = parse(sent, TYPE + "; charset=latin-1", 2, 3)
    assert form.get("label") == "caf\u00e9" and form.get("missing", "-") == "-"
    assert parse(sent, TYPE, 2, 3).get("mode") == "\u00ff"  # not UTF-8: read as latin-1
