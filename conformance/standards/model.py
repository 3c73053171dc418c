"""The standards model: typed, immutable views of a loaded standard version.

Everything below the CLI reads standards through these types, never raw YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


class Verification(StrEnum):
    AUTOMATED = "automated"
    MANUAL = "manual"


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


@dataclass(frozen=True)
class Text:
    """Bilingual text; zh-CN is the authoritative language."""

    zh: str
    en: str

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Text:
        return cls(zh=data["zh-CN"], en=data["en"])

    def as_dict(self) -> dict[str, str]:
        return {"zh-CN": self.zh, "en": self.en}


# What a clause can be bound to (standards/README.md, "Binding a clause"), with the weight
# of each kind: a binding's specificity is the sum of its kinds' weights (a schema location
# adds its depth), and a finding goes to the clauses whose matching binding is the most
# specific.
BINDING_WEIGHTS: Mapping[str, int] = {
    "check": 1,
    "operation": 2,
    "status": 4,
    "parameter": 8,
    "schema": 16,
    "format": 64,
    "export_rule": 64,
}


@dataclass(frozen=True)
class Binding:
    """One binding of a clause: every kind it names must match (a conjunction)."""

    kinds: tuple[tuple[str, str], ...]  # (kind, value), in BINDING_WEIGHTS' order

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Binding:
        return cls(tuple((k, str(data[k])) for k in BINDING_WEIGHTS if k in data))

    def get(self, kind: str) -> str | None:
        return next((v for k, v in self.kinds if k == kind), None)

    def as_dict(self) -> dict[str, str]:
        return dict(self.kinds)


@dataclass(frozen=True)
class Clause:
    id: str
    level: Level
    verification: Verification
    text: Text
    checks: tuple[str, ...] = ()  # empty: every check where the clause is named
    # Empty: the clause takes every finding of its checks where it is named; else only
    # the findings one of these matches (the most specific clause wins, see engine/binding).
    binds: tuple[Binding, ...] = ()

    def verified_by(self, check_id: str) -> bool:
        return not self.checks or check_id in self.checks


ExportFormat = Literal["jsonl", "json", "csv", "xml"]


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str = ","
    # How an empty cell reads: as JSON null, as "", or as a field that is absent.
    empty: Literal["null", "empty-string", "absent"] = "absent"


@dataclass(frozen=True)
class XmlRoot:
    """What the standard says of an XML export's document element (``root`` in the
    manifest): its local name and namespace (None: the XSD's, when it names one
    unambiguously) and the attribute that carries the number of records (None: none)."""

    element: str | None = None
    namespace: str | None = None  # "" is no namespace; None: the XSD's targetNamespace
    count: str | None = None


@dataclass(frozen=True)
class ExportSpec:
    name: str
    title: Text
    format: ExportFormat
    schema_path: Path  # absolute, inside the version folder
    clauses: tuple[str, ...]
    encoding: str = "utf-8"
    key: tuple[str, ...] = ()
    record_element: str | None = None  # xml only
    field_formats: Mapping[str, str] = field(default_factory=dict)  # xml only
    csv: CsvOptions = CsvOptions()
    examples: tuple[Path, ...] = ()
    root: XmlRoot = XmlRoot()  # xml only


UnverifiedPolicy = Literal["inconclusive", "fail"]


@dataclass(frozen=True)
class Standard:
    """One version of one standard, as loaded from ``standards/<id>/<version>/``."""

    id: str
    version: str
    title: Text
    summary: Text
    status: Status
    dates: Mapping[str, str]
    owner: Mapping[str, Any]
    extends: str | None
    clauses: tuple[Clause, ...]
    exports: tuple[ExportSpec, ...]
    folder: Path
    manifest_path: Path
    openapi_path: Path | None
    digest: str
    # What an automated MUST clause that nothing verified does to the verdict.
    unverified_must: UnverifiedPolicy = "fail"

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def clause(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(clause_id)

    @property
    def clause_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.clauses)

    def export(self, name: str) -> ExportSpec:
        for spec in self.exports:
            if spec.name == name:
                return spec
        raise KeyError(name)
