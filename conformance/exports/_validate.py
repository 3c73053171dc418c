"""The driver: open the file safely, run the format's reader, validate each record, keep keys."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import UnknownType
from lxml import etree
from referencing.exceptions import Unresolvable

from conformance.exports._encoding import ChunkDecoder, Endings, LineReader, check_bom, codec_name
from conformance.exports._model import (
    ENCODING,
    RECORDS,
    UNIQUE_KEYS,
    VALUE_LIMIT,
    ExportReport,
    Severity,
    Sink,
    clip,
)
from conformance.exports._readers import (
    CsvLayout,
    Record,
    XmlRecord,
    XmlTap,
    csv_records,
    json_records,
    jsonl_records,
    local_name,
    source_line,
    xml_prolog_problems,
    xml_records,
)
from conformance.standards.model import ExportSpec
from conformance.validation import (
    _version_folder,
    instance_pointer,
    schema_error_path,
    schema_set,
    schema_validator,
)

ERRORS_PER_RECORD = 50
PROGRESS_INTERVAL = 0.1  # seconds
ENCODINGS = ("utf-8", "gb18030")
FORMATS = ("jsonl", "json", "csv", "xml")
_HEAD = 8192
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

Progress = Callable[[int, int], None]


def validate_export(
    spec: ExportSpec,
    path: Path,
    *,
    max_per_type: int = 100,
    progress: Progress | None = None,
) -> ExportReport:
    """Validate one export file against ``spec``, streaming; never raises for a bad file.

    Every record is checked against the record schema (or the XSD and ``field_formats``),
    the file against its declared encoding, and ``spec.key`` for uniqueness. Issues are
    counted exactly and listed up to ``max_per_type`` per (check, kind).
    """
    path = Path(path)
    report = ExportReport(export=spec.name, path=path, format=spec.format, encoding=spec.encoding)
    sink = Sink(report, max_per_type)
    started = time.perf_counter()
    try:
        _validate(spec, path, sink, progress)
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _validate(spec: ExportSpec, path: Path, sink: Sink, progress: Progress | None) -> None:
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
        stream = path.open("rb")
    except OSError as exc:
        _stop(sink, "unreadable", f"cannot open the file: {exc.strerror or exc}")
        return
    with stream:
        try:
            _read(spec, stream, size, encoding, sink, progress)
        except OSError as exc:  # e.g. an I/O error half way through
            _stop(sink, "unreadable", f"reading failed at byte {report.bytes_read}: {exc}")


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
    if stat.S_ISDIR(info.st_mode):
        _stop(sink, "unreadable", f"path={str(path)!r} is a directory; expected an export file")
        return None
    if not stat.S_ISREG(info.st_mode):
        _stop(sink, "unreadable", f"path={str(path)!r} is not a regular file")
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
) -> None:
    report = sink.report
    head = stream.read(_HEAD)
    if b"\x00" in head:
        hint = " (UTF-16?)" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        _stop(
            sink,
            "wrong-format",
            f"file contains NUL bytes: binary data{hint}, not {spec.format} text in {encoding}",
        )
        return
    skip = check_bom(head, encoding, sink)
    stream.seek(skip)
    ticker = _Ticker(progress, size)
    keys = _KeyIndex(spec.key, sink)
    if spec.format == "xml":
        _read_xml(spec, stream, skip, encoding, sink, ticker, keys)
        return
    validator = _json_validator(spec, sink)
    if validator is None:
        return
    endings = Endings()
    counter: LineReader | ChunkDecoder
    records: Iterator[Record]
    if spec.format == "json":
        counter = ChunkDecoder(stream, encoding, sink, skip)
        endings = counter.endings
        records = json_records(counter, sink)
    else:
        counter = LineReader(stream, encoding, sink, skip)
        if spec.format == "jsonl":
            records = jsonl_records(counter, sink, endings)
        else:
            layout = _csv_layout(spec, sink)
            if layout is None:
                return
            records = csv_records(counter, sink, endings, layout)
    for record in records:
        report.records += 1
        if record.ok:
            if validator is not None and not _check_json_record(validator, record, sink):
                validator = None
            keys.add_json(record)
        ticker.tick(counter.offset)
    if report.counts[(RECORDS, "wrong-format")] or report.counts[(RECORDS, "empty-file")]:
        report.complete = False
    endings.report(sink)
    report.bytes_read = counter.offset
    ticker.finish(counter.offset)


# ---------------------------------------------------------------- JSON-shaped records


def _json_validator(spec: ExportSpec, sink: Sink) -> Draft202012Validator | None:
    try:
        validator = schema_validator(spec.schema_path)
        validator.check_schema(_schema_contents(spec.schema_path)[0])
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
        keyword = str(error.validator)
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
        )
    return True


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


# ---------------------------------------------------------------- unique keys


class _KeyIndex:
    """Key tuples seen so far, each with where it was first seen (long keys kept as hashes)."""

    def __init__(self, fields: tuple[str, ...], sink: Sink) -> None:
        self.fields = fields
        self.sink = sink
        self.seen: dict[str | bytes, int | str] = {}

    def _add(self, values: list[Any], where: int | str, **location: Any) -> None:
        text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
        token: str | bytes = text
        if len(text) > 64:
            token = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        first = self.seen.get(token)
        if first is None:
            self.seen[token] = where
            return
        shown = ", ".join(
            f"{name}={clip(repr(value), 40)}"
            for name, value in zip(self.fields, values, strict=True)
        )
        here = _where_text(where)
        self.sink.add(
            UNIQUE_KEYS,
            "duplicate-key",
            f"duplicate key {shown} at {here}, first at {_where_text(first)}; "
            "expected each key once per file",
            value=clip(shown),
            **location,
        )

    def add_json(self, record: Record) -> None:
        if not self.fields or not isinstance(record.value, dict):
            return
        value = record.value
        if any(name not in value for name in self.fields):
            return  # the missing field is a schema error already
        where: int | str = f"row {record.row}" if record.row is not None else record.line or 0
        self._add(
            [value[name] for name in self.fields],
            where,
            line=record.line,
            row=record.row,
            pointer="/" + self.fields[0] if len(self.fields) == 1 else "",
        )

    def add_xml(self, record: XmlRecord) -> None:
        if not self.fields:
            return
        values: list[Any] = []
        for name in self.fields:
            child = _first_child(record.element, name)
            if child is None:
                return
            values.append(child.text or "")
        self._add(values, record.xpath, line=record.line, xpath=record.xpath)


def _where_text(where: int | str) -> str:
    return f"line {where}" if isinstance(where, int) else where


# ---------------------------------------------------------------- XML


def _first_child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if local_name(child.tag) == name:
            return child
    return None


_SEGMENT = re.compile(r"(?:[^:/\[\]]+:)?([^:/\[\]]+)(?:\[(\d+)\])?")


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
        match = _SEGMENT.fullmatch(segment)
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


def _load_xsd(spec: ExportSpec, sink: Sink) -> etree.XMLSchema | None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        document = etree.parse(str(spec.schema_path), parser)
        return etree.XMLSchema(document)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        _stop(sink, "schema", f"XSD {spec.schema_path.name} is unusable: {_reason(exc)}")
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


def _read_xml(
    spec: ExportSpec,
    stream: BinaryIO,
    skip: int,
    encoding: str,
    sink: Sink,
    ticker: _Ticker,
    keys: _KeyIndex,
) -> None:
    report = sink.report
    if not spec.record_element:
        _stop(sink, "schema", "xml export has no record_element; expected the record's name")
        return
    schema = _load_xsd(spec, sink)
    formats = _field_formats(spec, sink)
    if schema is None or formats is None:
        return
    decoder = ChunkDecoder(stream, encoding, sink, skip)
    tap = XmlTap(decoder)
    if xml_prolog_problems(tap.head, encoding, sink):
        use_xsd = True
        for record in xml_records(tap, spec.record_element, sink):
            report.records += 1
            if use_xsd:
                use_xsd = _check_xsd(schema, record, spec.record_element, sink)
            _check_field_formats(formats, record, sink)
            keys.add_xml(record)
            ticker.tick(decoder.offset)
    else:
        report.complete = False
    decoder.endings.report(sink)
    report.bytes_read = decoder.offset
    ticker.finish(decoder.offset)


def _check_xsd(schema: etree.XMLSchema, record: XmlRecord, name: str, sink: Sink) -> bool:
    """Validate one record element; False when the XSD cannot validate records at all."""
    try:
        valid = schema.validate(record.element)
    except etree.XMLSchemaValidateError as exc:
        sink.add(RECORDS, "xsd", f"record could not be validated: {exc}", xpath=record.xpath)
        return True
    if valid:
        return True
    log = cast(Iterable[Any], schema.error_log)  # the stubs omit __iter__
    for entry in islice(log, ERRORS_PER_RECORD):
        if entry.type_name == "SCHEMAV_CVC_ELT_1":
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
        )
    return True


def _check_field_formats(
    formats: list[tuple[str, tuple[str, ...], Any]], record: XmlRecord, sink: Sink
) -> None:
    for field_path, steps, fmt in formats:
        for element, xpath in _find_fields(record.element, steps, record.xpath):
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
                    xpath=xpath,
                    value=repr(text),
                )
