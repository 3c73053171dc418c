"""The declared-encoding check: incremental decoding that reports and survives bad bytes.

Two readers share the checks. :class:`LineReader` splits raw bytes on ``\\n`` first (safe for
UTF-8 and GB 18030: byte 0x0A is never part of a multi-byte character in either) and decodes
line by line, so every line knows its number and byte offset. :class:`ChunkDecoder` decodes
bounded chunks for formats whose records may span or share lines (JSON arrays, XML).
Both report the first invalid sequence of a line (kind ``invalid-bytes``) and continue with
U+FFFD so later records are still checked.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import BinaryIO

from conformance.exports._limits import DEFAULTS, current
from conformance.exports._model import ENCODING, Severity, Sink, clip

RECORD_LIMIT = DEFAULTS.record_bytes  # the default bytes of one line or record (ReadLimits)
LINE_STEP = 1024 * 1024  # read size while skipping an oversized line

_BOMS = {"utf-8": b"\xef\xbb\xbf", "gb18030": "\ufeff".encode("gb18030")}
_UTF8_BOM = _BOMS["utf-8"]
# Byte order marks of encodings no export declares (UTF-32 first: it starts like UTF-16).
_FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
)


def codec_name(encoding: str) -> str:
    """The canonical codec name (``utf-8``, ``gb18030``); raises LookupError if unknown."""
    return codecs.lookup(encoding).name


def check_bom(head: bytes, encoding: str, sink: Sink) -> int:
    """Report a byte order mark at the start of ``head``; return how many bytes to skip."""
    own = _BOMS.get(encoding)
    if own and head.startswith(own):
        sink.add(
            ENCODING,
            "bom",
            f"file starts with a {encoding} byte order mark ({own.hex(' ')}); "
            "expected none (it is ignored)",
            severity=Severity.WARNING,
            line=1,
            byte_offset=0,
        )
        return len(own)
    for bom, name in _FOREIGN_BOMS:
        if head.startswith(bom):
            sink.add(
                ENCODING,
                "bom",
                f"file starts with a {name} byte order mark ({bom.hex(' ')}) but "
                f"encoding={encoding!r} is declared; expected {encoding} text without one",
                line=1,
                byte_offset=0,
                value=repr(bom),
            )
            return len(bom)
    if encoding != "utf-8" and head.startswith(_UTF8_BOM):
        sink.add(
            ENCODING,
            "bom",
            f"file starts with a UTF-8 byte order mark but encoding={encoding!r} is declared; "
            "the file looks UTF-8 encoded",
            line=1,
            byte_offset=0,
        )
        return len(_UTF8_BOM)
    return 0


def _report_invalid(sink: Sink, encoding: str, bad: bytes, offset: int, line: int) -> None:
    where = f"byte offset {offset}"
    if sink.report.compression:  # offsets count the bytes the readers saw
        where += f" of the {sink.report.compression}-decompressed data"
    sink.add(
        ENCODING,
        "invalid-bytes",
        f"invalid {encoding} byte sequence {bad.hex(' ')} at {where} (line {line}); "
        f"expected {encoding} text",
        line=line,
        byte_offset=offset,
        value=repr(bad),
    )


_NON_ASCII = re.compile(rb"[\x80-\xff]")
_TWO_CJK = re.compile("[\u4e00-\u9fff][^\u4e00-\u9fff]*[\u4e00-\u9fff]")


def utf8_in_gb18030(data: bytes, offset: int, first_line: int, sink: Sink) -> None:
    """Warn about lines of GB 18030-declared ``data`` that are UTF-8 Chinese text instead.

    Much UTF-8 also decodes as GB 18030 (to other characters), so decoding alone misses a
    UTF-8 line in a GB 18030 file. A line that is valid UTF-8 with two or more CJK
    characters is almost never GB 18030 text: it is reported (a warning, since decoding
    succeeded) at the line's first non-ASCII byte.
    """
    if data.isascii():
        return
    position = 0
    for index, raw in enumerate(data.split(b"\n")):
        if not raw.isascii():
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            found = _NON_ASCII.search(raw)
            if found is not None and _TWO_CJK.search(text):
                where = offset + position + found.start()
                sink.add(
                    ENCODING,
                    "mixed-encoding",
                    f"line {first_line + index} is UTF-8 text (from byte offset {where}) in a "
                    "file declared gb18030: it decodes as GB 18030 only to other characters; "
                    "expected every line in gb18030",
                    severity=Severity.WARNING,
                    line=first_line + index,
                    byte_offset=where,
                    value=repr(clip(text)),
                )
        position += len(raw) + 1


class Endings:
    """Counts CRLF and LF line ends and remembers the first line that broke the file's style."""

    def __init__(self) -> None:
        self.crlf = 0
        self.lf = 0
        self.first: str | None = None
        self.first_line: int | None = None  # the line of the first ending seen
        self.change_line: int | None = None

    def add(self, ending: str, line: int) -> None:
        if not ending:
            return
        if self.first_line is None:
            self.first_line = line
        if ending == "\r\n":
            self.crlf += 1
        else:
            self.lf += 1
        if self.first is None:
            self.first = ending
        elif ending != self.first and self.change_line is None:
            self.change_line = line

    def add_many(self, ending: str, count: int, first_line: int) -> None:
        """``count`` consecutive lines from ``first_line`` on, all ending with ``ending``."""
        if count <= 0 or not ending:
            return
        if ending == "\r\n":
            self.crlf += count
        else:
            self.lf += count
        if self.first is None:
            self.first, self.first_line = ending, first_line
        elif ending != self.first and self.change_line is None:
            self.change_line = first_line

    def merge(self, other: Endings) -> None:
        """Append the counts of the lines that follow (a later byte range of the file)."""
        if other.first is not None:
            if self.first is None:
                self.first, self.change_line = other.first, other.change_line
            elif self.change_line is None:
                if other.first != self.first:
                    self.change_line = other.first_line
                else:
                    self.change_line = other.change_line
        self.crlf += other.crlf
        self.lf += other.lf

    def report(self, sink: Sink) -> None:
        if self.crlf and self.lf:
            first = "CRLF" if self.first == "\r\n" else "LF"
            other = "LF" if first == "CRLF" else "CRLF"
            sink.add(
                ENCODING,
                "mixed-line-endings",
                f"mixed line endings: {self.crlf} CRLF and {self.lf} LF; the file starts with "
                f"{first} and line {self.change_line} ends with {other}; expected one style",
                severity=Severity.WARNING,
                line=self.change_line,
            )


@dataclass(slots=True)
class Line:
    number: int  # 1-based physical line
    offset: int  # byte offset of the line's first byte
    text: str  # decoded, without its line ending
    ending: str  # "\r\n", "\n", or "" for a last line without one
    too_large: bool = False


class LineReader:
    """Physical lines of a byte stream, decoded, each at most ``record_bytes`` held."""

    def __init__(
        self, stream: BinaryIO, encoding: str, sink: Sink, offset: int, first_line: int = 1
    ) -> None:
        self.stream = stream
        self.encoding = encoding
        self.sink = sink
        self.offset = offset  # bytes consumed so far (for progress)
        self.first_line = first_line

    def __iter__(self) -> Iterator[Line]:
        readline = self.stream.readline
        encoding = self.encoding
        gb18030 = encoding == "gb18030"
        number = self.first_line - 1
        limit = current().record_bytes
        while True:
            raw = readline(limit + 1)
            if not raw:
                return
            number += 1
            start = self.offset
            self.offset += len(raw)
            if len(raw) > limit and not raw.endswith(b"\n"):
                yield Line(number, start, "", self._skip_rest(), too_large=True)
                continue
            if raw.endswith(b"\r\n"):
                ending, body = "\r\n", raw[:-2]
            elif raw.endswith(b"\n"):
                ending, body = "\n", raw[:-1]
            else:
                ending, body = "", raw
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError as exc:
                bad = body[exc.start : exc.end]
                _report_invalid(self.sink, encoding, bad, start + exc.start, number)
                text = body.decode(encoding, "replace")
            else:
                if gb18030 and not body.isascii():
                    utf8_in_gb18030(body, start, number, self.sink)
            yield Line(number, start, text, ending)

    def _skip_rest(self) -> str:
        """Consume the rest of an oversized line without holding it; return its ending."""
        while True:
            more = self.stream.readline(LINE_STEP)
            self.offset += len(more)
            if not more:
                return ""
            if more.endswith(b"\n"):
                return "\r\n" if more.endswith(b"\r\n") else "\n"


# The codec error handler below is global (codecs has no per-call handlers); it appends to
# the list of the decoder currently running in this context.
_ERRORS: ContextVar[list[tuple[int, int, bytes]] | None] = ContextVar("_ERRORS", default=None)
_HANDLER = "conformance.exports.record-invalid"


def _record_invalid(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data = exc.object
    start, end = exc.start, exc.end
    # GB 18030's decoder may swallow an ASCII byte after a broken lead byte (even "\n" or
    # "<"); resume at the first byte below 0x30 so lines and markup stay intact.
    for index in range(start + 1, end):
        if data[index] < 0x30:
            end = index
            break
    errors = _ERRORS.get()
    if errors is not None:
        errors.append((len(data), start, bytes(data[start:end])))
    return "\ufffd", end


codecs.register_error(_HANDLER, _record_invalid)

_BARE_LF = re.compile(r"(?<!\r)\n")


class ChunkDecoder:
    """Decoded text of a byte stream in bounded chunks, with encoding and line-ending checks."""

    def __init__(self, stream: BinaryIO, encoding: str, sink: Sink, offset: int) -> None:
        self.stream = stream
        self.encoding = encoding
        self.sink = sink
        self.offset = offset  # raw bytes consumed so far
        self.endings = Endings()
        self._decoder = codecs.getincrementaldecoder(encoding)(errors=_HANDLER)
        self._line = 1  # line number at the start of the next chunk
        self._last_bad_line = 0
        self._prev_cr = False
        # UTF-8 bytes of the text last yielded, when they are the file's own bytes (a UTF-8
        # chunk without invalid bytes): a reader wanting bytes is spared the re-encoding.
        self.raw: bytes | None = None
        self._utf8 = codecs.lookup(encoding).name == "utf-8"

    def __iter__(self) -> Iterator[str]:
        chunk = current().chunk_bytes
        while True:
            data = self.stream.read(chunk)
            final = not data
            errors: list[tuple[int, int, bytes]] = []
            token = _ERRORS.set(errors)
            pending = self._decoder.getstate()[0]
            try:
                text = self._decoder.decode(data, final)
            finally:
                _ERRORS.reset(token)
            self.raw = None
            if self._utf8 and not errors:
                left = len(self._decoder.getstate()[0])  # bytes kept for the next chunk
                if left <= len(data):
                    self.raw = pending + data[: len(data) - left]
            if self.encoding == "gb18030" and data:
                utf8_in_gb18030(data, self.offset, self._line, self.sink)
            for object_len, start, bad in errors:
                # The decoder's object is its pending bytes followed by this chunk.
                position = self.offset + len(data) - object_len + start
                line = self._line + data.count(b"\n", 0, max(0, position - self.offset))
                if line != self._last_bad_line:
                    self._last_bad_line = line
                    _report_invalid(self.sink, self.encoding, bad, position, line)
            self._track_endings(text)
            self.offset += len(data)
            if text:
                yield text
            if final:
                return

    def _track_endings(self, text: str) -> None:
        endings = self.endings
        newlines = text.count("\n")
        if newlines:
            crlf = text.count("\r\n") if "\r" in text else 0  # the pair search is slow
            split_crlf = self._prev_cr and text.startswith("\n")
            crlf += split_crlf
            lf = newlines - crlf
            if endings.first is None:
                first_nl = text.index("\n")
                is_crlf = (first_nl == 0 and split_crlf) or text[first_nl - 1 : first_nl] == "\r"
                endings.first = "\r\n" if is_crlf else "\n"
            if endings.change_line is None and (crlf if endings.first == "\n" else lf):
                if endings.first == "\n":
                    position = 0 if split_crlf else text.index("\r\n") + 1
                else:
                    match = _BARE_LF.search(text, 1 if split_crlf else 0)
                    position = match.start() if match else 0
                endings.change_line = self._line + text.count("\n", 0, position)
            endings.crlf += crlf
            endings.lf += lf
            self._line += newlines
        if text:
            self._prev_cr = text.endswith("\r")
