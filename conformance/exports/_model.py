"""Result types of export validation and the capped issue collector."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from conformance.i18n import Message

RECORDS = "export_records"
ENCODING = "export_encoding"
UNIQUE_KEYS = "export_unique_keys"
CHECKS = (RECORDS, ENCODING, UNIQUE_KEYS)

VALUE_LIMIT = 80
MESSAGE_LIMIT = 400
# Distinct causes counted apart per file; past this, a kind's further causes share one count.
MAX_CAUSES = 1000
OTHER_FIELDS = "(other fields)"
_INDEX = re.compile(r"\[\d+\]")  # an XPath step's position
_POINTER_INDEX = re.compile(r"/\d+(?=/|$)")  # a JSON pointer's array index

Cause = tuple[str, str, str, str]  # check, kind, field, constraint


def field_of(pointer: str, xpath: str | None) -> str:
    """The field an issue is about, whichever record it is in: the JSON pointer (array
    indexes as ``*``), the CSV column's pointer or the XPath without positions."""
    if pointer:
        return _POINTER_INDEX.sub("/*", pointer)
    return _INDEX.sub("", xpath) if xpath else ""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def clip(text: str, limit: int = VALUE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class ExportIssue:
    """One finding in one export file, located as precisely as the format allows."""

    check: str
    kind: str
    severity: Severity
    message: str
    line: int | None = None
    row: int | None = None
    xpath: str | None = None
    byte_offset: int | None = None
    pointer: str = ""
    schema_path: str = ""
    value: str | None = None
    file: str = ""
    # Data the catalog message of this kind names besides the fields above (optional).
    params: dict[str, Any] = field(default_factory=dict)
    # What broke, beyond the kind: the field (no record index) and the constraint (the
    # schema keyword's location, the XSD error's type); distinct causes count apart.
    cause: tuple[str, str] = ("", "")

    def cause_key(self) -> Cause:
        return (self.check, self.kind, *self.cause)

    def msg(self) -> Message:
        """The catalog message of this issue, keyed on its kind: ``export.<kind>``
        (``export.format`` for ``format:NAME``, ``export.record_schema`` for a record schema error
        given as a ``schema`` message).  ``detail`` is the English message, verbatim."""
        kind, _, fmt = self.kind.partition(":")
        message_id = "export.record_schema" if "schema" in self.params else f"export.{kind}"
        return Message(
            message_id,
            {
                "detail": self.message,
                "location": self.location(),
                "value": self.value or "",
                "pointer": self.pointer or "/",
                "format": repr(fmt),
                **self.params,
            },
        )

    def location(self) -> str:
        """Human text: ``file:line``, ``file row 12``, ``file:line /xpath`` (``file /xpath``
        when the line is not known) or ``file byte N``."""
        name = self.file or "<export>"
        if self.xpath is not None:
            if self.line is not None:
                return f"{name}:{self.line} {self.xpath}"
            return f"{name} {self.xpath}"
        if self.row is not None:
            return f"{name} row {self.row}"
        if self.line is not None:
            return f"{name}:{self.line}"
        if self.byte_offset is not None:
            return f"{name} byte {self.byte_offset}"
        return name


@dataclass
class ExportReport:
    """What validating one export file found. ``counts`` are exact; ``issues`` are capped."""

    export: str
    path: Path
    format: str
    records: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Exact counts per cause (check, kind, field, constraint): each is one failure.
    cause_counts: Counter[Cause] = field(default_factory=Counter)
    issues: list[ExportIssue] = field(default_factory=list)
    capped: set[tuple[str, str]] = field(default_factory=set)
    # Severity of each (check, kind) seen; ERROR wins when a kind was reported both ways.
    severities: dict[tuple[str, str], Severity] = field(default_factory=dict)
    encoding: str = "utf-8"
    bytes_read: int = 0
    complete: bool = True  # False when reading stopped early (bad file, fatal parse error)
    compression: str = ""  # "gzip" when the file was read through decompression
    # How records were validated: the fast paths taken, or "exact" and why (results.json)
    validation_path: str = ""
    # Records each registered path took (exports/_paths.py): accepted, or read whole
    paths: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    # The export rules of the standard's declaration the reader applied beyond those of
    # the format (xml-root and xml-count, when the root is declared or derived).
    rules: set[str] = field(default_factory=set)

    def failed(self, check: str) -> bool:
        """Whether any ERROR was found for ``check`` (warnings never fail a check)."""
        return any(
            key[0] == check and severity is Severity.ERROR
            for key, severity in self.severities.items()
        )

    def issues_for(self, check: str) -> list[ExportIssue]:
        return [issue for issue in self.issues if issue.check == check]

    @property
    def passed(self) -> bool:
        return not any(self.failed(check) for check in CHECKS)


class Sink:
    """Collects issues into a report: counts every one, per kind and per cause; lists at
    most ``cap`` per kind, and the first of every other cause of that kind besides, so
    each distinct cause keeps its own example."""

    def __init__(self, report: ExportReport, cap: int) -> None:
        self.report = report
        self.cap = max(cap, 0)
        self.file = str(report.path)
        self._pointers: dict[str, str] = {}  # pointer -> field, the same for every record

    def _field(self, pointer: str, xpath: str | None) -> str:
        if pointer:
            found = self._pointers.get(pointer)
            if found is None:
                if len(self._pointers) >= 4096:
                    self._pointers.clear()
                found = self._pointers[pointer] = field_of(pointer, None)
            return found
        if not xpath:
            return ""
        return field_of("", xpath) if "[" in xpath else xpath

    def add(
        self,
        check: str,
        kind: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        line: int | None = None,
        row: int | None = None,
        xpath: str | None = None,
        byte_offset: int | None = None,
        pointer: str = "",
        schema_path: str = "",
        value: str | None = None,
        params: dict[str, Any] | None = None,
        constraint: str = "",
    ) -> None:
        report = self.report
        key = (check, kind)
        report.counts[key] += 1
        if report.severities.get(key) is not Severity.ERROR:
            report.severities[key] = severity
        cause = (self._field(pointer, xpath), constraint or schema_path)
        ckey = (check, kind, *cause)
        causes = report.cause_counts
        seen = causes.get(ckey)
        if seen is None and len(causes) >= MAX_CAUSES:
            cause = (OTHER_FIELDS, "")
            ckey = (check, kind, *cause)
            seen = causes.get(ckey)
        causes[ckey] = (seen or 0) + 1
        if report.counts[key] > self.cap:
            report.capped.add(key)
            if self.cap == 0 or seen:
                return  # past the cap, only a new cause's first example is listed
        report.issues.append(
            ExportIssue(
                check=check,
                kind=kind,
                severity=severity,
                message=clip(message, MESSAGE_LIMIT),
                line=line,
                row=row,
                xpath=xpath,
                byte_offset=byte_offset,
                pointer=pointer,
                schema_path=schema_path,
                value=None if value is None else clip(value),
                file=self.file,
                params=params or {},
                cause=cause,
            )
        )
