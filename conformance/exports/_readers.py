"""Streaming readers, one per export format, yielding records with their location.

Readers report what they find while reading (parse errors, oversized records, encoding
problems through the decoders) to the sink, and yield every record they could read; records
they could not read are yielded with ``ok=False`` so they still count.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any, BinaryIO, Literal, cast, overload

import orjson
from lxml import etree

from conformance.exports._encoding import (
    LINE_STEP,
    ChunkDecoder,
    Endings,
    Line,
    LineReader,
    codec_name,
    utf8_in_gb18030,
)
from conformance.exports._limits import DEFAULTS, current
from conformance.exports._model import ENCODING, RECORDS, Severity, Sink, clip
from conformance.exports._strict import maybe_strict_problem, report_strict

MAX_DEPTH = 200

# csv refuses fields over 128 KiB by default; a single record may legitimately be larger.
# (A larger ReadLimits.record_bytes still reads: clean_text sends long lines to the line path.)
if csv.field_size_limit() < DEFAULTS.record_bytes:
    csv.field_size_limit(DEFAULTS.record_bytes)


@dataclass(slots=True)
class Record:
    value: Any
    line: int | None = None
    row: int | None = None
    byte_offset: int | None = None
    ok: bool = True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_STRUCTURE = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)
_WS = re.compile(r"[ \t\r\n]*")
_IN_STRING = re.compile(r'["\\]')
_OUTSIDE = re.compile(r'["\[\]{}, \t\r\n]')


def _too_deep(text: str, start: int, end: int) -> bool:
    """Whether the JSON in ``text[start:end]`` nests containers deeper than MAX_DEPTH."""
    # Cheap bound first: depth never exceeds the number of opening brackets.
    if text.count("{", start, end) + text.count("[", start, end) <= MAX_DEPTH:
        return False
    depth = 0
    for match in _STRUCTURE.finditer(text, start, end):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _depth_message() -> str:
    return f"record nests objects/arrays more than {MAX_DEPTH} levels deep; not validated"


def _parse_message(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at column {exc.colno}"
    return f"not valid JSON: {clip(str(exc), 120)}"


def _too_large(sink: Sink, what: str, **where: Any) -> None:
    sink.add(
        RECORDS,
        "record-too-large",
        f"{what} is larger than {_size_text(current().record_bytes)}; "
        "expected smaller records (skipped)",
        **where,
    )


def _size_text(size: int) -> str:
    mib, kib = size // (1024 * 1024), size // 1024
    return f"{mib} MiB" if mib else f"{kib} KiB" if kib else f"{size} bytes"


def _blank(sink: Sink, line: int) -> None:
    sink.add(
        RECORDS, "blank-line", f"line {line} is blank; expected one record per line", line=line
    )


def _truncated(sink: Sink, line: Line) -> None:
    sink.add(
        ENCODING,
        "truncated-last-line",
        f"last line {line.number} has no line ending; the file may have been cut short",
        severity=Severity.WARNING,
        line=line.number,
        byte_offset=line.offset,
    )


# ---------------------------------------------------------------- JSON Lines


def jsonl_records(lines: LineReader, sink: Sink, endings: Endings) -> Iterator[Record]:
    """Records of a JSON Lines file: one JSON value per physical line."""
    blanks: list[int] = []
    contents = 0
    # A failure on the first record is judged once the second is known: two failures in a
    # row at the start mean the file is not JSON Lines at all (one wrong-format issue).
    first_failure: tuple[Line, ValueError] | None = None
    last: Line | None = None
    for line in lines:
        endings.add(line.ending, line.number)
        last = line
        if not line.too_large and not line.text.strip():
            blanks.append(line.number)
            continue
        contents += 1
        for number in blanks:
            _blank(sink, number)
        blanks.clear()
        value, problem = _parse_line(line)
        if isinstance(problem, ValueError):
            if contents == 1:
                first_failure = (line, problem)
                continue
            if first_failure is not None:
                sink.add(RECORDS, "wrong-format", _jsonl_wrong_format(first_failure[0]), line=1)
                return
        if first_failure is not None:
            yield _jsonl_failure(sink, *first_failure)
            first_failure = None
        if problem is None:
            if maybe_strict_problem(line.text, value):
                report_strict(sink, line.text, line.number, line.offset)
            yield Record(value, line=line.number, byte_offset=line.offset)
        elif isinstance(problem, ValueError):
            yield _jsonl_failure(sink, line, problem)
        else:
            if problem == "too-large":
                _too_large(sink, f"line {line.number}", line=line.number, byte_offset=line.offset)
            else:
                sink.add(RECORDS, "too-deep", _depth_message(), line=line.number)
            yield Record(None, line=line.number, byte_offset=line.offset, ok=False)
    if first_failure is not None:
        if not first_failure[0].text.lstrip().startswith("{"):
            sink.add(RECORDS, "wrong-format", _jsonl_wrong_format(first_failure[0]), line=1)
            return
        yield _jsonl_failure(sink, *first_failure)  # a lone record, likely cut short
    if not contents:
        sink.add(RECORDS, "empty-file", "file has no records; expected one JSON value per line")
        return
    for number in blanks:  # trailing blank lines
        _blank(sink, number)
    if last is not None and not last.ending:
        _truncated(sink, last)


def _parse_line(line: Line) -> tuple[Any, ValueError | str | None]:
    """The line's value, or a problem: a ValueError, "too-large" or "too-deep"."""
    if line.too_large:
        return None, "too-large"
    text = line.text
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        return None, "too-deep"
    except ValueError as exc:
        return None, exc
    if _too_deep(text, 0, len(text)):
        return None, "too-deep"
    return value, None


def _jsonl_failure(sink: Sink, line: Line, exc: ValueError) -> Record:
    nul = line.text.find("\x00")
    if nul >= 0:  # binary data inside a text file: say where, in bytes
        offset = line.offset + len(line.text[:nul].encode(sink.report.encoding, "replace"))
        sink.add(
            RECORDS,
            "parse",
            f"not valid JSON: a NUL byte at byte offset {offset} (line {line.number}); "
            "expected text without NUL bytes",
            line=line.number,
            byte_offset=offset,
            value=repr(clip(line.text)),
        )
    else:
        sink.add(
            RECORDS, "parse", _parse_message(exc), line=line.number, value=repr(clip(line.text))
        )
    return Record(None, line=line.number, byte_offset=line.offset, ok=False)


def _jsonl_wrong_format(line: Line) -> str:
    head = line.text.strip()[:40]
    return (
        f"not JSON Lines: the first lines are not JSON values (line {line.number} starts "
        f"{head!r}); expected one JSON value per line"
    )


# ---------------------------------------------------------------- JSON array


class _JsonText:
    """A sliding window over decoded chunks with line tracking for positions in it."""

    def __init__(self, chunks: Iterable[str]) -> None:
        self._chunks = iter(chunks)
        self.buf = ""
        self.eof = False
        self._line = 1  # line number at _line_pos
        self._line_pos = 0
        limits = current()
        self.chunk = limits.chunk_bytes
        self.limit = limits.record_bytes

    def more(self, at_least: int = 1) -> bool:
        """Append at least ``at_least`` characters unless the input ends; False at EOF."""
        added = 0
        while added < at_least and not self.eof:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.eof = True
                break
            self.buf += chunk
            added += len(chunk)
        return added > 0

    def compact(self, pos: int) -> int:
        """Drop text before ``pos`` (already consumed); return the new position."""
        if pos < self.chunk:
            return pos
        self.line_at(pos)
        self.buf = self.buf[pos:]
        self._line_pos -= pos
        return 0

    def line_at(self, pos: int) -> int:
        """Line number of ``pos``; positions must not decrease between calls."""
        if pos > self._line_pos:
            self._line += self.buf.count("\n", self._line_pos, pos)
            self._line_pos = pos
        return self._line

    def skip_ws(self, pos: int) -> int:
        """Position of the next non-whitespace character, reading on; len(buf) at EOF."""
        while True:
            match = _WS.match(self.buf, pos)
            assert match is not None  # the pattern matches the empty string
            pos = match.end()
            if pos < len(self.buf) or not self.more():
                return pos
            pos = self.compact(pos)

    def skip_value(self, pos: int) -> int:
        """End of the JSON value at ``pos``, scanned without holding it; best effort.

        Regexes jump over runs of ordinary characters, so a huge string costs C time.
        """
        depth = 0
        in_string = False
        while True:
            buf = self.buf
            while True:
                if in_string:
                    match = _IN_STRING.search(buf, pos)
                    if match is None:
                        pos = len(buf)
                        break
                    if match.group() == "\\":
                        if match.end() >= len(buf):
                            pos = match.start()
                            break
                        pos = match.end() + 1
                        continue
                    in_string = False
                    pos = match.end()
                    if depth == 0:
                        return pos
                    continue
                match = _OUTSIDE.search(buf, pos)
                if match is None:
                    pos = len(buf)
                    break
                char = match.group()
                if char == '"':
                    in_string = True
                elif char in "[{":
                    depth += 1
                elif char in "]}":
                    if depth == 0:
                        return match.start()
                    depth -= 1
                    if depth == 0:
                        return match.end()
                elif depth == 0:
                    return match.start()  # a delimiter ends a scalar
                pos = match.end()
            pos = self.compact(pos)
            if not self.more(self.chunk):
                return len(self.buf)


def json_records(chunks: Iterable[str], sink: Sink) -> Iterator[Record]:
    """Elements of a top-level JSON array, parsed one at a time from bounded chunks."""
    text = _JsonText(chunks)
    pos = text.skip_ws(0)
    if pos >= len(text.buf):
        sink.add(RECORDS, "empty-file", "file has no content; expected a JSON array of records")
        return
    first = text.buf[pos]
    if first != "[":
        if first == "{":
            what = "a JSON object"
        elif _is_json(text.buf, pos):
            what = "a JSON scalar"
        else:
            what = f"not JSON (starts with {text.buf[pos : pos + 20]!r})"
        sink.add(
            RECORDS,
            "wrong-format",
            f"top-level value is {what}; expected a JSON array of records",
            line=text.line_at(pos),
        )
        return
    pos += 1
    expect_value = False  # True right after a comma
    while True:
        pos = text.compact(text.skip_ws(pos))
        if pos >= len(text.buf):
            sink.add(
                RECORDS,
                "parse",
                "file ends inside the array; expected ']'",
                line=text.line_at(pos),
            )
            sink.report.complete = False
            return
        if text.buf[pos] == "]" and not expect_value:
            break
        start_line = text.line_at(pos)
        end, record = _json_value(text, pos, start_line, sink)
        if record is None:
            sink.report.complete = False  # the rest of the array cannot be located reliably
            return
        yield record
        pos = text.skip_ws(end)
        char = text.buf[pos : pos + 1]
        if char == ",":
            pos += 1
            expect_value = True
            continue
        if char == "]":
            break
        found = repr(char) if char else "end of file"
        sink.add(
            RECORDS,
            "parse",
            f"expected ',' or ']' after the record, found {found}",
            line=text.line_at(pos),
        )
        sink.report.complete = False
        return
    pos = text.skip_ws(pos + 1)
    if pos < len(text.buf):
        sink.add(
            RECORDS,
            "parse",
            f"data after the closing ']': {text.buf[pos : pos + 20]!r}; expected end of file",
            line=text.line_at(pos),
        )


def _is_json(buf: str, pos: int) -> bool:
    try:
        _DECODER.raw_decode(buf, pos)
    except (ValueError, RecursionError):
        return False
    return True


def _json_value(text: _JsonText, pos: int, line: int, sink: Sink) -> tuple[int, Record | None]:
    """Parse the value at ``pos``, reading more while it is incomplete."""
    while True:
        buf = text.buf
        try:
            value, end = _DECODER.raw_decode(buf, pos)
        except RecursionError:
            sink.add(RECORDS, "too-deep", _depth_message(), line=line)
            return text.skip_value(pos), Record(None, line=line, ok=False)
        except ValueError as exc:
            if text.eof:
                where = text.line_at(exc.pos) if isinstance(exc, json.JSONDecodeError) else line
                message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                sink.add(RECORDS, "parse", f"not valid JSON: {clip(message, 120)}", line=where)
                return pos, None
            held = len(buf) - pos
            limit = text.limit
            if held > limit:
                _too_large(sink, f"record starting at line {line}", line=line)
                return text.skip_value(pos), Record(None, line=line, ok=False)
            # Maybe only incomplete: read as much again (geometric, so re-parsing stays
            # linear), but never hold much more than the limit.
            text.more(max(text.chunk, min(held, limit + 1 - held)))
            continue
        if end == len(buf) and not text.eof:
            text.more()  # a number at the end of the window may continue
            continue
        if end - pos > text.limit:
            _too_large(sink, f"record starting at line {line}", line=line)
            return end, Record(None, line=line, ok=False)
        if _too_deep(buf, pos, end):
            sink.add(RECORDS, "too-deep", _depth_message(), line=line)
            return end, Record(None, line=line, ok=False)
        if maybe_strict_problem(buf[pos:end], value):
            report_strict(sink, buf[pos:end], line, None)
        return end, Record(value, line=line)


# ---------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CsvLayout:
    """What the record schema says about columns: types, required names, order, openness."""

    types: Mapping[str, tuple[str, ...]]  # declared JSON types per property, in schema order
    required: frozenset[str]
    open: bool  # additional columns allowed
    patterns: tuple[str, ...] = ()  # patternProperties: columns they match are allowed too
    empty: Literal["null", "empty-string", "absent"] = "absent"
    delimiter: str = ","

    def allows(self, name: str) -> bool:
        from conformance.regex_validator import pattern_search  # bounded in time, regex semantics

        return (
            self.open
            or name in self.types
            or any(pattern_search(pattern, name) for pattern in self.patterns)
        )


def record_limit() -> int:
    """The bytes one record may hold (``ReadLimits.record_bytes``, read when asked)."""
    return current().record_bytes


_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_DIGIT_LIMIT = 4000  # int() refuses over 4300 digits


def convert_cell(cell: str, types: tuple[str, ...]) -> Any:
    """The typed value of a non-empty cell; the string itself if no declared type fits
    (validation then reports the type error on that field)."""
    if "integer" in types and len(cell) < _DIGIT_LIMIT and _INTEGER.match(cell):
        return int(cell)
    if "number" in types and len(cell) < _DIGIT_LIMIT and _NUMBER.match(cell):
        if _INTEGER.match(cell):
            return int(cell)
        return float(cell)
    if "boolean" in types and cell in ("true", "false"):
        return cell == "true"
    return cell


_INTEGER_CELLS = re.compile(r"(?:-?(?:0|[1-9][0-9]*)\n)*")
_NUMBER_CELLS = re.compile(r"(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?\n)*")


# JSON whitespace, and the first characters of JSON values other than numbers
_NOT_NUMBERS = (" ", "\t", "\n", "\r", '"', "[", "{", "t", "f", "n")


@dataclass(frozen=True)
class Numbers:
    """A column's cells as numbers (see :func:`json_numbers`), with their least and
    greatest (strictly within 2^63 in magnitude); ``integers``: every value is an int."""

    values: list[Any]
    integers: bool
    low: float
    high: float


def json_numbers(cells: Sequence[str], types: tuple[str, ...]) -> Numbers | None:
    """``convert_cell`` of every cell (none empty) when each is one JSON number, parsed at
    once by orjson; None when one may not be (the caller decides cell by cell).

    A JSON number is exactly what ``_NUMBER`` matches (``_INTEGER`` when it has no fraction
    and no exponent, and then orjson gives an int); orjson parses floats as ``float()``
    does, and gives an int up to 64 bits, a float beyond (a magnitude of 2^63 or more
    leaves the column to the caller), so each value is the one convert_cell gives.
    """
    number = "number" in types
    if not cells or (not number and "integer" not in types):
        return None
    text = ",".join(cells)
    if len(text) >= _DIGIT_LIMIT and max(map(len, cells)) >= _DIGIT_LIMIT:
        return None
    for char in _NOT_NUMBERS:  # each cell holds one number or nothing orjson reads
        if char in text:
            return None
    integers = "." not in text and "e" not in text and "E" not in text
    if not number and not integers:
        return None  # a fraction or an exponent: text to an integer-only column
    try:
        values: list[Any] = orjson.loads("[" + text + "]")
    except orjson.JSONDecodeError:
        return None
    if len(values) != len(cells):
        return None  # a cell holding a comma
    low, high = min(values), max(values)
    if not (low > -(2**63) and high < 2**63):
        return None  # maybe an integer orjson reads as a float (beyond 64 bits)
    return Numbers(values, integers, low, high)


def convert_column(
    cells: Sequence[str], types: tuple[str, ...], floats: bool, tried: bool = False
) -> list[Any]:
    """``convert_cell`` of every cell of a column (none empty), in C-level loops when the
    column is all numbers (:func:`json_numbers`, unless ``tried`` already) or all integers
    (or, given ``floats``, all plain decimals; ``floats``: the caller's check gives a float
    the verdict it gives the integer of the same value)."""
    if not tried:
        exact = json_numbers(cells, types)
        if exact is not None:
            return exact.values
    if cells and max(map(len, cells)) < _DIGIT_LIMIT:
        text = "\n".join(cells) + "\n"
        if ("integer" in types or "number" in types) and _INTEGER_CELLS.fullmatch(text):
            return list(map(int, cells))
        if floats and types == ("number",) and _NUMBER_CELLS.fullmatch(text):
            return list(map(float, cells))
    return [convert_cell(cell, types) for cell in cells]


@dataclass
class _CsvLines:
    """Feeds csv.reader physical lines and remembers where each row started and ended."""

    lines: LineReader
    sink: Sink
    last: Line | None = None
    row_first: int | None = None
    last_number: int = 0
    last_ending: str = ""

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.last = line
            self.last_number, self.last_ending = line.number, line.ending
            if self.row_first is None:
                self.row_first = line.number
            if line.too_large:
                _too_large(self.sink, f"line {line.number}", line=line.number)
                continue
            yield line.text + line.ending


class CsvBlockLines:
    """The physical lines of a CSV file for csv.reader, decoded a block at a time.

    Reports what :class:`LineReader` and :class:`_CsvLines` report (invalid bytes with
    their offset and line, oversized lines), with far less work per line. Between rows,
    :meth:`take` hands the rest of a clean block to the block path instead.
    """

    def __init__(self, stream: BinaryIO, encoding: str, sink: Sink, offset: int) -> None:
        self.stream = stream
        self.encoding = encoding
        self.sink = sink
        self.offset = offset  # bytes consumed so far (for progress)
        self.row_first: int | None = None
        self.last_number = 0
        self.last_ending = ""
        self.last_text = ""
        self.last_offset = offset
        # The current block: its lines (without "\n"), how many were handed out, the line
        # number before its first, what follows its lines (a tail, an oversized line).
        self.pending: list[str] = []
        self.taken = 0
        self.first = 0
        self.suffix = "\n"  # "\r\n" when a clean block's lines were split at CRLF
        self.clean = False  # one row per line: no quote, NUL, stray CR or decoding problem
        self.raw = b""  # a clean block's bytes (searched for formula cells)
        self._end = ""  # "", "tail", "big" (a whole line too long), "cut" (no end in reach)
        self._cut_at_limit = False
        self._big_ending = ""
        self._tail = ""
        self._number = 0  # lines of the blocks read so far
        self._eof = False

    @property
    def last(self) -> Line | None:
        if not self.last_number:
            return None
        return Line(self.last_number, self.last_offset, self.last_text, self.last_ending)

    def __iter__(self) -> Iterator[str]:
        # State lives on self: take() may consume lines between two rows.
        while True:
            while self.taken < len(self.pending):
                piece = self.pending[self.taken]
                self.taken += 1
                self.last_number = self.first + self.taken
                crlf = self.suffix == "\r\n" or piece.endswith("\r")
                self.last_ending = "\r\n" if crlf else "\n"
                if self.row_first is None:
                    self.row_first = self.last_number
                yield piece + self.suffix
            tail = self._finish()
            if tail:
                yield tail
            if not self.read_block():
                return

    def take(self) -> int | None:
        """Hand the rest of the current block (or of the next one, when the current one is
        used up) to the block path: the index of its first line in ``pending``; None when
        those lines must go through csv.reader. Call only between rows."""
        if self.taken >= len(self.pending) and (self._end or not self.read_block()):
            return None
        if not self.clean:
            return None
        start = self.taken
        self.taken = len(self.pending)
        self.last_number = self.first + self.taken
        self.last_ending = self.suffix
        return start

    def read_block(self) -> bool:
        """Read and decode the next block, reporting its bad bytes; False at the end."""
        if self._eof:
            return False
        stream = self.stream
        number = self._number
        start = self.offset
        limits = current()
        limit = limits.record_bytes
        block = stream.read(min(limits.csv_block_bytes, limit))  # whole lines inside: in bounds
        if not block:
            self._eof = True
            self.pending, self.taken, self.raw = [], 0, b""
            return False
        oversized = completed = False
        if not block.endswith(b"\n"):
            more = stream.readline(limit + 1)
            oversized = len(more) > limit and not more.endswith(b"\n")
            completed = more.endswith(b"\n")
            block += more
        self.offset += len(block)
        nul = b"\x00" in block
        if nul:
            self._nul_bytes(block, start, number)
        text = ""
        self.clean = False
        try:
            text = block.decode(self.encoding)
        except UnicodeDecodeError:
            lines = self._decoded(block, start, number)
        else:
            if self.encoding == "gb18030":
                utf8_in_gb18030(block, start, number + 1, self.sink)
            lines = self._split(text, nul)
        self.raw = block if self.clean else b""
        tail = lines.pop()
        self._end = ""
        if completed and lines and len(lines[-1]) > limit // 4 and _too_long(lines[-1]):
            big = lines.pop()  # a whole line, but longer than a record may be
            self._end, self._big_ending = "big", "\r\n" if big.endswith("\r") else "\n"
        elif oversized or (tail and len(tail) > limit // 4 and _too_long(tail)):
            self._end, self._cut_at_limit = "cut", oversized
        elif tail:
            self._end, self._tail = "tail", tail
        self.pending, self.taken, self.first = lines, 0, number
        self._number = number + len(lines) + (1 if self._end else 0)
        return True

    def _split(self, text: str, nul: bool) -> list[str]:
        """The block's lines; at CRLF when the block is clean and every line ends so."""
        self.clean = self.clean_text(text, nul)
        self.suffix = "\n"
        if self.clean and "\r" in text:
            self.suffix = "\r\n"
            return text.split("\r\n")
        return text.split("\n")

    @staticmethod
    def clean_text(text: str, nul: bool) -> bool:
        """Whether every line of a decoded block is exactly one CSV row of plain cells."""
        if nul or not text.endswith("\n") or '"' in text:
            return False
        # csv refuses a field at its size limit; record_bytes // 4 keeps any line short
        if len(text) > current().record_bytes // 4 or len(text) >= csv.field_size_limit():
            return False
        if "\r" not in text:
            return True
        crlf = text.count("\r\n")  # every line ends with CRLF and no other CR
        return crlf == text.count("\r") == text.count("\n")

    def _finish(self) -> str:
        """What follows the block's lines: the last line without an ending (returned), or
        an oversized line (reported and skipped). Runs once the lines are handed out."""
        end, self._end = self._end, ""
        if not end:
            return ""
        number = self.first + len(self.pending) + 1
        if self.row_first is None:
            self.row_first = number
        if end == "tail":
            self.last_number, self.last_ending, self.last_text = number, "", self._tail
            self.last_offset = self.offset - len(self._tail.encode(self.encoding, "replace"))
            return self._tail
        self.last_number, self.last_text = number, ""
        if end == "big":
            self.last_ending = self._big_ending
        else:
            self.last_ending = self._skip_rest() if self._cut_at_limit else ""
        _too_large(self.sink, f"line {number}", line=number)
        return ""

    def _decoded(self, block: bytes, start: int, number: int) -> list[str]:
        """Lines of a block holding invalid bytes: each reported, replaced, the rest kept."""
        from conformance.exports._encoding import _report_invalid

        texts = []
        offset = start
        for index, raw in enumerate(block.split(b"\n")):
            body = raw[:-1] if raw.endswith(b"\r") else raw
            try:
                text = body.decode(self.encoding)
            except UnicodeDecodeError as exc:
                bad = body[exc.start : exc.end]
                _report_invalid(
                    self.sink, self.encoding, bad, offset + exc.start, number + index + 1
                )
                text = body.decode(self.encoding, "replace")
            texts.append(text + ("\r" if body is not raw else ""))
            offset += len(raw) + 1
        return texts

    def _nul_bytes(self, block: bytes, start: int, number: int) -> None:
        """Report the first NUL byte of each line (csv reads them as data without a word)."""
        at = block.find(b"\x00")
        while at >= 0:
            line = number + block.count(b"\n", 0, at) + 1
            self.sink.add(
                RECORDS,
                "nul-byte",
                f"NUL byte at byte offset {start + at} (line {line}); expected CSV text "
                "without NUL bytes",
                line=line,
                byte_offset=start + at,
            )
            end = block.find(b"\n", at)
            if end < 0:
                return
            at = block.find(b"\x00", end)

    def _skip_rest(self) -> str:
        while True:
            more = self.stream.readline(LINE_STEP)
            self.offset += len(more)
            if not more:
                return ""
            if more.endswith(b"\n"):
                return "\r\n" if more.endswith(b"\r\n") else "\n"


def _too_long(text: str) -> bool:
    return len(text.encode("utf-8", "replace")) > current().record_bytes


class FlatRows(Sequence[list[str]]):
    """Rows of ``width`` cells each, held as one flat list of cells (row after row): a
    clean block's lines split at once; its columns are slices, not a transposition."""

    __slots__ = ("flat", "width")

    def __init__(self, flat: list[str], width: int) -> None:
        self.flat = flat
        self.width = width

    def __len__(self) -> int:
        return len(self.flat) // self.width

    @overload
    def __getitem__(self, index: int) -> list[str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[str]]: ...
    def __getitem__(self, index: int | slice) -> list[str] | list[list[str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        start = (index % len(self)) * self.width
        return self.flat[start : start + self.width]

    def __iter__(self) -> Iterator[list[str]]:
        flat, width = self.flat, self.width
        return (flat[start : start + width] for start in range(0, len(flat), width))

    def columns(self) -> list[list[str]]:
        return [self.flat[index :: self.width] for index in range(self.width)]


def columns_of(rows: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The cells of ``rows`` (each as long) a column at a time."""
    if isinstance(rows, FlatRows):
        return list(rows.columns())
    return list(zip(*rows, strict=True))


@dataclass(slots=True)
class CsvRows:
    """Consecutive CSV records read at once: ``values[i]`` is on line ``line + i``, row
    ``row + i``."""

    values: list[dict[str, Any]]
    line: int
    row: int
    # The rows' cells when ``values`` is not built yet (string columns only): the checker
    # may check the cells a column at a time and build only the records it must word.
    cells: Sequence[list[str]] | None = None
    header: list[str] | None = None
    empty: str = "absent"
    # (index, name, types) of the columns whose non-empty cells are converted (numbers,
    # booleans), as :func:`_csv_record` converts them
    typed: tuple[tuple[int, str, tuple[str, ...]], ...] = ()

    def place(self, index: int) -> tuple[int | None, int | None]:
        """(line, row) of ``values[index]``."""
        return self.line + index, self.row + index

    @property
    def size(self) -> int:
        return len(self.cells) if self.cells is not None else len(self.values)

    def record(self, index: int) -> dict[str, Any]:
        """The record of row ``index`` of ``cells``, as :func:`_csv_record` builds it."""
        assert self.cells is not None
        assert self.header is not None
        cells = self.cells[index]
        record: dict[str, Any]
        if self.empty == "absent":
            record = {name: cell for name, cell in zip(self.header, cells, strict=True) if cell}
        elif self.empty == "null":
            record = {
                name: (cell if cell else None)
                for name, cell in zip(self.header, cells, strict=True)
            }
        else:
            record = dict(zip(self.header, cells, strict=True))
        for place, name, types in self.typed:
            cell = cells[place]
            if cell:
                record[name] = convert_cell(cell, types)
        return record

    def built(self) -> list[dict[str, Any]]:
        """Every record, built once (in C-level loops, the typed cells then converted)."""
        if self.cells is not None and not self.values:
            header: list[str] = self.header or []
            rows = self.cells
            values: list[dict[str, Any]]
            if self.empty == "absent":
                values = list(map(dict, map(compress, map(zip, repeat(header), rows), rows)))
            elif self.empty == "null":
                nulls: Iterator[Iterator[str | None]] = map(map, repeat(_NULL), rows, rows)
                values = list(map(dict, map(zip, repeat(header), nulls)))
            else:
                values = list(map(dict, map(zip, repeat(header), rows)))
            for place, name, types in self.typed:
                for value, cells in zip(values, rows, strict=True):
                    cell = cells[place]
                    if cell:
                        value[name] = convert_cell(cell, types)
            self.values = values
        return self.values


_NULL: Callable[[str, str], str | None] = {"": None}.get  # an empty cell's value for "null"


class CsvReading:
    """Where a CSV reading stands (header, rows, blank lines waiting for a verdict), and
    the rules for one row, shared by the line path and the block path."""

    def __init__(self, sink: Sink, layout: CsvLayout) -> None:
        self.sink = sink
        self.layout = layout
        self.header: list[str] | None = None
        self.row_number = 0
        self.parse_errors = 0
        self.blanks: list[int] = []
        self.stopped = False  # the header shows this is not the expected CSV
        self._columns: _CsvColumns | None = None

    def columns(self, header: list[str]) -> _CsvColumns:
        if self._columns is None or self._columns.header is not header:
            self._columns = _columns(header, self.layout)
        return self._columns

    def flush_blanks(self) -> None:
        """Report the blank lines before a row (a blank line at the end is reported last)."""
        for number in self.blanks:
            _blank(self.sink, number)
        self.blanks.clear()

    def parse_error(self, exc: csv.Error, start: int | None) -> Record | None:
        self.parse_errors += 1
        row = self.row_number + 1 if self.header is not None else 0
        self.sink.add(RECORDS, "parse", f"not valid CSV: {exc}", line=start, row=row)
        if self.header is None:
            return None
        self.row_number += 1
        return Record(None, line=start, row=self.row_number, ok=False)

    def row(self, cells: list[str], start: int | None) -> Record | None:
        """The record of one row csv.reader returned; None for a blank line or the header."""
        header = self.header
        if not cells or (header is None and not "".join(cells).strip()):
            self.blanks.append(start or 0)
            return None
        self.flush_blanks()
        if header is None:
            self.header = cells
            self.stopped = not _check_header(cells, self.layout, self.sink, start or 1)
            return None
        self.row_number += 1
        if _FORMULA_HINT.search("\x1f".join(cells)):
            _formula_cells(header, cells, self.sink, start, self.row_number)
        return _csv_record(
            header, cells, self.layout, self.sink, start, self.row_number, self.columns(header)
        )

    def finish(self, last: Line | None) -> None:
        if self.header is None:
            if not self.parse_errors:
                self.sink.add(
                    RECORDS, "empty-file", "file has no header row; expected CSV with a header"
                )
            return
        self.flush_blanks()
        if last is not None and not last.ending and last.text:
            _truncated(self.sink, last)


TakeBlocks = Callable[[CsvReading], Iterator[Record | CsvRows]]


def csv_records(
    lines: LineReader | CsvBlockLines, sink: Sink, endings: Endings, layout: CsvLayout
) -> Iterator[Record]:
    for item in csv_items(lines, sink, endings, layout):
        assert isinstance(item, Record)  # no block path: one record at a time
        yield item


def csv_items(
    lines: LineReader | CsvBlockLines,
    sink: Sink,
    endings: Endings,
    layout: CsvLayout,
    take: TakeBlocks | None = None,
) -> Iterator[Record | CsvRows]:
    """Records of a CSV file, row by row through csv.reader; between rows, once the header
    is known, ``take`` may read whole blocks at once (see ``_csv_blocks``)."""
    source = lines if isinstance(lines, CsvBlockLines) else _CsvLines(lines, sink)
    reader = csv.reader(source, delimiter=layout.delimiter, strict=True)
    reading = CsvReading(sink, layout)
    while True:
        if take is not None and reading.header is not None:
            yield from take(reading)
        source.row_first = None
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            failed = reading.parse_error(exc, source.row_first)
            if failed is not None:
                yield failed
            continue
        if source.last_number:
            endings.add(source.last_ending, source.last_number)
        record = reading.row(cells, source.row_first)
        if reading.stopped:
            return
        if record is not None:
            yield record
    reading.finish(source.last)


# A cell a spreadsheet would evaluate (CSV injection): = + - @ tab or CR first. The hint
# finds candidates in one search per row; _formula_cells then judges each cell.
_FORMULA_HINT = re.compile(r"(?:\A|\x1f)[=+\-@\t\r]")
_SIGNED_NUMBER = re.compile(r"[+-](?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def _formula_cells(
    header: list[str], cells: list[str], sink: Sink, line: int | None, row: int
) -> None:
    for index, cell in enumerate(cells):
        first = cell[:1]
        if not first or first not in "=+-@\t\r":
            continue
        if first in "+-" and (len(cell) == 1 or _SIGNED_NUMBER.match(cell)):
            continue  # a sign alone or a signed number is data to a spreadsheet too
        name = header[index] if index < len(header) else f"#{index + 1}"
        sink.add(
            RECORDS,
            "formula-cell",
            f"row {row} column {name!r} starts with {first!r}: a spreadsheet opening this file "
            "would run it as a formula (CSV injection); expected no cell starting with "
            "= + - @ tab or CR, or one prefixed with an apostrophe",
            severity=Severity.WARNING,
            line=line,
            row=row,
            pointer="/" + name.replace("~", "~0").replace("/", "~1"),
            value=repr(cell),
        )


def _check_header(header: list[str], layout: CsvLayout, sink: Sink, line: int) -> bool:
    """Report header problems; False when the file is not this CSV at all."""
    known = list(layout.types)
    if known and not set(header) & set(known):
        sink.add(
            RECORDS,
            "wrong-format",
            f"header row {clip(repr(header), 120)} names none of the schema's columns "
            f"({', '.join(known[:10])}); expected CSV with a header row and "
            f"delimiter={layout.delimiter!r}",
            line=line,
            row=0,
        )
        return False
    where: dict[str, Any] = {"line": line, "row": 0}
    duplicates = sorted(name for name, seen in Counter(header).items() if seen > 1)
    for name in duplicates:
        sink.add(RECORDS, "csv-header", f"column {name!r} appears more than once", **where)
    for name in known:
        if name in layout.required and name not in header:
            sink.add(
                RECORDS,
                "csv-header",
                f"required column {name!r} is missing from the header",
                pointer="/" + name,
                **where,
            )
    for name in header:
        if not layout.allows(name):
            sink.add(
                RECORDS,
                "csv-header",
                f"unknown column {name!r}; the schema allows only: {', '.join(known)}",
                value=repr(name),
                **where,
            )
    expected_order = [name for name in known if name in header]
    present_order = [name for name in dict.fromkeys(header) if name in layout.types]
    if present_order != expected_order:
        sink.add(
            RECORDS,
            "csv-header",
            f"columns are in a different order than the schema: header={present_order}, "
            f"expected={expected_order}",
            severity=Severity.WARNING,
            **where,
        )
    return True


@dataclass
class _CsvColumns:
    """Per header: which columns need converting, and whether dict(zip()) is exact."""

    header: list[str]
    typed: list[tuple[int, str, tuple[str, ...]]]  # (index, name, types) of non-string columns
    plain: bool  # no duplicate names: a dict of the zipped cells is the record


_STRING_ONLY = frozenset({(), ("string",)})


def _columns(header: list[str], layout: CsvLayout) -> _CsvColumns:
    typed = []
    for index, name in enumerate(header):
        types = tuple(layout.types.get(name, ()))
        if types not in _STRING_ONLY and any(t in types for t in ("integer", "number", "boolean")):
            typed.append((index, name, types))
    return _CsvColumns(header, typed, len(set(header)) == len(header))


def _csv_record(
    header: list[str],
    cells: list[str],
    layout: CsvLayout,
    sink: Sink,
    line: int | None,
    row: int,
    columns: _CsvColumns | None = None,
) -> Record:
    if len(cells) != len(header):
        sink.add(
            RECORDS,
            "csv-row",
            f"row {row} has {len(cells)} cells; expected {len(header)} (one per header column)",
            line=line,
            row=row,
        )
    elif columns is not None and columns.plain:
        # The common case, in C: zip the row, then fix the few empty and typed cells.
        record: dict[str, Any] = dict(zip(header, cells, strict=True))
        if "" in cells:
            empty = layout.empty
            index = cells.index("")
            while True:
                name = header[index]
                if empty == "absent":
                    del record[name]
                elif empty == "null":
                    record[name] = None
                try:
                    index = cells.index("", index + 1)
                except ValueError:
                    break
        for index, name, types in columns.typed:
            cell = cells[index]
            if cell != "":
                record[name] = convert_cell(cell, types)
        return Record(record, line=line, row=row)
    record = {}
    empty = layout.empty
    for name, cell in zip(header, cells, strict=False):
        if cell == "":
            if empty == "null":
                record[name] = None
            elif empty == "empty-string":
                record[name] = ""
            continue
        record[name] = convert_cell(cell, layout.types.get(name, ()))
    return Record(record, line=line, row=row)


# ---------------------------------------------------------------- XML


class XmlTooLarge(Exception):
    """Raised from the tap's read() to stop lxml when one record grows past the limit."""


_XML_DECL = re.compile(r"""\A<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DOCTYPE = re.compile(r"<!DOCTYPE\b")
_PROLOG_LIMIT = 1024 * 1024


class XmlTap:
    """The file-like object lxml reads: decoded (checked) text re-encoded as UTF-8.

    It looks at the prolog before lxml sees a byte, and stops lxml when a record grows past
    ``ReadLimits.record_bytes``, so memory stays bounded whatever the file holds.
    """

    def __init__(self, decoder: ChunkDecoder, chunks: Iterator[str] | None = None) -> None:
        """``chunks``: the decoder's text as changed on its way to lxml (taken records)."""
        self._decoder: ChunkDecoder | None = decoder if chunks is None else None
        self._chunks = iter(decoder) if chunks is None else chunks
        self._buf = b""
        self._pos = 0
        self.head = ""  # the first decoded text (at least the prolog, at most ~1 MiB)
        self.served = 0  # UTF-8 bytes handed to lxml
        self.mark = 0  # value of served at the end of the previous record
        self.failed_line: int | None = None  # where the parser stopped on a syntax error
        self._limit = current().record_bytes
        # the document element, once the parser has seen it (xml-root, xml-count)
        self.root: etree._Element | None = None
        self._prefetch()

    def _prefetch(self) -> None:
        parts: list[str] = []
        size = 0
        for chunk in self._chunks:
            parts.append(chunk)
            size += len(chunk)
            joined = "".join(parts)
            if size >= _PROLOG_LIMIT or re.search(r"<[A-Za-z_:]", joined):
                break
        self.head = "".join(parts)
        self._buf = self.head.encode("utf-8")

    def read(self, size: int = -1) -> bytes:
        if self.served - self.mark > self._limit:
            raise XmlTooLarge
        while self._pos >= len(self._buf):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            # the file's own bytes, when they are this chunk's UTF-8 and it is unchanged
            raw = self._decoder.raw if self._decoder is not None else None
            self._buf = chunk.encode("utf-8") if raw is None else raw
            self._pos = 0
        if size < 0:
            size = len(self._buf)
        out = self._buf[self._pos : self._pos + size]
        self._pos += len(out)
        self.served += len(out)
        return out


def xml_prolog_problems(head: str, encoding: str, sink: Sink) -> bool:
    """Check the XML declaration and DOCTYPE; False when the file must not be parsed."""
    stripped = head.lstrip()
    if not stripped:
        sink.add(RECORDS, "empty-file", "file has no content; expected an XML document")
        return False
    if not stripped.startswith("<"):
        sink.add(
            RECORDS,
            "wrong-format",
            f"not XML: starts with {stripped[:20]!r}; expected an XML document",
            line=1,
        )
        return False
    declared = _XML_DECL.match(head)
    if declared is not None:
        name = declared.group(1)
        try:
            same = codec_name(name) == codec_name(encoding)
        except LookupError:
            same = False
        if not same:
            sink.add(
                ENCODING,
                "xml-declaration",
                f"XML declaration says encoding={name!r}; expected {encoding!r}, the declared "
                "encoding of this export",
                line=1,
            )
    elif encoding != "utf-8":
        sink.add(
            ENCODING,
            "xml-declaration",
            f'no encoding in the XML declaration (XML then means UTF-8); expected encoding="'
            f'{encoding.upper()}"',
            line=1,
        )
    doctype = _DOCTYPE.search(head)
    if doctype is not None:
        rest = head[doctype.start() :]
        bracket, close = rest.find("["), rest.find(">")
        end = rest.find("]>") if 0 <= bracket < close or close < 0 else close
        subset = rest if end < 0 else rest[:end]
        line = head.count("\n", 0, doctype.start()) + 1
        external = _EXTERNAL_ID.match(rest)
        if external is not None:
            literal = external.group(2) or external.group(3) or ""
            _external_dtd(sink, external.group(1), literal, line)
        if "<!ENTITY" in subset:
            sink.add(
                RECORDS,
                "doctype-entities",
                "DOCTYPE declares entities; expected none (entities are never expanded, "
                "the file is not read further)",
                line=line,
            )
            return False
    return True


# <!DOCTYPE name SYSTEM "uri"> or <!DOCTYPE name PUBLIC "id" "uri">
_EXTERNAL_ID = re.compile(
    r"<!DOCTYPE\s+[^\s\[>]+\s+(SYSTEM|PUBLIC)\s*"  # the keyword, then its first literal
    r"""(?:"([^"]*)"|'([^']*)')?"""
)


def _external_dtd(sink: Sink, keyword: str, identifier: str, line: int | None) -> None:
    sink.add(
        RECORDS,
        "doctype-external",
        f"DOCTYPE refers to an external DTD ({keyword} {clip(repr(identifier), 120)}); expected "
        "none: it is never loaded (no file or network access) and records are checked against "
        "the XSD only",
        line=line,
        value=repr(identifier),
    )


def _xml_syntax(sink: Sink, exc: etree.XMLSyntaxError, record_element: str) -> None:
    """A parse error; libxml2's resource limits (depth, text size) named as such."""
    line = exc.lineno or None
    message = str(exc.msg or exc)
    if "Excessive depth" in message:
        sink.add(
            RECORDS,
            "too-deep",
            "elements nest more than 256 levels deep (the XML parser's limit); expected a "
            "shallower document (not read further)",
            line=line,
        )
    elif "Resource limit exceeded" in message or "huge text node" in message:
        _too_large(sink, f"a text node of a <{record_element}> record (or near it)", line=line)
    else:
        sink.add(RECORDS, "parse", f"not well-formed XML: {message}", line=line)


def local_name(tag: object) -> str | None:
    """Local name of an element tag; None for comments and processing instructions."""
    if not isinstance(tag, str):
        return None
    return tag.rpartition("}")[2]


def source_line(element: etree._Element) -> int | None:
    line: object = element.sourceline  # the stubs leave this untyped
    return line if isinstance(line, int) else None


@dataclass(slots=True)
class XmlRecord:
    element: etree._Element
    line: int | None
    xpath: str


XML_FEED = 64 * 1024  # bytes handed to the parser at a time


def _record_elements(tap: XmlTap, record_element: str) -> Iterator[etree._Element]:
    """A hardened pull parser over the record elements: no entities, DTDs or network.

    Every record that ended before a syntax error is yielded before the error is raised, and
    no record the error cut short, whatever the lxml version. ``iterparse`` promises neither:
    from lxml 6.2 it drops the events of the chunk that holds the error, and a failing
    ``close()`` reports an "end" for every element still open (its ``flushEvents``). So the
    events of a failed feed are kept (libxml2 reports each end tag as the feed reaches it),
    and those of a failed ``close()`` are dropped: by then every end tag the parser read has
    been reported by a feed, so what a failed ``close()`` adds was never closed.
    """
    parser = etree.XMLPullParser(
        events=("end",),
        tag=f"{{*}}{record_element}",
        encoding="utf-8",  # the tap always hands over UTF-8
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=False,
    )
    while data := tap.read(XML_FEED):
        try:
            parser.feed(data)
        except etree.XMLSyntaxError:
            yield from _ended(parser, tap)
            raise
        yield from _ended(parser, tap)
    root: Any = parser.close()  # a syntax error here leaves the events it made unread
    if root is not None:
        tap.root = root  # also when no record reached lxml (none, or all taken before it)
    yield from _ended(parser, tap)


def _ended(parser: etree.XMLPullParser, tap: XmlTap) -> Iterator[etree._Element]:
    for _event, element in parser.read_events():
        record = cast(etree._Element, element)  # only "end" events were asked for
        if tap.root is None:
            tap.root = record.getroottree().getroot()  # before the record is moved away
        yield record


def _declares_entities(element: etree._Element, sink: Sink) -> bool:
    """Flag a DOCTYPE that declares entities (never expanded); the file is not read further.

    An external DTD the prolog check missed (after a long prolog) is flagged here too.
    """
    docinfo = element.getroottree().docinfo
    system_url = getattr(docinfo, "system_url", None)  # lxml-stubs lag lxml
    if system_url and not sink.report.counts[(RECORDS, "doctype-external")]:
        keyword = "PUBLIC" if docinfo.public_id else "SYSTEM"
        _external_dtd(sink, keyword, str(system_url), None)
    dtd = docinfo.internalDTD
    if dtd is None or not any(True for _ in dtd.iterentities()):  # type: ignore[attr-defined]  # lxml-stubs lag lxml
        return False
    sink.add(
        RECORDS,
        "doctype-entities",
        "DOCTYPE declares entities; expected none (not expanded, the file is not read further)",
        line=1,
    )
    return True


def xml_records(tap: XmlTap, record_element: str, sink: Sink) -> Iterator[XmlRecord]:
    """Record elements, one at a time, each cleared once the caller is done with it."""
    events = _record_elements(tap, record_element)
    ordinals: dict[str, int] = {}
    first = True
    try:
        for element in events:
            if first:
                first = False
                if _declares_entities(element, sink):
                    return
            parent = _parent_path(element)
            ordinal = ordinals.get(parent, 0) + 1
            ordinals[parent] = ordinal
            yield XmlRecord(element, source_line(element), f"{parent}/{record_element}[{ordinal}]")
            element.clear(keep_tail=True)  # type: ignore[call-arg]  # lxml-stubs lag lxml
            previous = element.getprevious()
            owner = element.getparent()
            while previous is not None and owner is not None:
                owner.remove(previous)
                previous = element.getprevious()
            tap.mark = tap.served
    except XmlTooLarge:
        _too_large(
            sink,
            f"a <{record_element}> record (or the text before it)",
            line=None,
        )
        sink.report.complete = False
    except etree.XMLSyntaxError as exc:
        _xml_syntax(sink, exc, record_element)
        sink.report.complete = False


def _parent_path(element: etree._Element) -> str:
    names = [local_name(a.tag) or "?" for a in element.iterancestors()]
    return "/" + "/".join(reversed(names)) if names else ""


BATCH_RECORDS = 256
BATCH_BYTES = 4 * 1024 * 1024


def xml_record_batches(
    tap: XmlTap,
    record_element: str,
    sink: Sink,
    size: int = BATCH_RECORDS,
    taken_before: Callable[[], int] | None = None,
) -> Iterator[tuple[etree._Element, list[XmlRecord]]]:
    """Record elements in batches, each moved into a detached wrapper element.

    The wrapper is a copy of the records' parent (same tag, namespaces and attributes), so
    a batch can be validated and searched in single calls; records are moved out of the tree
    as they end (with any non-record elements before them dropped), so memory stays bounded
    by the batch (at most ``size`` records and about BATCH_BYTES of text).
    """
    events = _record_elements(tap, record_element)
    ordinals: dict[str, int] = {}
    first = True
    batch: list[XmlRecord] = []
    wrapper: etree._Element | None = None
    last_parent: etree._Element | None = None
    parent_path = ""
    started = tap.served
    try:
        for element in events:
            if first:
                first = False
                if _declares_entities(element, sink):
                    return
            parent = element.getparent()
            if parent is not last_parent or wrapper is None:
                if batch:  # records under another parent start a new batch
                    yield wrapper, batch  # type: ignore[misc]
                    batch = []
                last_parent = parent
                parent_path = _parent_path(element)
                wrapper = etree.Element("wrapper") if parent is None else _like(parent)
                started = tap.served
            ordinal = ordinals.get(parent_path, 0) + 1
            ordinals[parent_path] = ordinal
            line = source_line(element)
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
                wrapper.append(element)
            index = ordinal
            if taken_before is not None and parent is not None and parent.getparent() is None:
                index += taken_before()  # records of the root taken out of lxml's text
            batch.append(XmlRecord(element, line, f"{parent_path}/{record_element}[{index}]"))
            tap.mark = tap.served
            if len(batch) >= size or tap.served - started > BATCH_BYTES:
                yield wrapper, batch
                batch = []
                wrapper = _like(wrapper)
                started = tap.served
        if batch and wrapper is not None:
            yield wrapper, batch
    except XmlTooLarge:
        if batch and wrapper is not None:
            yield wrapper, batch
        _too_large(sink, f"a <{record_element}> record (or the text before it)", line=None)
        sink.report.complete = False
    except etree.XMLSyntaxError as exc:
        if batch and wrapper is not None:
            yield wrapper, batch
        _xml_syntax(sink, exc, record_element)
        sink.report.complete = False
        tap.failed_line = exc.lineno or 0


def _like(element: etree._Element) -> etree._Element:
    """A new, empty element with the tag, attributes and namespaces of ``element``."""
    nsmap: Any = element.nsmap
    attrib: Any = dict(element.attrib)
    return etree.Element(element.tag, attrib=attrib, nsmap=nsmap)


_COUNT = re.compile(r"\s*\+?[0-9]{1,30}\s*")  # an xs:integer that is not negative


def check_root(
    root: etree._Element | None,
    expected: tuple[str, str] | None,
    count_attribute: str | None,
    sink: Sink,
) -> None:
    """The document element against what the standard expects (export rules ``xml-root``
    and ``xml-count``): its local name and namespace, and the attribute that carries the
    number of records, compared with the records read when the file was read to its end."""
    if root is None:
        return  # the parser saw no element: the parse finding says why
    report = sink.report
    name = local_name(root.tag) or "?"
    namespace = etree.QName(root).namespace or ""
    line = source_line(root)
    if expected is not None and (name, namespace) != expected:
        want, want_ns = expected
        sink.add(
            RECORDS,
            "xml-root",
            f"document element is <{name}> in "
            + (f"namespace {namespace!r}" if namespace else "no namespace")
            + f"; expected <{want}> in "
            + (f"namespace {want_ns!r}" if want_ns else "no namespace"),
            value=clip(f"{{{namespace}}}{name}" if namespace else name),
            params={
                "found": f"{{{namespace}}}{name}" if namespace else name,
                "expected": f"{{{want_ns}}}{want}" if want_ns else want,
            },
            line=line,
            xpath=f"/{name}",
        )
    if count_attribute is None:
        return
    xpath = f"/{name}/@{count_attribute}"
    raw = root.get(count_attribute)
    params: dict[str, Any] = {"attribute": count_attribute, "records": report.records}
    if raw is None:
        sink.add(
            RECORDS,
            "xml-count",
            f"document element <{name}> has no {count_attribute} attribute; expected the "
            f"number of records ({report.records} read)" + ("" if report.complete else " so far"),
            params={**params, "problem": "missing"},
            line=line,
            xpath=xpath,
        )
    elif not _COUNT.fullmatch(raw):
        sink.add(
            RECORDS,
            "xml-count",
            f"{count_attribute}={clip(repr(raw), 60)} is not a non-negative integer; expected "
            "the number of records",
            value=repr(raw),
            params={**params, "problem": "not-integer"},
            line=line,
            xpath=xpath,
        )
    elif report.complete and int(raw) != report.records:
        sink.add(
            RECORDS,
            "xml-count",
            f"{count_attribute}={int(raw)} but the file has {report.records} records; "
            "expected the same number",
            value=raw.strip(),
            params={**params, "problem": "differs"},
            line=line,
            xpath=xpath,
        )
