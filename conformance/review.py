"""A reviewer's waivers and attestations, applied to a finished run.

``waivers.yaml`` (schema: schemas/waivers.schema.json) lists approved exceptions: each
matches failed results by clause and/or check (optionally one target) and applies up to and
including its ``expires`` day.  ``attestations.yaml`` (schema:
schemas/attestations.schema.json) lists manual clauses a reviewer verified, with the
evidence seen.  :func:`review_run` applies both to a run's ``results.json`` and writes
``results.reviewed.json`` and ``report.reviewed.html`` beside it; the original results are
never changed.  The roll-up itself is :func:`conformance.engine.verdict.evaluate`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from conformance.engine.verdict import (
    Attestation,
    Review,
    Verdict,
    Waiver,
    decide_from_results,
)
from conformance.errors import ConformanceError, Location
from conformance.standards._documents import Document, join_pointer, load_document

__all__ = [
    "RESULTS_NAME",
    "REVIEWED_NAME",
    "ReviewError",
    "ReviewOutcome",
    "apply_review",
    "load_attestations",
    "load_run",
    "load_waivers",
    "review_run",
]

RESULTS_NAME = "results.json"
REVIEWED_NAME = "results.reviewed.json"
REVIEWED_REPORT_NAME = "report.reviewed.html"
MAX_RESULTS_BYTES = 256 * 1024 * 1024


class ReviewError(ConformanceError, ValueError):
    """A results file, waivers file or attestations file is malformed or does not fit the run."""


@cache
def _validator(name: str) -> Draft202012Validator:
    text = resources.files("conformance").joinpath(f"schemas/{name}").read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"duplicate key {key!r}")
        data[key] = value
    return data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _schema_error(path: Path, data: Any, schema: str, doc: Document | None = None) -> None:
    errors = sorted(_validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        pointer = join_pointer("", *error.absolute_path)
        where = doc.location(pointer) if doc is not None else Location(path, None, pointer)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ReviewError(f"{error.message} (rule {error.validator}, schema {schema}){more}", where)


def results_path(run: Path, *, prefer_reviewed: bool = False) -> Path:
    """The results file of RUN: RUN itself when it is a file, else the file in the folder."""
    if run.is_dir():
        if prefer_reviewed and (run / REVIEWED_NAME).is_file():
            return run / REVIEWED_NAME
        path = run / RESULTS_NAME
        if not path.is_file():
            raise ReviewError(f"no {RESULTS_NAME} in this run folder", Location(run))
        return path
    if not run.exists():
        raise ReviewError("no such run folder or results file", Location(run))
    return run


def load_run(run: Path, *, prefer_reviewed: bool = False) -> tuple[Path, dict[str, Any]]:
    """Read and validate a run's results (RUN = a run folder or a results file)."""
    path = results_path(run, prefer_reviewed=prefer_reviewed)
    try:
        size = path.stat().st_size
        if size > MAX_RESULTS_BYTES:
            raise ReviewError(
                f"file too large: size={size} bytes, expected at most {MAX_RESULTS_BYTES}",
                Location(path),
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReviewError(
            f"not UTF-8: invalid byte at offset {exc.start}", Location(path)
        ) from None
    except OSError as exc:
        raise ReviewError(f"unreadable: {exc.strerror}", Location(path)) from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ReviewError(f"malformed JSON: {exc.msg}", Location(path, exc.lineno)) from None
    except (ValueError, RecursionError) as exc:
        raise ReviewError(f"malformed JSON: {exc}", Location(path)) from None
    if not isinstance(data, dict):
        raise ReviewError("expected a JSON object (a results.json)", Location(path, 1))
    _schema_error(path, data, "results.schema.json")
    return path, data


def _load(path: Path, schema: str, key: str) -> Document:
    try:
        doc = load_document(path)
    except ConformanceError as exc:
        raise ReviewError(exc.message, exc.location) from None
    if not isinstance(doc.data, dict):
        raise ReviewError(f"expected a mapping with {key!r} at the top", doc.location(""))
    _schema_error(path, doc.data, schema, doc)
    return doc


def _date(doc: Document, pointer: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReviewError(
            f"{value!r} is not a calendar date; expected YYYY-MM-DD", doc.location(pointer)
        ) from None


@dataclass(frozen=True)
class ReviewFile:
    """A loaded waivers or attestations file, kept for the reviewed results' provenance."""

    kind: str  # waivers | attestations
    path: Path
    sha256: str
    standard: str | None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "path": str(self.path), "sha256": self.sha256}
        if self.standard:
            data["standard"] = self.standard
        return data


def _unique_items(
    doc: Document, name: str, key: str, duplicate: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, item) of the list ``name``; ``duplicate`` (formatted with ``value`` and
    ``first``) is the error for an item whose ``key`` an earlier item has."""
    seen: dict[Any, int] = {}
    for index, raw in enumerate(doc.data[name]):
        pointer = join_pointer("", name, index)
        value = raw[key]
        if value in seen:
            raise ReviewError(
                duplicate.format(value=value, first=seen[value]),
                doc.location(join_pointer(pointer, key)),
            )
        seen[value] = index
        yield pointer, raw


def load_waivers(path: Path) -> tuple[list[Waiver], ReviewFile, Document]:
    doc = _load(path, "waivers.schema.json", "waivers")
    waivers: list[Waiver] = []
    duplicate = "duplicate waiver id={value!r} (first at item {first}); expected each id once"
    for pointer, raw in _unique_items(doc, "waivers", "id", duplicate):
        waivers.append(
            Waiver(
                id=raw["id"],
                reason=raw["reason"],
                approved_by=raw["approved_by"],
                expires=_date(doc, join_pointer(pointer, "expires"), raw["expires"]),
                clause=raw.get("clause"),
                check=raw.get("check"),
                target=raw.get("target"),
            )
        )
    source = ReviewFile("waivers", path, file_sha256(path), doc.data.get("standard"))
    return waivers, source, doc


def load_attestations(path: Path) -> tuple[list[Attestation], ReviewFile, Document]:
    doc = _load(path, "attestations.schema.json", "attestations")
    attestations: list[Attestation] = []
    duplicate = (
        "clause={value!r} is attested twice (first at item {first}); "
        "expected one attestation per clause"
    )
    for pointer, raw in _unique_items(doc, "attestations", "clause", duplicate):
        attestations.append(
            Attestation(
                clause=raw["clause"],
                reviewer=raw["reviewer"],
                evidence=raw["evidence"],
                date=_date(doc, join_pointer(pointer, "date"), raw["date"]),
            )
        )
    source = ReviewFile("attestations", path, file_sha256(path), doc.data.get("standard"))
    return attestations, source, doc


def _check_ids() -> frozenset[str]:
    from conformance.checks import all_checks

    return frozenset(c.id for c in all_checks())


def _check_fit(
    data: dict[str, Any],
    waivers: tuple[list[Waiver], ReviewFile, Document] | None,
    attestations: tuple[list[Attestation], ReviewFile, Document] | None,
    as_of: date,
) -> None:
    """Refuse files made for another standard, unknown clause or check ids, and the like."""
    ref = data["standard"]["ref"]
    clauses = {c["id"]: c for c in data["clauses"]}
    for loaded in (waivers, attestations):
        if loaded is not None and loaded[1].standard and loaded[1].standard != ref:
            raise ReviewError(
                f"standard={loaded[1].standard!r} but the run tested {ref!r}; "
                "expected files made for the run's standard version",
                loaded[2].location("/standard"),
            )
    if waivers is not None:
        known_checks = _check_ids() | {c for clause in data["clauses"] for c in clause["checks"]}
        for index, waiver in enumerate(waivers[0]):
            pointer = join_pointer("", "waivers", index)
            if waiver.clause is not None and waiver.clause not in clauses:
                raise ReviewError(
                    f"clause={waiver.clause!r} is not a clause of {ref}",
                    waivers[2].location(join_pointer(pointer, "clause")),
                )
            if waiver.check is not None and waiver.check not in known_checks:
                raise ReviewError(
                    f"check={waiver.check!r} is not a known check id "
                    "(see `conformance checks list`)",
                    waivers[2].location(join_pointer(pointer, "check")),
                )
    if attestations is not None:
        for index, attestation in enumerate(attestations[0]):
            pointer = join_pointer("", "attestations", index)
            clause = clauses.get(attestation.clause)
            if clause is None:
                raise ReviewError(
                    f"clause={attestation.clause!r} is not a clause of {ref}",
                    attestations[2].location(join_pointer(pointer, "clause")),
                )
            if clause["verification"] != "manual":
                raise ReviewError(
                    f"clause={attestation.clause!r} is verified automatically by its checks; "
                    "expected an attestation only for a manual clause",
                    attestations[2].location(join_pointer(pointer, "clause")),
                )
            if attestation.date > as_of:
                raise ReviewError(
                    f"date={attestation.date.isoformat()} is after the review date "
                    f"{as_of.isoformat()}; expected an attestation already made",
                    attestations[2].location(join_pointer(pointer, "date")),
                )


def apply_review(
    data: dict[str, Any],
    review: Review,
    *,
    sources: list[ReviewFile] | None = None,
    source_path: Path | None = None,
) -> tuple[dict[str, Any], Verdict]:
    """The reviewed copy of a results dictionary (the original is left untouched)."""
    verdict = decide_from_results(data, review)
    reviewed = copy.deepcopy(data)
    matched: dict[str, int] = {}
    for result in reviewed["results"]:
        waiver_id = verdict.waived.get(result["id"])
        if waiver_id is not None:
            result["waiver"] = waiver_id
            matched[waiver_id] = matched.get(waiver_id, 0) + 1
        else:
            result.pop("waiver", None)
    waived_by_clause: dict[str, set[str]] = {}
    for result in reviewed["results"]:
        if "waiver" in result:
            waived_by_clause.setdefault(result["clause"], set()).add(result["waiver"])
    for clause in reviewed["clauses"]:
        clause["status"] = verdict.clause_status[clause["id"]]
        clause.pop("waivers", None)
        clause.pop("attestation", None)
        if clause["id"] in waived_by_clause:
            clause["waivers"] = sorted(waived_by_clause[clause["id"]])
        if clause["id"] in verdict.attested:
            clause["attestation"] = verdict.attested[clause["id"]].as_dict()
    review_data = review.as_dict()
    for waiver in review_data["waivers"]:
        waiver["state"] = verdict.waiver_states.get(waiver["id"], "stale")
        waiver["matched"] = matched.get(waiver["id"], 0)
    review_data["reviewed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    review_data["notes"] = list(verdict.notes)
    review_data["i18n"] = {"notes": [m.as_dict() for m in verdict.messages["notes"]]}
    review_data["files"] = [s.as_dict() for s in sources or []]
    if source_path is not None:
        review_data["source"] = {"path": str(source_path), "sha256": file_sha256(source_path)}
    reviewed["review"] = review_data
    reviewed["verdict"] = verdict.verdict
    reviewed["automated"] = {
        "verdict": verdict.automated or verdict.verdict,
        "pending_attestations": list(verdict.pending),
    }
    reviewed["reasons"] = verdict.reasons
    reviewed["warnings"] = verdict.warnings
    reviewed["i18n"] = verdict.i18n()
    if reviewed.get("exit_code") != 3:
        reviewed["exit_code"] = 0 if verdict.verdict == "pass" else 1
    reviewed["summary"] = {**reviewed["summary"], "waived": len(verdict.waived)}
    return reviewed, verdict


@dataclass
class ReviewOutcome:
    results: Path
    report: Path
    data: dict[str, Any]
    verdict: Verdict


def review_run(
    run: Path,
    *,
    waivers: Path | None = None,
    attestations: Path | None = None,
    as_of: date | None = None,
) -> ReviewOutcome:
    """Apply the files to RUN and write results.reviewed.json and report.reviewed.html."""
    from conformance.reporting.html import write_html

    as_of = as_of or datetime.now(UTC).date()
    path, data = load_run(run)
    if "review" in data:
        raise ReviewError(
            "this results file is already reviewed; expected the run's original results.json",
            Location(path),
        )
    loaded_waivers = load_waivers(waivers) if waivers is not None else None
    loaded_attestations = load_attestations(attestations) if attestations is not None else None
    _check_fit(data, loaded_waivers, loaded_attestations, as_of)
    review = Review(
        as_of=as_of,
        waivers=tuple(loaded_waivers[0]) if loaded_waivers else (),
        attestations=tuple(loaded_attestations[0]) if loaded_attestations else (),
    )
    sources = [x[1] for x in (loaded_waivers, loaded_attestations) if x is not None]
    reviewed, verdict = apply_review(data, review, sources=sources, source_path=path)
    out = path.parent / REVIEWED_NAME
    out.write_text(json.dumps(reviewed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    report = write_html(path.parent, reviewed, name=REVIEWED_REPORT_NAME)
    return ReviewOutcome(out, report, reviewed, verdict)


def iter_waiver_lines(data: dict[str, Any]) -> Iterator[str]:
    """Human-readable lines on what a review did (for the terminal)."""
    review = data.get("review") or {}
    for waiver in review.get("waivers", []):
        scope = " ".join(f"{k}={waiver[k]}" for k in ("clause", "check", "target") if waiver.get(k))
        yield (
            f"waiver {waiver['id']} ({scope}, expires {waiver['expires']}): {waiver['state']}, "
            f"{waiver['matched']} failed result(s) waived"
        )
    for attestation in review.get("attestations", []):
        yield (
            f"attestation {attestation['clause']} by {attestation['reviewer']} "
            f"on {attestation['date']}"
        )
    for note in review.get("notes", []):
        yield f"note: {note}"
