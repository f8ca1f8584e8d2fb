"""multipart/form-data bodies parsed in memory, by python-multipart's parser as Starlette's is.

The service reads an upload's body whole, its size bounded while it arrives (`app.uploads`), so
its parts are kept as bytes. Starlette's form parser spools each file into a temporary file and
writes it through the threadpool, which cost a lone upload more than the rest of reading it
(`bench/results.md`). Boundaries, part headers and their limits are parsed as there; a body's
errors are the service's own (`bad_multipart`, `too_many_files`).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.core.errors import ApiError

MAX_FIELD_BYTES = 1024 * 1024  # a text field (not a file) larger than this is refused
CALLBACKS = (  # what `Parts` answers of python-multipart's callbacks
    "on_part_begin",
    "on_header_field",
    "on_header_value",
    "on_header_end",
    "on_headers_finished",
    "on_part_data",
    "on_part_end",
)


@dataclass
class Part:
    """One part of the body: a file (with its filename, maybe empty) or a text field."""

    name: str
    data: bytes
    filename: str | None  # None for a text field

    @property
    def is_file(self) -> bool:
        return self.filename is not None


@dataclass
class Form:
    """A multipart body's parts: the files and the text fields, in the order sent."""

    parts: list[Part]
    charset: str  # the body's, for its text fields' values

    def get(self, name: str, default: str | None = None) -> str | None:
        """The text field's value (the last, where it was sent more than once)."""
        texts = [part.data for part in self.parts if part.name == name and not part.is_file]
        return decoded(texts[-1], self.charset) if texts else default


def decoded(raw: bytes, charset: str) -> str:
    """Text in the body's charset; bytes that are not in it as latin-1, as Starlette reads them."""
    try:
        return raw.decode(charset)
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def malformed(detail: str) -> ApiError:
    return ApiError(400, "bad_multipart", f"Malformed multipart body: {detail}")


@dataclass
class Parts:
    """The callbacks python-multipart calls as it parses, collecting whole parts."""

    charset: str
    max_files: int
    max_fields: int
    parts: list[Part] = field(default_factory=list)
    files: int = 0
    fields: int = 0
    header_name: bytes = b""
    header_value: bytes = b""
    disposition: bytes = b""
    current: Part = field(default_factory=lambda: Part("", b"", None))
    data: bytearray = field(default_factory=bytearray)

    def on_part_begin(self) -> None:
        self.disposition, self.current, self.data = b"", Part("", b"", None), bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"name" not in options:
            raise malformed('The Content-Disposition header field "name" must be provided.')
        filename = options.get(b"filename")
        if filename is not None:
            self.files += 1
            if self.files > self.max_files:
                raise ApiError(
                    413, "too_many_files", f"Too many files: at most {self.max_files} per request."
                )
        else:
            self.fields += 1
            if self.fields > self.max_fields:
                raise malformed(f"Too many fields. Maximum number of fields is {self.max_fields}.")
        self.current.name = decoded(options[b"name"], self.charset)
        self.current.filename = None if filename is None else decoded(filename, self.charset)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.data += data[start:end]
        if not self.current.is_file and len(self.data) > MAX_FIELD_BYTES:
            raise malformed(f"Part exceeded maximum size of {MAX_FIELD_BYTES // 1024}KB.")

    def on_part_end(self) -> None:
        self.current.data = bytes(self.data)
        self.parts.append(self.current)


def parse(body: bytes, content_type: str, max_files: int, max_fields: int) -> Form:
    """The complete parts of a multipart body, in order (a part cut short is left out)."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise malformed("Missing boundary in multipart.")
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        charset = "latin-1"
    parts = Parts(charset, max_files, max_fields)
    callbacks = {name: getattr(parts, name) for name in CALLBACKS}
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except FormParserError:
        raise malformed("Invalid multipart data.") from None
    return Form(parts.parts, charset)
