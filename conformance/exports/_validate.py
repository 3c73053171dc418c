"""The driver: open the file safely, run the format's reader, validate each record, keep keys."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, islice, repeat
from operator import not_
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import UnknownType
from lxml import etree
from msgspec import UNSET
from referencing.exceptions import Unresolvable

from conformance.errors import StandardError
from conformance.exports._batch import Accept, Batch, decide
from conformance.exports._compressed import (
    CompressedError,
    GzipStream,
    compression_of,
    gzip_size_hint,
)
from conformance.exports._csv_blocks import csv_blocks
from conformance.exports._encoding import (
    ChunkDecoder,
    Endings,
    Line,
    LineReader,
    _report_invalid,
    check_bom,
    codec_name,
)
from conformance.exports._fast import (
    FastValidator,
    build_fast_validator,
    fast_path_refusal,
    load_documents,
    surely_valid_schema,
)
from conformance.exports._files import NotRegularFile, file_kind, open_regular
from conformance.exports._keys import (
    MISSING,
    KeyCollector,
    KeyHashes,
    RecordKeys,
    report_duplicates,
)
from conformance.exports._limits import current
from conformance.exports._model import (
    ENCODING,
    RECORDS,
    VALUE_LIMIT,
    ExportReport,
    Severity,
    Sink,
    clip,
)
from conformance.exports._paths import ALL, Acceptor, Selection, describe, select
from conformance.exports._readers import (
    _DECODER,
    MAX_DEPTH,
    CsvBlockLines,
    CsvLayout,
    CsvRows,
    Record,
    XmlRecord,
    XmlTap,
    _blank,
    _depth_message,
    _jsonl_failure,
    _parse_line,
    _too_large,
    _truncated,
    check_root,
    csv_items,
    csv_records,
    json_records,
    jsonl_records,
    local_name,
    source_line,
    xml_prolog_problems,
    xml_record_batches,
    xml_records,
)
from conformance.exports._strict import (
    colons,
    maybe_strict_problem,
    plain_colons,
    quotes,
    report_strict,
)
from conformance.exports._typed import (
    SURROGATE_ESCAPE,
    CsvColumnChecks,
    TypedRecords,
    build_csv_checks,
    build_typed_records,
)
from conformance.exports._xml_batches import (
    SEGMENT,
    XmlBatches,
    expected_root,
    global_element_names,
)
from conformance.exports._xml_compiled import RecordScanner, compile_record
from conformance.regex_validator import PatternTimeout, error_keyword
from conformance.standards.model import ExportSpec
from conformance.standards.seal import load_xsd
from conformance.validation import (
    _version_folder,
    instance_pointer,
    schema_error_message,
    schema_error_path,
    schema_set,
    schema_validator,
)

ERRORS_PER_RECORD = 50
PROGRESS_INTERVAL = 0.1  # seconds
ENCODINGS = ("utf-8", "gb18030")
FORMATS = ("jsonl", "json", "csv", "xml")
# Lines parsed and checked together: few enough that their records never trigger a
# garbage collection (objects a batch keeps alive count towards it; single lines do not).
SUB_BLOCK = 128
# Blocks read without the typed path after it took less than half of a block (values off its
# subset patterns, say A-label hostnames): each line it refuses costs a parse more.
TYPED_PAUSE = 16
# Lines of a block taken through the typed path together: decoded, checked, compared and
# keyed, then freed before the next ones are decoded (192 measured faster than 128 on the
# smaller corpus records and no slower on the larger; 256 slowed `order`).
TYPED_CHUNK = 192
DEFERRED_LINES = 256  # refused lines reported together (bounded by DEFERRED_BYTES too)
DEFERRED_BYTES = 1024 * 1024
# What a deferred JSON Lines line waits for (_RecordChecker.defer): a member name repeated
# (only), the exact checker's errors, or the line-by-line handling.
MEMBERS, REFUSED, LINE = 0, 1, 2
_HEAD = 8192
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

Progress = Callable[[int, int], None]


@dataclass
class Part:
    """What one reading covers: the whole file, or a byte range of it (parallel runs).

    A range starts at a line start (``start``, with its absolute ``first_line``) and ends
    before ``end``. In ``collect`` mode nothing is validated: the reading only gathers the
    records whose key hash is a candidate duplicate.
    """

    start: int = 0
    end: int | None = None
    first_line: int = 1
    collect: frozenset[int] | None = None
    hashes: KeyHashes | None = None
    collector: KeyCollector | None = None
    endings: Endings = field(default_factory=Endings)
    last_line: int = 0  # the last line number read (ranges report it for the next one)
    truncated: bool = False
    paths: Selection = ALL  # the registered paths offered (exports/_paths.py)
    described: bool = False  # some acceptor was built: validation_path names what ran

    @property
    def whole_file(self) -> bool:
        return self.start == 0 and self.end is None

    @property
    def last_part(self) -> bool:
        return self.end is None


def validate_export(
    spec: ExportSpec,
    path: Path,
    *,
    max_per_type: int = 100,
    progress: Progress | None = None,
    jobs: int = 1,
    deadline: float | None = None,
    paths: Iterable[str | Acceptor] | Selection | None = None,
) -> ExportReport:
    """Validate one export file against ``spec``, streaming; never raises for a bad file.

    Every record is checked against the record schema (or the XSD and ``field_formats``),
    the file against its declared encoding, and ``spec.key`` for uniqueness. Issues are
    counted exactly and listed up to ``max_per_type`` per (check, kind). ``jobs`` > 1 splits
    a large JSON Lines file into byte ranges validated in parallel processes. ``deadline``
    (a ``time.monotonic()`` value): reading stops with DeadlinePassed once it has passed.
    ``paths``: the registered validation paths to offer records to (names of
    :data:`conformance.exports.VALIDATION_PATHS`; ``()``: the exact checker alone), and
    any caller's :class:`conformance.exports.Acceptor` (asked first); None: all, unless
    ``CONFORMANCE_EXACT_ONLY=1``. ValueError for an unknown name.
    """
    path = Path(path)
    selection = select(paths)
    if jobs > 1:
        from conformance.exports._parallel import validate_parallel

        return validate_parallel(
            spec, path, max_per_type=max_per_type, jobs=jobs, deadline=deadline, paths=selection
        )
    if deadline is not None:
        progress = _until(deadline, progress)
    report = ExportReport(export=spec.name, path=path, format=spec.format, encoding=spec.encoding)
    sink = Sink(report, max_per_type)
    started = time.perf_counter()
    try:
        part = Part(hashes=KeyHashes() if spec.key else None, paths=selection)
        _validate(spec, path, sink, progress, part)
        part.endings.report(sink)
        if part.hashes is not None:
            finish_keys(spec, path, sink, part.hashes.candidates(), [Part()])
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _until(deadline: float, progress: Progress | None) -> Progress:
    """waits (issue 15 item 3): ``progress``, first raising DeadlinePassed once the run's
    --max-duration ``deadline`` (``time.monotonic()``) has passed (checked at every tick)."""
    from conformance.exports._parallel import DeadlinePassed

    def check(done: int, total: int) -> None:
        if time.monotonic() > deadline:
            raise DeadlinePassed("the run's time budget ended while the file was read")
        if progress is not None:
            progress(done, total)

    return check


def finish_keys(
    spec: ExportSpec, path: Path, sink: Sink, candidates: frozenset[int], parts: list[Part]
) -> None:
    """Read the parts again for the candidate hashes and report the exact duplicates."""
    if not candidates:
        return
    found: list[tuple[str, list[Any], int | str, dict[str, Any]]] = []
    for part in parts:
        found.extend(collect_keys(spec, path, part, candidates))
    report_duplicates(sink, spec.key, found)


def collect_keys(
    spec: ExportSpec, path: Path, part: Part, candidates: frozenset[int]
) -> list[tuple[str, list[Any], int | str, dict[str, Any]]]:
    """The candidate records of one part, in file order (the second reading)."""
    scratch = ExportReport(export=spec.name, path=path, format=spec.format)
    collector = KeyCollector(candidates)
    again = Part(
        start=part.start,
        end=part.end,
        first_line=part.first_line,
        collect=candidates,
        collector=collector,
    )
    _validate(spec, path, Sink(scratch, 0), None, again)
    return collector.found


def _validate(
    spec: ExportSpec, path: Path, sink: Sink, progress: Progress | None, part: Part
) -> None:
    report = sink.report
    if spec.format not in FORMATS:
        _stop(sink, "wrong-format", f"format={spec.format!r} is not one of {', '.join(FORMATS)}")
        return
    try:
        encoding = codec_name(spec.encoding)
    except LookupError:
        encoding = ""
    if encoding not in ENCODINGS:
        sink.add(
            ENCODING,
            "unknown-encoding",
            f"encoding={spec.encoding!r} is not supported; expected one of {', '.join(ENCODINGS)}",
        )
        report.complete = False
        return
    report.encoding = encoding
    size = _regular_file_size(path, sink)
    if size is None:
        return
    if size == 0:
        _stop(sink, "empty-file", "file is empty (0 bytes); expected records")
        return
    try:
        opened = _open_export(path, size, spec.format, sink)
    except NotRegularFile as exc:  # swapped after the first look
        _stop(sink, "not-a-file", f"path={str(path)!r} is {exc}; expected an export file")
        return
    except OSError as exc:
        _stop(sink, "unreadable", f"cannot open the file: {exc.strerror or exc}")
        return
    if opened is None:
        return
    stream, size = opened
    with stream:
        try:
            _read(spec, stream, size, encoding, sink, progress, part)
        except CompressedError as exc:  # a decompression cap, or corrupt gzip data
            _stop(sink, exc.kind, exc.message)
        except PatternTimeout as exc:  # the standard's pattern, not the file: stop, located
            if exc.location is None:
                where = schema_set(_version_folder(spec.schema_path)).locate_pattern(exc.pattern)
                exc = exc.located(where)  # keeps the kind (a runaway, or a spent run budget)
            _stop(sink, "pattern-timeout", f"record schema unusable: {exc}")
        except RecursionError:  # records are depth-capped: a $ref chain of the schema
            _stop(sink, "schema", "record schema nests too deeply (through $ref) to validate")
        except OSError as exc:  # e.g. an I/O error half way through
            _stop(sink, "unreadable", f"reading failed at byte {report.bytes_read}: {exc}")
        finally:
            if part.described:
                report.validation_path = describe(spec.format, part.paths, report.paths)


def _open_export(path: Path, size: int, fmt: str, sink: Sink) -> tuple[BinaryIO, int] | None:
    """The stream to read: the file, or its decompressed data when it is gzip'd.

    Magic bytes decide, not the name. Returns the stream and a progress total; None when
    the file is compressed some other way (reported as wrong-format).
    """
    with open_regular(path) as probe:
        head = probe.read(_HEAD)
    compression = compression_of(head)
    if compression == "gzip":
        sink.report.compression = "gzip"
        return cast(BinaryIO, GzipStream(path)), gzip_size_hint(path, size)
    if compression is not None:
        nul = head.find(b"\x00")
        binary = f", binary data with NUL bytes from byte offset {nul}" if nul >= 0 else ""
        _stop(
            sink,
            "wrong-format",
            f"file is {compression}-compressed{binary}; only gzip-compressed exports are "
            f"decompressed; expected {fmt} text, or that text gzip'd",
            byte_offset=0,
        )
        return None
    if path.name.lower().endswith(".gz"):
        sink.add(
            ENCODING,
            "not-compressed",
            "file name ends in .gz but the file holds no gzip data (no 1f 8b magic bytes); "
            "it was read as plain text",
            severity=Severity.WARNING,
            byte_offset=0,
        )
    return open_regular(path), size


def _stop(sink: Sink, kind: str, message: str, **where: Any) -> None:
    sink.add(RECORDS, kind, message, **where)
    sink.report.complete = False


def _regular_file_size(path: Path, sink: Sink) -> int | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        _stop(sink, "unreadable", f"no such file: path={str(path)!r}")
        return None
    except OSError as exc:
        _stop(sink, "unreadable", f"cannot read path={str(path)!r}: {exc.strerror or exc}")
        return None
    if not stat.S_ISREG(info.st_mode):  # never opened: a FIFO blocks, /dev/zero never ends
        _stop(
            sink,
            "not-a-file",
            f"path={str(path)!r} is {file_kind(info.st_mode)}, not a regular file; expected "
            "an export file (it is neither opened nor read)",
        )
        return None
    return info.st_size


class _Ticker:
    """Calls ``progress`` at most every PROGRESS_INTERVAL seconds, and once at the end."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.last = time.monotonic()

    def tick(self, done: int) -> None:
        if self.progress is not None:
            now = time.monotonic()
            if now - self.last >= PROGRESS_INTERVAL:
                self.last = now
                self.progress(min(done, self.total), self.total)

    def finish(self, done: int) -> None:
        if self.progress is not None:
            self.progress(min(done, self.total), self.total)


def _read(
    spec: ExportSpec,
    stream: BinaryIO,
    size: int,
    encoding: str,
    sink: Sink,
    progress: Progress | None,
    part: Part,
) -> None:
    report = sink.report
    if part.start:
        skip = part.start
    else:
        head = stream.read(_HEAD)
        nul = head.find(b"\x00")
        if nul >= 0:
            hint = " (UTF-16?)" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
            line = head.count(b"\n", 0, nul) + 1
            _stop(
                sink,
                "wrong-format",
                f"file contains NUL bytes (the first at byte offset {nul}, line {line}): "
                f"binary data{hint}, not {spec.format} text in {encoding}",
                line=line,
                byte_offset=nul,
            )
            return
        skip = check_bom(head, encoding, sink)
    stream.seek(skip)
    ticker = _Ticker(progress, size if part.end is None else part.end)
    keys = RecordKeys(spec.key, part.hashes, part.collector)
    if spec.format == "xml":
        _read_xml(spec, stream, skip, encoding, sink, ticker, keys, part)
        return
    checker = _RecordChecker.build(spec, sink, part)
    if checker is None:
        return
    endings = part.endings
    counter: LineReader | ChunkDecoder | CsvBlockLines
    records: Iterator[Record]
    if spec.format == "jsonl":
        counter = LineReader(stream, encoding, sink, skip, part.first_line)
        if part.whole_file or part.start == 0:
            records = jsonl_records(counter, sink, endings)
            switch = encoding == "utf-8"
        else:
            records = iter(())
            switch = True
        offset, number = skip, part.first_line - 1
        for record in records:
            report.records += 1
            if record.ok:
                checker.check(record)
                keys.add_json(record)
            ticker.tick(counter.offset)
            offset, number = counter.offset, record.line or number
            if switch and record.ok:
                break
        else:
            switch = switch and not part.whole_file and part.start > 0
        if switch:
            offset = _jsonl_fast(
                stream, offset, number, encoding, sink, ticker, keys, checker, part
            )
        else:
            offset = counter.offset
        if report.counts[(RECORDS, "wrong-format")] or report.counts[(RECORDS, "empty-file")]:
            report.complete = False
        report.bytes_read = offset - part.start if part.start else offset
        ticker.finish(offset)
        return
    items: Iterator[Record | CsvRows]
    if spec.format == "json":
        counter = ChunkDecoder(stream, encoding, sink, skip)
        part.endings = endings = counter.endings
        items = json_records(counter, sink)
    else:
        layout = _csv_layout(spec, sink)
        if layout is None:
            return
        counter = CsvBlockLines(stream, encoding, sink, skip)
        if "csv-blocks" in part.paths:
            items = csv_blocks(counter, sink, endings, layout, SUB_BLOCK)
        else:
            items = csv_items(counter, sink, endings, layout)
    # Windows of SUB_BLOCK records, each checked once read (after what reading it reported),
    # whether its records came one by one or a run at a time.
    window: list[Record | CsvRows] = []
    size = 0
    taken = report.paths
    acceptors = _callers(part.paths, checker) + _table_acceptors(checker, keys)
    for item in items:
        window.append(item)
        if isinstance(item, CsvRows):
            size += item.size
            taken["csv-blocks"] += item.size
        else:
            size += 1
        if size >= SUB_BLOCK:
            report.records += size
            _check_window(window, checker, keys, acceptors)
            ticker.tick(counter.offset)
            window, size = [], 0
    if window:
        report.records += size
        _check_window(window, checker, keys, acceptors)
        ticker.tick(counter.offset)
    if report.counts[(RECORDS, "wrong-format")] or report.counts[(RECORDS, "empty-file")]:
        report.complete = False
    report.bytes_read = counter.offset
    ticker.finish(counter.offset)


def _check_window(
    window: list[Record | CsvRows],
    checker: _RecordChecker,
    keys: RecordKeys,
    acceptors: list[Accept],
) -> None:
    """Validate and key a window's records in file order: each run of records read one by
    one, and each run of CSV rows read at once, is a :class:`Batch` offered to the
    acceptors, and what they leave to the exact checker (:func:`_table_exact`)."""

    def exact(batch: Batch) -> int:
        return _table_exact(batch, checker)

    run: list[Record] = []
    for item in [*window, None]:
        if isinstance(item, Record):
            run.append(item)
            continue
        if run:
            good = [record for record in run if record.ok]
            decide(Batch.of_records(good), acceptors, exact)  # counts what the acceptors took
            keys.add_many([r.value for r in good], _places(good))
            run = []
        if item is None:
            break
        batch = Batch.of_rows(item)
        decide(batch, acceptors, exact)
        if not batch.keyed:
            keys.add_many(item.built(), item.place)


def _callers(selection: Selection, checker: _RecordChecker) -> list[Accept]:
    """A caller's acceptors (``paths=``), each counted under its name."""

    def counted(acceptor: Acceptor) -> Accept:
        def accept(batch: Batch) -> Sequence[int]:
            refused = acceptor.accept(batch)
            checker.took(acceptor.name, len(batch) - len(refused))
            return refused

        return accept

    return [counted(acceptor) for acceptor in selection.extra]


def _table_acceptors(checker: _RecordChecker, keys: RecordKeys) -> list[Accept]:
    """The CSV and JSON acceptors offered, in registry order (exports/_paths.py):
    ``columns`` (CSV rows read at once, when their columns can be checked) then
    ``records``."""
    acceptors: list[Accept] = []
    if checker.schema is not None:

        def columns(batch: Batch) -> Sequence[int]:
            rows = batch.rows
            if rows is None or rows.cells is None or not batch.whole:
                return range(len(batch))
            refused = _check_columns(rows, checker, keys)
            if refused is None:
                return range(len(batch))
            batch.keyed = True
            return refused

        acceptors.append(columns)

    def records(batch: Batch) -> Sequence[int]:
        if batch.rows is not None and not batch.whole:  # rows the columns refused
            refused: list[int] = []
            values = batch.built()  # each record built alone
            for index, value in enumerate(values):
                if checker.fast_check(value):
                    checker.took("records", 1)
                else:
                    refused.append(index)
            return refused
        accepted = checker.accepted(batch.built())
        checker.took("records", accepted.count(True))
        return list(compress(range(len(accepted)), map(not_, accepted)))

    acceptors.append(records)
    return acceptors


def _table_exact(batch: Batch, checker: _RecordChecker) -> int:
    """The exact checker's share of a CSV or JSON batch: each record no acceptor took,
    reported in order (until the schema proves unusable)."""
    values = batch.built()
    for index, value in enumerate(values):
        if checker.validator is None:  # the schema proved unusable
            break
        if batch.records is not None:
            checker.slow(batch.items[index])
        else:
            line, row, _, _ = batch.place(index)
            checker.slow(Record(value, line=line, row=row))
    return len(values)


def _check_columns(item: CsvRows, checker: _RecordChecker, keys: RecordKeys) -> list[int] | None:
    """Check and key rows of string cells a column at a time: the indices of the rows the
    columns refuse (ascending; their records are built only then, by the next acceptor);
    None when the columns cannot be checked so (nothing done)."""
    assert item.cells is not None
    assert item.header is not None
    checks = checker.csv_checks(item.header, item.empty)
    if checks is None or (keys.fields and (not checks.key or not keys.hashing)):
        return None
    refused, columns = checks.refused(item.cells, item.typed)
    checker.took("columns", item.size - len(refused))
    if keys.fields:
        keys.add_columns(checks.keys(columns))
    return sorted(refused)


# ---------------------------------------------------------------- JSON Lines fast path


def _jsonl_fast(
    stream: BinaryIO,
    offset: int,
    number: int,
    encoding: str,
    sink: Sink,
    ticker: _Ticker,
    keys: RecordKeys,
    checker: _RecordChecker,
    part: Part,
) -> int:
    """Read the rest of a UTF-8 JSON Lines file (or range) a block at a time.

    Each block's whole lines are one :class:`Batch`, offered to the acceptors
    (:func:`_jsonl_acceptors`) and what they leave to the exact checker
    (:func:`_jsonl_exact`), which defers a line the acceptors refused and hands any other
    (blank, invalid UTF-8, not JSON, too deep, too large) to the line-by-line handling, with
    the same reports as :func:`jsonl_records`. Returns the byte offset reached.
    """
    report = sink.report
    endings = part.endings
    end = part.end
    acceptors = _callers(part.paths, checker) + _jsonl_acceptors(checker, keys, sink)
    checker.keys = keys

    def exact(batch: Batch) -> int:
        return _jsonl_exact(batch, checker, keys)

    records = 0
    last_raw: bytes | None = None
    limits = current()
    block_bytes = min(limits.jsonl_block_bytes, limits.record_bytes)  # whole lines: in bounds
    try:  # a decompression cap may stop the reading: the records read still count
        while True:
            want = block_bytes if end is None else min(block_bytes, end - offset)
            if want <= 0:
                break
            block = stream.read(want)
            if not block:
                break
            cut = block.rfind(b"\n")
            if cut < 0:
                if len(block) < want:  # the last line of the file, without a line ending
                    last_raw = block
                    offset_last = offset
                    offset += len(block)
                    break
                # A line longer than a block: read it line by line (it may be too large).
                stream.seek(offset)
                reader = LineReader(stream, encoding, sink, offset, number + 1)
                line = next(iter(reader))
                number = line.number
                endings.add(line.ending, line.number)
                start_offset, offset = offset, reader.offset
                records += _slow_line(line, sink, checker, keys, start_offset)
                if not line.ending:
                    part.truncated = True
                    _truncated(sink, line)
                    break
                continue
            if cut + 1 < len(block):
                stream.seek(offset + cut + 1)
            lines = block.split(b"\n")  # no copy of the block: the piece after cut dropped
            del lines[-1]
            count = len(lines)
            # memchr first: counting is a slow byte-pair search, and most files have no CR
            crlf = block.count(b"\r\n", 0, cut + 1) if block.find(b"\r", 0, cut) >= 0 else 0
            if crlf == 0:
                endings.add_many("\n", count, number + 1)
            elif crlf == count:
                endings.add_many("\r\n", count, number + 1)
            else:
                for index, raw in enumerate(lines):
                    endings.add("\r\n" if raw.endswith(b"\r") else "\n", number + 1 + index)
            records += decide(Batch(lines, number, offset, data=block, end=cut), acceptors, exact)
            if checker.due():
                checker.flush()
            number += count
            offset += cut + 1
            ticker.tick(offset)
        if last_raw is not None:
            number += 1
            records += _slow_raw(last_raw, b"", number, offset_last, encoding, sink, checker, keys)
            part.truncated = True
            body = last_raw
            text = body.decode(encoding, "replace")
            _truncated(sink, Line(number, offset_last, text, ""))
    finally:
        checker.flush()
        report.records += records
        part.last_line = number
    return offset


def _jsonl_acceptors(checker: _RecordChecker, keys: RecordKeys, sink: Sink) -> list[Accept]:
    """The JSON Lines acceptors offered, in registry order (exports/_paths.py): ``typed``
    and ``blocks`` only in the common case (no key or a single-field key being hashed),
    then ``records``, a line at a time."""
    fast = checker.fast
    # A schema that admits no record nested deeper than MAX_DEPTH spares the depth count;
    # else (an open object: its other members hold anything) ``blocks`` counts brackets,
    # and ``typed`` does where its records leave members out.
    shallow = fast is not None and fast.max_depth <= MAX_DEPTH
    whole_blocks = (
        checker.validating and fast is not None and (not keys.fields or keys.hashing_single)
    )
    acceptors: list[Accept] = []
    if whole_blocks and checker.typed is not None:
        acceptors.append(_typed_acceptor(checker.typed, checker, keys, sink))
    if whole_blocks and checker.blocks:
        acceptors.append(_blocks_acceptor(checker, keys, deep=not shallow))
    acceptors.append(_records_acceptor(checker, keys, shallow))
    return acceptors


def _typed_acceptor(
    typed: TypedRecords, checker: _RecordChecker, keys: RecordKeys, sink: Sink
) -> Accept:
    """``typed``: a whole block's lines through msgspec's typed records, a chunk at a time
    (each chunk's records freed before the next is decoded); blocks with an escape that may
    be a lone surrogate are refused whole, and so are TYPED_PAUSE blocks after it took less
    than half of one. The lines a certain column refuses are ``Batch.certain`` (no later
    acceptor asked about them), and the byte offsets of the lines it refuses are noted in
    ``Batch.known``."""
    paused = 0

    def accept(batch: Batch) -> Sequence[int]:
        nonlocal paused
        lines = batch.items
        count = len(lines)
        block, cut = batch.data, batch.end
        if paused:
            paused -= 1
            return range(count)
        if block is None:
            return range(count)
        escaped = block.find(b"\\", 0, cut) >= 0  # memchr; a 2-byte find is 80 times slower
        if escaped and SURROGATE_ESCAPE.search(block, 0, cut) is not None:
            return range(count)
        # without a backslash, a repeated member name shows in the quotes, counted from
        # the records' types alone (:func:`quote_counter`); else in the colons
        count_of = colons if escaped or typed.quotes is None else quotes
        number, offset = batch.number, batch.offset
        before = checker.taken["typed"]
        refused: list[int] = []
        certain: list[int] = []
        known = batch.known
        if count <= TYPED_CHUNK:
            counted = count_of(block, 0, cut)
            _typed_block(
                lines,
                number,
                offset,
                sink,
                checker,
                keys,
                typed,
                (count_of, counted),
                refused,
                certain,
            )
            _place_refused(lines, refused, 0, offset, known)
        else:  # a chunk at a time: its records are freed before the next is decoded
            at = 0
            for first in range(0, count, TYPED_CHUNK):
                chunk = lines[first : first + TYPED_CHUNK]
                size = sum(map(len, chunk)) + len(chunk)  # with the line endings
                counted = count_of(block, at, at + size - 1)
                some: list[int] = []
                sure: list[int] = []
                place = offset + at
                _typed_block(
                    chunk,
                    number + first,
                    place,
                    sink,
                    checker,
                    keys,
                    typed,
                    (count_of, counted),
                    some,
                    sure,
                )
                if some:
                    _place_refused(chunk, some, first, place, known)
                    refused.extend(first + index for index in some)
                    certain.extend(first + index for index in sure)
                at += size
        batch.certain = certain  # no later acceptor can take these: the exact step's next
        if (checker.taken["typed"] - before) * 2 < count:
            paused = TYPED_PAUSE
        return refused

    return accept


def _place_refused(
    chunk: list[bytes], refused: list[int], first: int, start: int, known: dict[int, int]
) -> None:
    """Note in ``known`` (by index in the block) the byte offsets of the ``refused`` lines
    of a chunk (ascending indices in it) starting at byte ``start``, its first line the
    block's ``first``: sums from one refused line to the next, over the chunk's lines before
    the last one only (no prefix sums over the block, :meth:`Batch.starts`)."""
    previous = 0
    for index in refused:
        start += sum(map(len, islice(chunk, previous, index))) + index - previous
        known[first + index] = start
        previous = index


def _blocks_acceptor(checker: _RecordChecker, keys: RecordKeys, deep: bool = False) -> Accept:
    """``blocks``: SUB_BLOCK lines at a time parsed by orjson and checked by jsonschema-rs
    in C-level loops (:func:`_block_at_once`). A chunk of a whole block with a line that is
    not JSON is refused whole (``records`` takes its lines one by one); in some of a
    block's lines (what ``typed`` refused), such a chunk's other lines are checked together.
    The values of the lines it checked and refused are kept in the batch (``records`` does
    not ask jsonschema-rs again). ``deep``: the schema admits records nested past
    MAX_DEPTH, so a line whose brackets may nest so deep is refused (the exact path reads
    it line by line)."""

    def accept(batch: Batch) -> Sequence[int]:
        lines = batch.items
        count = len(lines)
        values: list[Any] = [MISSING] * count
        refused: list[int] = []
        whole = batch.whole
        positions = batch.positions()
        number, offset = batch.number, batch.offset
        known = batch.known
        for first in range(0, count, SUB_BLOCK):
            chunk = lines[first : first + SUB_BLOCK]
            if whole:  # the chunk's own numbers and offsets: no prefix sums over the block
                done = _block_at_once(chunk, number, offset, checker, keys, deep=deep)
                if done is None:
                    done = list(range(len(chunk))), [MISSING] * len(chunk)
                elif done[0]:  # the offsets of the refused lines, known here
                    starts = list(accumulate(map(len, chunk), initial=0))
                    for index in done[0]:
                        known[first + index] = offset + starts[index] + index
                number += len(chunk)
                offset += sum(map(len, chunk)) + len(chunk)
            else:
                places = list(positions[first : first + SUB_BLOCK])
                done = _block_at_once(
                    chunk, number, offset, checker, keys, batch.lines, places, deep
                )
                if done is None:
                    done = _block_lines(
                        chunk, number, offset, checker, keys, batch.lines, places, deep
                    )
            some, parsed = done
            for index in some:  # only these values kept: a block's records would trigger
                refused.append(first + index)  # garbage collections (see SUB_BLOCK)
                values[first + index] = parsed[index]
            # and the chunk's records freed now, before the next chunk's are made: memory
            # just freed is reused (10% slower on person while two chunks were alive)
            del done, parsed
        batch.values = values
        return refused

    return accept


def _block_lines(
    lines: list[bytes],
    number: int,
    offset: int,
    checker: _RecordChecker,
    keys: RecordKeys,
    block: list[bytes] | None,
    places: list[int] | None = None,
    deep: bool = False,
) -> tuple[list[int], list[Any]]:
    """:func:`_block_at_once` for a chunk with a line that is not JSON: the lines that are
    checked together, the others refused (value ``MISSING``)."""
    json: list[int] = []
    for index, raw in enumerate(lines):
        try:
            orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        json.append(index)
    values: list[Any] = [MISSING] * len(lines)
    parsed_ones = set(json)
    refused = [index for index in range(len(lines)) if index not in parsed_ones]
    if json:
        at = places if places is not None else range(len(lines))
        picked = [lines[index] for index in json]
        done = _block_at_once(
            picked,
            number,
            offset,
            checker,
            keys,
            block if block is not None else lines,
            [at[index] for index in json],
            deep,
        )
        assert done is not None
        some, parsed = done
        for index, value in zip(json, parsed, strict=True):
            values[index] = value
        refused = sorted(refused + [json[index] for index in some])
    return refused, values


def _records_acceptor(checker: _RecordChecker, keys: RecordKeys, shallow: bool) -> Accept:
    """``records``: a line at a time, orjson and jsonschema-rs (or, reading again for keys
    only, every line that is JSON and not too deep). Refuses what it cannot parse, what is
    too deep for the exact path and what jsonschema-rs does not accept."""
    loads = orjson.loads
    dumps = orjson.dumps
    decode_error = orjson.JSONDecodeError
    fast = checker.fast
    is_valid = fast.is_valid if fast is not None else _never
    sites_ok = fast.sites_ok if fast is not None else _never
    rescue = fast.rescue if fast is not None and fast.rescue is not None else _never
    validate = checker.validating

    def accept(batch: Batch) -> Sequence[int]:
        lines = batch.items
        checked = batch.values  # what ``blocks`` checked (and refused): not asked again
        values: list[Any] = [MISSING] * len(lines)
        refused: list[int] = []
        positions = batch.positions()
        starts: list[int] = []  # built when a line is parsed here
        base, offset = batch.number, batch.offset
        by_records = 0  # lines the jsonschema-rs acceptor took one at a time
        for index, raw in enumerate(lines):
            if checked is not None and checked[index] is not MISSING:
                values[index] = checked[index]
                refused.append(index)
                continue
            if not starts:
                starts = batch.starts()
            at = positions[index]
            number = base + 1 + at
            start = offset + starts[at] + at
            try:
                value = loads(raw)
            except decode_error:
                refused.append(index)
                continue
            if validate:
                if not ((is_valid(value) or rescue(value)) and sites_ok(value)):
                    values[index] = value  # only refused values kept (see SUB_BLOCK)
                    refused.append(index)  # too deep for the slow path? the exact path asks
                    continue
                if shallow is False and _may_nest_deep(raw):
                    values[index] = value
                    refused.append(index)  # a fast-valid record is never too deep: see above
                    continue
                by_records += 1
            elif _may_nest_deep(raw):
                values[index] = value
                refused.append(index)
                continue
            _strict_lines([raw], [value], dumps, number - 1, start, checker)
            keys.add_value(value, number, start)
        checker.took("records", by_records)
        batch.values = values
        return refused

    return accept


def _jsonl_exact(batch: Batch, checker: _RecordChecker, keys: RecordKeys) -> int:
    """The exact checker's share of a JSON Lines batch: each line no acceptor took, in
    order. A JSON line not too deep is keyed and deferred (its errors worded at the next
    :meth:`_RecordChecker.flush`); any other line goes to the line-by-line handling
    (:func:`_slow_raw`) at the same flush, in line order. Returns the records counted now
    (the line-by-line handling counts its own)."""
    loads = orjson.loads
    values = batch.values
    records = 0
    for index, raw in enumerate(batch.items):
        number, _, start = batch.line_at(index)
        value = values[index] if values is not None else MISSING
        if value is MISSING:
            try:
                value = loads(raw)
            except orjson.JSONDecodeError:
                checker.defer(raw, number, start, LINE)
                continue
        if _may_nest_deep(raw):  # too deep for the exact checker
            checker.defer(raw, number, start, LINE)
            continue
        checker.defer(raw, number, start, REFUSED, value)
        keys.add_value(value, number, start)
        records += 1
    return records


def _typed_block(
    lines: list[bytes],
    number: int,
    offset: int,
    sink: Sink,
    checker: _RecordChecker,
    keys: RecordKeys,
    typed: TypedRecords,
    counts: tuple[Callable[[bytes], int], int],
    refused_out: list[int],
    certain_out: list[int],
) -> int:
    """A block of lines through the typed path: the indices of the lines it refuses are
    added to ``refused_out``, for the next acceptor (:func:`_typed_acceptor`), those
    certainly invalid to ``certain_out`` too. ``counts``: how the lines' colons or quotes
    are counted (:func:`colons`, :func:`quotes`), and their count."""
    count_of, counted = counts
    accepted, refused, expected = typed.take(lines, certain_out, count_of is quotes)
    records = len(accepted)
    if accepted:
        if refused:
            counted -= sum(map(count_of, map(lines.__getitem__, refused)))
        if expected is not None:
            same = counted == expected
            counted_colons = None  # the colons are counted only if a line may repeat a name
        else:
            same = _same_colons(accepted, typed.encode, counted, typed.members)
            counted_colons = counted
        if not same:  # a line may repeat a member name: they are looked at one by one
            skip = set(refused)
            places = [index for index in range(len(lines)) if index not in skip]
            bounded = _strict_lines(
                [lines[index] for index in places],
                accepted,
                typed.encode,
                number,
                offset,
                checker,
                lines,
                places,
                counted_colons,
                typed.members,
                typed.open,
            )
            if not bounded:  # a member its record leaves out may nest past the exact
                # checker's bound: the chunk is the next acceptor's (those certainly
                # invalid stay so)
                refused_out.extend(range(len(lines)))
                return 0
    if keys.hashing_single and typed.key is not None:
        if typed.key_text:  # every record's key a string: hashed in one C-level loop
            keys.add_texts(list(map(typed.key, accepted)))
        else:
            found = list(map(typed.key, accepted))
            if typed.key_optional:
                found = [key for key in found if key is not UNSET]
            keys.add_found(found)
    checker.took("typed", records)
    refused_out.extend(refused)
    return records


def _strict_lines(
    lines: list[bytes],
    values: list[Any],
    encode: Callable[[Any], bytes],
    number: int,
    offset: int,
    checker: _RecordChecker,
    block: list[bytes] | None = None,
    places: list[int] | None = None,
    counted: int | None = None,
    members: Callable[[list[Any]], int] | None = None,
    partial: bool = False,
) -> bool:
    """Send the lines a fast parser read that may repeat a member name (the parser kept
    the last one) to the exact path, which names each (:mod:`conformance.exports._strict`).

    One count over the lines against one over their values encoded again; only when they
    differ, line by line. ``block`` and ``places``: the block's lines when ``lines`` is a
    subset of it, and the index in ``block`` of each of ``lines`` (for numbers and offsets);
    ``counted``: the colons of ``lines``, when the caller counted them; ``members``: the
    members of flat values, counted without encoding them; ``partial``: the values may
    leave out members their lines hold (open object types), so a line whose colons differ
    is read whole before it is sent, and False (nothing sent) says such a line may nest
    past MAX_DEPTH (the caller refuses the lines: the exact path measures them).
    """
    found = colons(b"\n".join(lines)) if counted is None else counted
    if _same_colons(values, encode, found, members):
        return True
    differing: list[int] = []
    for position, (raw, value) in enumerate(zip(lines, values, strict=True)):
        if not partial and _may_nest_deep(raw):
            continue  # too deep: the line-by-line path reads it, exactly
        try:
            same = colons(raw) == encode([value]).count(b":")
        except (TypeError, ValueError):
            same = False
        if not same:
            differing.append(position)
    if partial and differing:  # members their records leave out, or a name given twice
        if any(_past_depth([lines[position] for position in differing])):
            return False
        differing = [position for position in differing if _may_repeat(lines[position])]
    everything = block if block is not None else lines
    starts = list(accumulate(map(len, everything), initial=0)) if differing else []
    for position in differing:
        index = places[position] if places is not None else position
        raw = lines[position]
        checker.defer(raw, number + 1 + index, offset + starts[index] + index, False)
    return True


def _may_repeat(raw: bytes) -> bool:
    """Whether a line, read whole, may repeat a member name (:func:`maybe_strict_problem`)."""
    try:
        return maybe_strict_problem(raw, orjson.loads(raw))
    except orjson.JSONDecodeError:
        return True


def _same_colons(
    values: list[Any],
    encode: Callable[[Any], bytes],
    found: int,
    members: Callable[[list[Any]], int] | None,
) -> bool:
    """Whether ``found`` colons (those of the lines ``values`` were read from) are the
    members of ``values`` (``members``: counted without encoding; else encoded again):
    then no line repeats a member name (:func:`_strict_lines`)."""
    try:
        if members is not None:  # flat records: a member a colon, counted without encoding
            return found == members(values)
        return found == plain_colons(encode(values))
    except (TypeError, ValueError):  # orjson: nested past its encoder's depth
        return False


def _may_nest_deep(raw: bytes) -> bool:
    """Whether a line may nest past MAX_DEPTH: more ``{`` and ``[`` than that (their count
    bounds the depth; the exact path measures it)."""
    return raw.count(b"{") + raw.count(b"[") > MAX_DEPTH


def _past_depth(lines: Sequence[bytes]) -> list[bool]:
    """:func:`_may_nest_deep` of each line, counted in C-level loops."""
    braces = map(bytes.count, lines, repeat(b"{"))
    brackets = map(bytes.count, lines, repeat(b"["))
    return [a + b > MAX_DEPTH for a, b in zip(braces, brackets, strict=True)]


def _block_at_once(
    lines: list[bytes],
    number: int,
    offset: int,
    checker: _RecordChecker,
    keys: RecordKeys,
    block: list[bytes] | None = None,
    places: list[int] | None = None,
    deep: bool = False,
) -> tuple[list[int], list[Any]] | None:
    """Parse, check and hash a block of lines with C-level loops: the indices of the lines
    it refuses (ascending) and every line's value; None when a line is not JSON. Lines are
    numbered from ``number + 1``; ``block`` and ``places``: the block's lines when ``lines``
    is some of them, and the index in ``block`` of each of ``lines`` (ascending). The lines
    it accepts are keyed here, the others by the exact checker. ``deep``: a line whose
    brackets may nest past MAX_DEPTH is refused (:func:`_past_depth`).
    """
    try:
        values = list(map(orjson.loads, lines))
    except orjson.JSONDecodeError:
        return None
    _strict_lines(lines, values, orjson.dumps, number, offset, checker, block, places)
    accepted = checker.accepted(values)
    if deep:
        accepted = [ok and not past for ok, past in zip(accepted, _past_depth(lines), strict=True)]
    checker.took("blocks", accepted.count(True))
    at = places if places is not None else range(len(lines))
    if False not in accepted:
        keys.add_many(values, lambda index: (number + 1 + at[index], None))
        return [], values
    refused = list(compress(range(len(lines)), map(not_, accepted)))
    kept = list(compress(range(len(lines)), accepted))
    keys.add_many(
        [values[index] for index in kept], lambda index: (number + 1 + at[kept[index]], None)
    )
    return refused, values


def _slow_raw(
    raw: bytes,
    ending: bytes,
    number: int,
    start: int,
    encoding: str,
    sink: Sink,
    checker: _RecordChecker,
    keys: RecordKeys,
) -> int:
    """One line the fast path did not take, handled as :func:`jsonl_records` would."""
    checker.flush()  # the lines refused before this one are reported before it
    text_ending = ""
    body = raw
    if ending:
        text_ending = "\n"
        if raw.endswith(b"\r"):
            body, text_ending = raw[:-1], "\r\n"
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.end]
        _report_invalid(sink, encoding, bad, start + exc.start, number)
        text = body.decode(encoding, "replace")
    if len(raw) > current().record_bytes:
        line = Line(number, start, "", text_ending, too_large=True)
        return _slow_line(line, sink, checker, keys, start)
    return _slow_line(Line(number, start, text, text_ending), sink, checker, keys, start)


def _slow_line(
    line: Line, sink: Sink, checker: _RecordChecker, keys: RecordKeys, start: int
) -> int:
    """Records (0 or 1) one line holds, reported as :func:`jsonl_records` reports them."""
    checker.flush()  # the lines refused before this one are reported before it
    if not line.too_large and not line.text.strip():
        _blank(sink, line.number)
        return 0
    value, problem = _parse_line(line)
    if problem is None:
        if maybe_strict_problem(line.text, value):
            report_strict(sink, line.text, line.number, start)
        record = Record(value, line=line.number, byte_offset=start)
        checker.check(record)
        keys.add_json(record)
    elif isinstance(problem, ValueError):
        _jsonl_failure(sink, line, problem)
    elif problem == "too-large":
        _too_large(sink, f"line {line.number}", line=line.number, byte_offset=start)
    else:
        sink.add(RECORDS, "too-deep", _depth_message(), line=line.number)
    return 1


# ---------------------------------------------------------------- records and keys


class _RecordChecker:
    """Validates JSON-shaped records: the fast path, then python-jsonschema for the details."""

    def __init__(
        self,
        validator: Draft202012Validator | None,
        fast: FastValidator | None,
        sink: Sink,
        typed: TypedRecords | None = None,
    ) -> None:
        self.validator = validator
        self.fast = fast
        self.typed = typed  # JSON Lines only: msgspec's one-pass parse and check
        self.schema: tuple[Path, Path, tuple[str, ...]] | None = None  # for CSV column checks
        self.columns: dict[tuple[tuple[str, ...], str], CsvColumnChecks | None] = {}
        self.sink = sink
        self.validating = validator is not None
        # (raw line, line number, offset, refused: else only maybe a member given twice)
        self.refused: list[tuple[bytes, int, int, int, Any]] = []
        self.keys: RecordKeys | None = None  # JSON Lines: what LINE lines are keyed by
        self.refused_bytes = 0
        self.fast_check: Callable[[Any], bool] = _unicode_only(fast.check) if fast else _never
        self.blocks = False  # JSON Lines: the "blocks" acceptor is offered
        self.taken = sink.report.paths  # records each registered path took

    def took(self, name: str, count: int) -> None:
        """``count`` records accepted by the registered path ``name`` (evidence only)."""
        if count and self.validating:
            self.taken[name] += count

    @classmethod
    def build(cls, spec: ExportSpec, sink: Sink, part: Part) -> _RecordChecker | None:
        if part.collect is not None:
            return cls(None, None, sink)  # the second reading validates nothing
        validator = _json_validator(spec, sink)
        if validator is None:
            return None
        folder = _version_folder(spec.schema_path)
        offered = part.paths  # the acceptors (exports/_paths.py); the others build on records
        fast = None
        # read once for both builders (they only read them)
        documents = load_documents(spec.schema_path, folder) if "records" in offered else None
        typing = "typed" in offered and spec.format == "jsonl" and len(spec.key) <= 1
        if "records" in offered:
            # with a typed path, its validators are compiled only if it is unsure of a record
            fast = build_fast_validator(
                spec.schema_path, folder, validator, ERRORS_PER_RECORD, documents, defer=typing
            )
        typed = None
        if fast is not None and typing:
            key = spec.key[0] if spec.key else None
            typed = build_typed_records(spec.schema_path, folder, key, documents)
            if typed is None:  # the other paths call them on every record: compiled now
                fast = fast.materialized()
        if "records" not in offered:
            sink.report.validation_path = f"exact ({offered.origin})"
        elif fast is None:
            why = fast_path_refusal(spec.schema_path, folder) or "no fast path"
            sink.report.validation_path = f"exact: {why}"
        else:
            part.described = True
        checker = cls(validator, fast, sink, typed)
        checker.blocks = fast is not None and "blocks" in offered
        if fast is not None and "columns" in offered and spec.format == "csv":
            checker.schema = (spec.schema_path, folder, tuple(spec.key))
        return checker

    def csv_checks(self, header: list[str], empty: str) -> CsvColumnChecks | None:
        """The column checks of rows under ``header``, built once per header."""
        if self.schema is None or self.validator is None:
            return None
        place = (tuple(header), empty)
        if place not in self.columns:
            schema_path, folder, key = self.schema
            self.columns[place] = build_csv_checks(schema_path, folder, header, empty, key)
        return self.columns[place]

    def check(self, record: Record) -> None:
        if self.validator is None:
            return
        if self.typed is not None and self._typed_accepts(record.value):
            self.taken["typed"] += 1
            return
        if self.fast_check(record.value):
            self.taken["records"] += 1
            return
        self.slow(record)

    def _typed_accepts(self, value: Any) -> bool:
        """Whether the typed path accepts ``value`` (its canonical JSON): a JSON Lines
        file's first record, read alone, leaves the fast validators it may never need
        uncompiled (:class:`conformance.exports._fast._Deferred`)."""
        assert self.typed is not None
        try:  # json's: orjson would write a non-finite float as null
            raw = json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        except (ValueError, TypeError):  # NaN or infinite, a lone surrogate
            return False
        accepted, _ = self.typed.accepted([raw])
        return bool(accepted)

    def accepted(self, values: list[Any]) -> list[bool]:
        """Per value, whether the fast path accepts it (C-level loops over a batch)."""
        fast = self.fast
        if self.validator is None:
            return [True] * len(values)
        if fast is None:
            return [False] * len(values)
        try:
            accepted = list(map(fast.is_valid, values))
            if fast.rescue is not None and False in accepted:  # a value off a subset pattern?
                rescue = fast.rescue
                accepted = [ok or rescue(value) for ok, value in zip(accepted, values, strict=True)]
        except UnicodeEncodeError:  # a lone surrogate (Python's json reads it): the exact path
            return list(map(self.fast_check, values))
        if False not in accepted:
            return fast.sites_ok_each(values)
        # The site code expects valid shapes; most blocks then pass it whole.
        sites = fast.sites_ok_each(list(compress(values, accepted)))
        if False in sites:
            passed = iter(sites)
            return [ok and next(passed) for ok in accepted]
        return accepted

    def defer(
        self, raw: bytes, number: int, start: int, refused: int = REFUSED, value: Any = MISSING
    ) -> None:
        """A line the acceptors refused (``REFUSED``), or that may repeat a member name
        (``MEMBERS``), or that the line-by-line handling reads (``LINE``: blank, invalid
        UTF-8, not JSON, too deep), reported at the next :meth:`flush`.

        Reporting refused lines together keeps the slow path's code and data in the CPU
        caches (measured at 1% refused: 0.15 µs less per record read, about 15 µs per
        refused line). Never flushed here: a line deferred by two steps of one block (a
        name given twice, then refused) is reported once, in order, only if both are in
        one flush (the reader flushes between blocks, :meth:`due`).
        """
        self.refused.append((raw, number, start, refused, value))
        self.refused_bytes += len(raw)

    def due(self) -> bool:
        """Whether the deferred lines are enough to report now (between blocks)."""
        return len(self.refused) >= DEFERRED_LINES or self.refused_bytes > DEFERRED_BYTES

    def flush(self) -> None:
        """Report the deferred lines, in file order, as the line reader would: what a
        strict parser refuses first (as :func:`_slow_line` does), then the record's errors."""
        lines: dict[int, tuple[bytes, int, int, Any]] = {}
        for raw, number, start, refused, value in self.refused:
            held = lines.get(number)
            if held is not None:
                refused = max(refused, held[2])
                value = value if value is not MISSING else held[3]
            lines[number] = (raw, start, refused, value)
        self.refused.clear()
        self.refused_bytes = 0
        for number in sorted(lines):
            raw, start, refused, value = lines[number]
            if refused == LINE:
                assert self.keys is not None
                self.sink.report.records += _slow_raw(
                    raw, b"\n", number, start, "utf-8", self.sink, self, self.keys
                )
                continue
            if value is MISSING:  # else orjson's: where it reads a line, it reads it as json
                value = _DECODER.decode(raw.decode("utf-8"))
            if maybe_strict_problem(raw, value):
                report_strict(self.sink, raw.decode("utf-8"), number, start)
            if refused and self.validator is not None:
                self.slow(Record(value, line=number, byte_offset=start))

    def slow(self, record: Record) -> None:
        assert self.validator is not None
        locator = self.fast.locator if self.fast is not None else None
        try:
            located = locator.errors(record.value) if locator is not None else None
        except UnicodeEncodeError:  # a lone surrogate: jsonschema-rs takes Unicode only
            located = None
        if located is not None:
            _report_record_errors(located, record, self.sink)
        elif not _check_json_record(self.validator, record, self.sink):
            self.validator = None
            self.validating = False


def _places(records: list[Record]) -> Callable[[int], tuple[int | None, int | None]]:
    """(line, row) of the i-th record of a batch."""
    return lambda index: (records[index].line, records[index].row)


def _never(_value: Any) -> bool:
    return False


def _unicode_only(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """``check``, refusing (to the exact path) a value jsonschema-rs cannot take: a string
    with a lone surrogate, which only Python's json decodes."""

    def checked(value: Any) -> bool:
        try:
            return check(value)
        except UnicodeEncodeError:
            return False

    return checked


# ---------------------------------------------------------------- JSON-shaped records


def _json_validator(spec: ExportSpec, sink: Sink) -> Draft202012Validator | None:
    try:
        validator = schema_validator(spec.schema_path)
        contents = _schema_contents(spec.schema_path)[0]
        if not surely_valid_schema(contents, type(validator)):  # python-jsonschema words it
            validator.check_schema(contents)
    except Exception as exc:  # any failure here is the standard's, reported not raised
        reason = _reason(exc)
        _stop(sink, "schema", f"record schema {spec.schema_path.name} is unusable: {reason}")
        return None
    return validator


def _reason(exc: Exception) -> str:
    """The first line of an exception's message (schema errors carry long dumps)."""
    text = str(getattr(exc, "message", "") or exc)
    return clip(text.strip().splitlines()[0] if text.strip() else type(exc).__name__, 200)


def _schema_contents(schema_path: Path) -> tuple[Any, Any]:
    """The record schema's contents and a resolver for its ``$ref``s."""
    schemas = schema_set(_version_folder(schema_path))
    return schemas.lookup(schemas.uri(schema_path))


def _check_json_record(validator: Draft202012Validator, record: Record, sink: Sink) -> bool:
    """Report the record's schema errors; False when the schema itself proved unusable."""
    try:
        errors = list(islice(validator.iter_errors(record.value), ERRORS_PER_RECORD + 1))
    except (Unresolvable, UnknownType) as exc:
        _stop(sink, "schema", f"record schema cannot be applied: {_reason(exc)}")
        return False
    _report_record_errors(errors, record, sink)
    return True


def _report_record_errors(errors: list[Any], record: Record, sink: Sink) -> None:
    """One finding per schema error of a record, in instance then schema order."""
    if len(errors) > 1:
        errors.sort(key=_error_order)
    for index, error in enumerate(errors):
        if index == ERRORS_PER_RECORD:
            sink.add(
                RECORDS,
                "more-errors",
                f"record has more than {ERRORS_PER_RECORD} errors; only the first "
                f"{ERRORS_PER_RECORD} are reported",
                severity=Severity.WARNING,
                line=record.line,
                row=record.row,
            )
            break
        keyword = error_keyword(error)
        kind = f"format:{error.validator_value}" if keyword == "format" else keyword
        pointer = instance_pointer(error)
        shown = repr(error.instance)
        message = error.message
        if len(shown) > VALUE_LIMIT:
            message = message.replace(shown, clip(shown))
        sink.add(
            RECORDS,
            kind,
            f"{pointer or 'record'}: {message}",
            line=record.line,
            row=record.row,
            byte_offset=record.byte_offset,
            pointer=pointer,
            schema_path=schema_error_path(error),
            value=shown,
            params={"schema": schema_error_message(error)},  # the catalog's wording
        )


def _error_order(error: Any) -> tuple[list[str], list[str], str]:
    # Both wordings (whole-record and located) list a record's errors in this one order.
    return (
        [str(step) for step in error.absolute_path],
        [str(step) for step in error.absolute_schema_path],
        error.message,
    )


_MAX_REF_HOPS = 16


def _deref(schema: Any, resolver: Any) -> tuple[Any, Any]:
    for _ in range(_MAX_REF_HOPS):
        if not isinstance(schema, Mapping) or "$ref" not in schema:
            break
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = resolved.contents, resolved.resolver
    return schema, resolver


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def _declared_types(schema: Any, resolver: Any, depth: int = 0) -> tuple[str, ...]:
    """JSON types a property schema admits (for converting CSV cells); () if it says none."""
    schema, resolver = _deref(schema, resolver)
    if not isinstance(schema, Mapping) or depth > _MAX_REF_HOPS:
        return ()
    declared = schema.get("type")
    if isinstance(declared, str):
        return (declared,)
    if isinstance(declared, list):
        return tuple(str(t) for t in declared)
    values = list(schema.get("enum", [])) + ([schema["const"]] if "const" in schema else [])
    if values:
        return tuple(dict.fromkeys(_JSON_TYPES.get(type(v), "string") for v in values))
    found: list[str] = []
    for keyword in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(keyword, []):
            found.extend(_declared_types(member, resolver, depth + 1))
    return tuple(dict.fromkeys(found))


def _csv_layout(spec: ExportSpec, sink: Sink) -> CsvLayout | None:
    try:
        contents, resolver = _schema_contents(spec.schema_path)
        root, resolver = _deref(contents, resolver)
        parts = [(root, resolver)]
        for member in root.get("allOf", []):
            parts.append(_deref(member, resolver))
        types: dict[str, tuple[str, ...]] = {}
        required: set[str] = set()
        patterns: list[str] = []
        open_ = True
        for part, part_resolver in parts:
            for name, subschema in part.get("properties", {}).items():
                types[name] = _declared_types(subschema, part_resolver)
            required.update(part.get("required", []))
            patterns.extend(part.get("patternProperties", {}))
            if part.get("additionalProperties", True) is False:
                open_ = False
            if part.get("unevaluatedProperties", True) is False:
                open_ = False
        for pattern in patterns:
            re.compile(pattern)
    except Exception as exc:  # the standard's problem: report, do not raise
        name = spec.schema_path.name
        _stop(sink, "schema", f"record schema {name} is unusable for CSV: {_reason(exc)}")
        return None
    return CsvLayout(
        types=types,
        required=frozenset(required),
        open=open_,
        patterns=tuple(patterns),
        empty=spec.csv.empty,
        delimiter=spec.csv.delimiter,
    )


# ---------------------------------------------------------------- XML


def _children_named(element: etree._Element, name: str) -> list[etree._Element]:
    return [
        child
        for child in element
        if isinstance(child.tag, str) and (name == "*" or local_name(child.tag) == name)
    ]


def _step(parent: etree._Element, child: etree._Element) -> str:
    """One xpath step to ``child``, indexed only when it has same-named siblings."""
    name = local_name(child.tag) or "?"
    same = _children_named(parent, name)
    return name if len(same) == 1 else f"{name}[{same.index(child) + 1}]"


def _error_xpath(record: XmlRecord, libxml_path: str | None) -> str:
    """Our xpath for a node libxml2 names relative to the validated record element.

    libxml2 writes ``*[n]`` for namespaced elements (n among element siblings) and indexes
    positions the way the detached-looking subtree sees them, so the path is walked again.
    """
    if not libxml_path:
        return record.xpath
    node = record.element
    steps: list[str] = []
    for segment in libxml_path.strip("/").split("/")[1:]:
        match = SEGMENT.fullmatch(segment)
        if match is None:
            break
        candidates = _children_named(node, match.group(1))
        index = int(match.group(2) or 1)
        if not 0 < index <= len(candidates):
            break
        child = candidates[index - 1]
        steps.append(_step(node, child))
        node = child
    return "/".join([record.xpath, *steps])


def _load_xsd(spec: ExportSpec, sink: Sink) -> tuple[etree.XMLSchema, etree._Element] | None:
    """The XSD, and its document's root (read once for the fast paths too)."""
    # sealed (issue 15 item 4): includes and imports are read only inside the version folder
    try:
        return load_xsd(spec.schema_path)
    except StandardError as exc:
        _stop(sink, "schema", f"XSD {spec.schema_path.name} is unusable: {exc}")
        return None


def _field_formats(spec: ExportSpec, sink: Sink) -> list[tuple[str, tuple[str, ...], Any]] | None:
    from conformance.formats import FORMATS

    compiled: list[tuple[str, tuple[str, ...], Any]] = []
    for field_path, name in spec.field_formats.items():
        fmt = FORMATS.get(name)
        steps = tuple(step for step in field_path.strip("/").split("/") if step)
        if fmt is None or not steps:
            _stop(
                sink,
                "schema",
                f"field_formats entry {field_path!r}: {name!r} is not a usable format; "
                f"expected a path of element names and one of {', '.join(sorted(FORMATS))}",
            )
            return None
        compiled.append((field_path, steps, fmt))
    return compiled


def _find_fields(
    element: etree._Element, steps: tuple[str, ...], xpath: str
) -> Iterator[tuple[etree._Element, str]]:
    """Elements at the record-relative ``steps`` (local names), with their xpaths."""
    if not steps:
        yield element, xpath
        return
    for child in _children_named(element, steps[0]):
        yield from _find_fields(child, steps[1:], f"{xpath}/{_step(element, child)}")


def _field_elements(element: etree._Element, steps: tuple[str, ...]) -> Iterator[etree._Element]:
    """The elements ``_find_fields`` finds, in its order, without their xpaths (a C-level
    search of the children by local name)."""
    if not steps:
        yield element
        return
    name = steps[0]
    children = (
        _children_named(element, name) if name == "*" else element.iterchildren(f"{{*}}{name}")
    )
    for child in children:
        yield from _field_elements(child, steps[1:])


def _field_xpath(record: XmlRecord, element: etree._Element, depth: int) -> str:
    """The xpath ``_find_fields`` gives ``element``, ``depth`` steps below the record."""
    steps: list[str] = []
    node = element
    for _ in range(depth):
        parent = node.getparent()
        if parent is None:  # (a field is below its record)
            break
        steps.append(_step(parent, node))
        node = parent
    return "/".join([record.xpath, *reversed(steps)])


def _read_xml(
    spec: ExportSpec,
    stream: BinaryIO,
    skip: int,
    encoding: str,
    sink: Sink,
    ticker: _Ticker,
    keys: RecordKeys,
    part: Part,
) -> None:
    report = sink.report
    record_element = spec.record_element
    if not record_element:
        _stop(sink, "schema", "xml export has no record_element; expected the record's name")
        return
    collect = part.collect is not None
    loaded = None if collect else _load_xsd(spec, sink)
    formats = [] if collect else _field_formats(spec, sink)
    if (loaded is None and not collect) or formats is None:
        return
    schema = loaded[0] if loaded is not None else None
    key_name = keys.fields[0] if len(keys.fields) == 1 and keys.hashes else None
    offered = part.paths  # the acceptors (exports/_paths.py); compiled builds on batches
    fast = None
    if loaded is not None and "batches" in offered:
        fast = XmlBatches.build(spec, loaded[1], formats, key_name)
    declared = loaded is not None and spec.record_element in global_element_names(loaded[1])
    decoder = ChunkDecoder(stream, encoding, sink, skip)
    compiled = None
    # The compiled records are hashed by their one key field only: a key of several fields
    # leaves every record to lxml (keyed by add_xml), lest the records it takes go unkeyed.
    one_key = not (keys.fields and keys.hashes is not None) or key_name is not None
    if loaded is not None and fast is not None and declared and "compiled" in offered and one_key:
        compiled = compile_record(loaded[1], record_element, formats, key_name)
    if not collect:
        if "batches" not in offered:
            report.validation_path = f"exact ({offered.origin})"
        elif fast is None:
            report.validation_path = "exact: lxml record by record"
        else:
            part.described = True
    # Two stages. While the scanner reads the text (compiled), the records it finds are
    # batches of record texts asked of a caller's acceptors then of ``compiled``; what they
    # leave stays in the text lxml parses. lxml's record elements are batches asked of a
    # caller's acceptors (about the records the scanner did not find: those after it
    # stopped) then of ``batches``; what they leave the exact step decides.
    state = _XmlState(use_xsd=not collect)
    scanner = None
    if compiled is not None:
        scanner = RecordScanner(compiled, keys.hashes, _xml_callers(part.paths, report))
    tap = XmlTap(decoder, scanner.chunks(iter(decoder)) if scanner is not None else None)
    taken_before = None
    if scanner is not None:
        before, scanned = scanner.before, scanner

        def taken_before() -> int:
            if before:
                state.asked += 1  # a record the scanner found (and offered)
                return before.popleft()
            return scanned.taken

    if xml_prolog_problems(tap.head, encoding, sink):
        acceptors = _xml_callers(part.paths, report, state)
        read_before = 0
        if fast is not None and schema is not None:
            acceptors.append(_xml_batches_acceptor(fast, schema, keys, key_name, state, report))

        def exact(batch: Batch) -> int:
            return _xml_exact(batch, schema, formats, record_element, sink, state, declared)

        batches = xml_record_batches(tap, record_element, sink, taken_before=taken_before)
        for wrapper, records in batches:
            report.records += len(records)
            listed, read = len(report.issues), records
            found = min(len(records), state.asked - read_before) if offered.extra else 0
            # (the first ``found`` were found by the scanner: asked about already)
            state.found = {id(r.element) for r in records[:found]} if found > 0 else set()
            read_before += len(records)
            whole = fast is not None and len(wrapper) == len(records)
            # Entity references stay unexpanded nodes only under an external DTD (never
            # loaded); libxml2's XSD code cannot validate them: a named finding instead.
            unresolved = (
                _entity_references(records, sink)
                if report.counts[(RECORDS, "doctype-external")]
                else set()
            )
            if unresolved:
                whole = False
                records = [r for r in records if id(r.element) not in unresolved]
            state.unkeyed = None
            decide(Batch.of_xml(records, wrapper if whole else None), acceptors, exact)
            # keyed in file order: all of them, or those an acceptor did not key
            for record in records if state.unkeyed is None else state.unkeyed:
                keys.add_xml(record)
            if len(report.issues) - listed > 1:
                _in_record_order(report.issues, listed, read)
            ticker.tick(decoder.offset)
    else:
        report.complete = False
    if scanner is not None:  # the records taken out of lxml's text, up to where it stopped
        failed = tap.failed_line
        taken = scanner.taken if failed is None else scanner.taken_before_line(failed)
        report.records += taken
        # (what a caller's acceptors took from the text is counted under their names)
        taken -= scanner.taken - scanner.compiled_taken
        if not collect and taken > 0:
            report.paths["compiled"] += taken
    if loaded is not None:  # the document element (export rules xml-root, xml-count)
        expected = expected_root(spec, loaded[1])
        # A rule is applied only when what it judges was there to judge: the root when the
        # parser saw a document element, the count when every record was read (a file that
        # stopped before them exercised neither: never a pass).
        report.rules.update(
            rule
            for rule, applied, seen in (
                ("xml-root", expected, tap.root is not None),
                ("xml-count", spec.root.count, tap.root is not None and report.complete),
            )
            if applied is not None and seen
        )
        check_root(tap.root, expected, spec.root.count, sink)
    part.endings = decoder.endings
    report.bytes_read = decoder.offset
    ticker.finish(decoder.offset)


@dataclass
class _XmlState:
    """What the XML acceptors and exact step share through one reading."""

    use_xsd: bool  # False once the XSD proved unable to validate records one by one
    unkeyed: list[XmlRecord] | None = None  # the batch's records an acceptor did not key
    asked: int = 0  # records the scanner found, offered to a caller's acceptors as text
    found: set[int] = field(default_factory=set)  # ids of the batch's records among them


def _xml_callers(
    selection: Selection, report: ExportReport, state: _XmlState | None = None
) -> list[Accept]:
    """A caller's acceptors (``paths=``), each counted under its name: asked about the
    record texts the scanner finds (``state`` None) or about lxml's record elements, but
    not about those the scanner found (they were asked about as text)."""

    def counted(acceptor: Acceptor) -> Accept:
        def ask(batch: Batch) -> Sequence[int]:
            refused = acceptor.accept(batch)
            report.paths[acceptor.name] += len(batch) - len(refused)
            return refused

        def accept(batch: Batch) -> Sequence[int]:
            found = state.found if state is not None else None
            if not found:
                return ask(batch)
            fresh = [i for i, r in enumerate(batch.items) if id(r.element) not in found]
            if not fresh:
                return range(len(batch))
            accepted = set(fresh).difference(fresh[i] for i in ask(batch.subset(fresh)))
            return [index for index in range(len(batch)) if index not in accepted]

        return accept

    return [counted(acceptor) for acceptor in selection.extra]


def _xml_batches_acceptor(
    fast: XmlBatches,
    schema: etree.XMLSchema,
    keys: RecordKeys,
    key_name: str | None,
    state: _XmlState,
    report: ExportReport,
) -> Accept:
    """``batches``: one XSD call for a whole batch (its wrapper), then the field formats of
    the records it holds valid by one XPath a field; refuses the records the XSD errors
    name and those with a field whose format check fails (and all of them when the batch
    cannot be validated whole). Keys the records it validated when it can."""

    def accept(batch: Batch) -> Sequence[int]:
        wrapper = batch.wrapper
        if wrapper is None or not batch.whole or not state.use_xsd:
            return range(len(batch))
        records: list[XmlRecord] = batch.items
        suspects = fast.suspects(schema, wrapper, records)
        if suspects is None:
            return range(len(batch))
        report.paths["batches"] += len(records) - len(suspects)
        for record in suspects:
            wrapper.remove(record.element)
        hashes = keys.hashes if key_name is not None else None
        owners, keyed = fast.valid_records(wrapper, hashes, len(records) - len(suspects))
        if keyed:
            state.unkeyed = suspects
        if not suspects and not owners:
            return ()
        owners.update(id(record.element) for record in suspects)
        return [index for index, record in enumerate(records) if id(record.element) in owners]

    return accept


def _xml_exact(
    batch: Batch,
    schema: etree.XMLSchema | None,
    formats: list[tuple[str, tuple[str, ...], Any]],
    name: str,
    sink: Sink,
    state: _XmlState,
    declared: bool,
) -> int:
    """The exact checker of XML records: lxml's XSD record by record, then the field
    formats, each record's errors worded in record order."""
    records: list[XmlRecord] = batch.items
    for record in records:
        if state.use_xsd and schema is not None:
            state.use_xsd = _check_xsd(schema, record, name, sink, declared)
        _check_field_formats(formats, record, sink)
    return len(records)


def _in_record_order(issues: list[Any], start: int, batch: list[XmlRecord]) -> None:
    """Order the issues listed from ``start`` (one batch's) by their records' order.

    A batch lists its XSD issues, then its format issues; how records fall into batches
    differs between the paths (the compiled one leaves fewer records to lxml), so each
    batch's issues are put in record order (a stable sort: within a record, XSD first), the
    order every path agrees on. An issue naming no record of the batch goes last.
    """
    depth = batch[0].xpath.count("/") + 1  # the records of a batch share their parent
    position = {record.xpath: index for index, record in enumerate(batch)}
    last = len(batch)

    def record_of(issue: Any) -> int:
        xpath = issue.xpath or ""
        return position.get("/".join(xpath.split("/", depth)[:depth]), last)

    issues[start:] = sorted(issues[start:], key=record_of)


def _entity_references(batch: list[XmlRecord], sink: Sink) -> set[int]:
    """The ids of the records holding an entity reference, each reported once, located."""
    found: set[int] = set()
    for record in batch:
        for node in record.element.iter(etree.Entity):
            parent = node.getparent()
            where = source_line(parent) if parent is not None else None
            name = str(node.text or "")  # "&name;"
            holder = local_name(parent.tag if parent is not None else record.element.tag)
            sink.add(
                RECORDS,
                "entity-reference",
                f"entity reference {clip(name)} in <{holder}> "
                f"(line {where or record.line}): its entity is declared only in the external "
                "DTD, which is never loaded; expected text without entity references "
                "(the record is not validated)",
                line=where or record.line,
                xpath=record.xpath,
                value=name,
            )
            found.add(id(record.element))
            break
    return found


def _check_xsd(
    schema: etree.XMLSchema, record: XmlRecord, name: str, sink: Sink, declared: bool = False
) -> bool:
    """Validate one record element; False when the XSD cannot validate records at all.

    ``declared``: the XSD declares a global element of the record's local name, so a record
    matching no global declaration is in a wrong namespace (its own error, not the XSD's).
    """
    try:
        valid = schema.validate(record.element)
    except etree.XMLSchemaValidateError as exc:
        sink.add(
            RECORDS,
            "xsd",
            f"record could not be validated: {exc}",
            line=record.line,
            xpath=record.xpath,
        )
        return True
    if valid:
        return True
    log = cast(Iterable[Any], schema.error_log)  # the stubs omit __iter__
    for entry in islice(log, ERRORS_PER_RECORD):
        if entry.type_name == "SCHEMAV_CVC_ELT_1" and not declared:
            _stop(
                sink,
                "schema",
                f"the XSD declares no global element {name!r}; expected the record element "
                "declared globally so records can be validated one by one",
            )
            return False
        sink.add(
            RECORDS,
            "xsd",
            entry.message,
            line=entry.line or record.line,
            xpath=_error_xpath(record, entry.path),
            constraint=str(entry.type_name),  # the XSD rule broken, e.g. a pattern facet
        )
    return True


def _check_field_formats(
    formats: list[tuple[str, tuple[str, ...], Any]], record: XmlRecord, sink: Sink
) -> None:
    for field_path, steps, fmt in formats:
        for element in _field_elements(record.element, steps):
            if element.get(_XSI_NIL) in ("true", "1"):
                continue
            text = element.text or ""
            reason = fmt.check(text)
            if reason is not None:
                sink.add(
                    RECORDS,
                    f"format:{fmt.name}",
                    f"{field_path}={clip(repr(text))} is not a valid {fmt.name!r}: {reason}",
                    line=source_line(element),
                    xpath=_field_xpath(record, element, len(steps)),
                    value=repr(text),
                )


# ---------------------------------------------------------------- visiting records


def visit_records(spec: ExportSpec, path: Path) -> Iterator[Any]:
    """Every readable record of an export file (``Record`` or ``XmlRecord``), unvalidated.

    Used by cross-record rules; problems of the file itself are the export checks' to report.
    """
    path = Path(path)
    scratch = Sink(ExportReport(export=spec.name, path=path, format=spec.format), 0)
    try:
        encoding = codec_name(spec.encoding)
        size = os.stat(path).st_size
        opened = _open_export(path, size, spec.format, scratch) if size else None
    except (LookupError, OSError):
        return
    if opened is None:
        return
    stream = opened[0]
    if encoding not in ENCODINGS:
        stream.close()
        return
    with stream:
        try:
            yield from _visit(spec, stream, encoding, scratch)
        except OSError:  # a decompression cap or an I/O error: the export checks report it
            return


def _visit(spec: ExportSpec, stream: BinaryIO, encoding: str, scratch: Sink) -> Iterator[Any]:
    skip = check_bom(stream.read(_HEAD), encoding, scratch)
    stream.seek(skip)
    if spec.format == "xml":
        decoder = ChunkDecoder(stream, encoding, scratch, skip)
        tap = XmlTap(decoder)
        if spec.record_element and xml_prolog_problems(tap.head, encoding, scratch):
            yield from xml_records(tap, spec.record_element, scratch)
        return
    records: Iterator[Record]
    if spec.format == "json":
        records = json_records(ChunkDecoder(stream, encoding, scratch, skip), scratch)
    elif spec.format == "jsonl":
        records = jsonl_records(LineReader(stream, encoding, scratch, skip), scratch, Endings())
    elif spec.format == "csv":
        layout = _csv_layout(spec, scratch)
        if layout is None:
            return
        lines = LineReader(stream, encoding, scratch, skip)
        records = csv_records(lines, scratch, Endings(), layout)
    else:
        return
    for record in records:
        if record.ok:
            yield record
