"""Result types of export validation and the capped issue collector."""

from __future__ import annotations

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
        """Human text: ``file:line``, ``file row 12``, ``file /xpath`` or ``file byte N``."""
        name = self.file or "<export>"
        if self.xpath is not None:
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
    """Collects issues into a report: counts every one, lists at most ``cap`` per kind."""

    def __init__(self, report: ExportReport, cap: int) -> None:
        self.report = report
        self.cap = max(cap, 0)
        self.file = str(report.path)

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
    ) -> None:
        report = self.report
        key = (check, kind)
        report.counts[key] += 1
        if report.severities.get(key) is not Severity.ERROR:
            report.severities[key] = severity
        if report.counts[key] > self.cap:
            report.capped.add(key)
            return
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
            )
        )
