"""Issuing: a passing run gets a signed certificate, a failing run a signed failure record.

The run's results (``results.reviewed.json`` when the folder has one, else ``results.json``)
are validated against their schema and their verdict recomputed with the roll-up rule; the
standard is loaded from the standards repository and must still have the digest the run
tested, be published or deprecated, and not be past its sunset.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft202012Validator

from conformance.certificates._canonical import canonical_json
from conformance.certificates.keys import key_id
from conformance.engine.verdict import decide_from_results
from conformance.errors import ConformanceError, Location
from conformance.review import file_sha256, load_run
from conformance.standards.model import Standard

__all__ = [
    "CERTIFICATE_NAME",
    "FAILURE_RECORD_NAME",
    "CertificateError",
    "Issued",
    "build_payload",
    "certify_run",
    "sign_payload",
    "valid_until",
]

CERTIFICATE_NAME = "certificate"
FAILURE_RECORD_NAME = "failure-record"
DEFAULT_VALID_DAYS = 365
CERTIFIABLE_STATUSES = ("published", "deprecated")


class CertificateError(ConformanceError, ValueError):
    """A run cannot be certified as given (its results or its standard do not allow it)."""


@cache
def certificate_validator() -> Draft202012Validator:
    text = (
        resources.files("conformance")
        .joinpath("schemas/certificate.schema.json")
        .read_text(encoding="utf-8")
    )
    return Draft202012Validator(json.loads(text))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def valid_until(issued_at: datetime, sunset: str | None, days: int) -> datetime:
    """One year (or DAYS) after issue, never past the start of the standard's sunset day."""
    until = issued_at + timedelta(days=days)
    if sunset:
        end = datetime.combine(date.fromisoformat(sunset), time(0, 0), tzinfo=UTC)
        until = min(until, end)
    return until


def _base_url(url: str | None) -> str | None:
    """scheme://host[:port]/path: no user info, query or fragment (they may hold secrets)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _clause_results(data: dict[str, Any]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {c["id"]: {} for c in data["clauses"]}
    for result in data["results"]:
        status = (
            "waived" if result.get("waiver") and result["status"] == "fail" else result["status"]
        )
        per = counts.setdefault(result["clause"], {})
        per[status] = per.get(status, 0) + 1
    return counts


def build_payload(
    data: dict[str, Any],
    *,
    results_path: Path,
    issuer: str,
    signing_key_id: str,
    standard: Standard,
    issued_at: datetime,
    days: int = DEFAULT_VALID_DAYS,
) -> dict[str, Any]:
    """The signed content of a certificate (passing run) or failure record (failing run)."""
    verdict = decide_from_results(data)
    passing = verdict.verdict == "pass" and data.get("exit_code") != 3
    kind = "certificate" if passing else "failure-record"
    counts = _clause_results(data)
    clauses = []
    for clause in data["clauses"]:
        entry: dict[str, Any] = {
            "id": clause["id"],
            "level": clause["level"],
            "verification": clause["verification"],
            "status": verdict.clause_status[clause["id"]],
            "results": counts.get(clause["id"], {}),
        }
        if clause.get("waivers"):
            entry["waivers"] = list(clause["waivers"])
        if clause["id"] in verdict.attested:
            entry["attestation"] = verdict.attested[clause["id"]].as_dict()
        clauses.append(entry)
    review = data.get("review") or {}
    waivers = [
        {k: v for k, v in w.items() if k != "matched"} | {"matched": int(w.get("matched", 0))}
        for w in review.get("waivers", [])
        if w.get("state") == "active"
    ]
    candidate = data["candidate"]
    exports = [
        {
            "name": name,
            "file": Path(str(info.get("path", ""))).name,
            "format": str(info.get("format", "")),
            "records": int(info.get("records") or 0),
            "sha256": info.get("sha256"),
        }
        for name, info in sorted((data.get("exports") or {}).items())
    ]
    payload: dict[str, Any] = {
        "format": 1,
        "type": kind,
        "id": ("cert-" if passing else "fail-") + secrets.token_hex(16),
        "issued_at": iso(issued_at),
        "issuer": {"name": issuer, "key_id": signing_key_id},
        "candidate": {
            "vendor": candidate["vendor"],
            "system": candidate["system"],
            "version": candidate["version"],
            "base_url": _base_url(candidate.get("base_url")),
            "implements": sorted(candidate.get("implements") or []),
            "exports": exports,
        },
        "standard": {
            "id": standard.id,
            "version": standard.version,
            "ref": standard.ref,
            "digest": standard.digest,
            "title": standard.title.as_dict(),
        },
        "suite": {"name": data["suite"]["name"], "version": data["suite"]["version"]},
        "run": {
            "run_id": data["run_id"],
            "seed": int(data["seed"]),
            "started_at": data["started_at"],
            "finished_at": data["finished_at"],
            "requests_sha256": data["requests_sha256"],
            "results_file": results_path.name,
            "results_sha256": file_sha256(results_path),
            "reviewed": "review" in data,
        },
        "verdict": "pass" if passing else "fail",
        "reasons": verdict.reasons
        + ([f"candidate unreachable: {data['unreachable']}"] if data.get("unreachable") else []),
        "warnings": verdict.warnings,
        "clauses": clauses,
        "waivers": waivers,
        "attestations": [a.as_dict() for a in verdict.attested.values()],
    }
    if passing:
        payload["valid_until"] = iso(valid_until(issued_at, standard.dates.get("sunset"), days))
    return payload


def sign_payload(payload: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    signature = private_key.sign(canonical_json(payload))
    return {
        "payload": payload,
        "signature": {
            "algorithm": "Ed25519",
            "key_id": key_id(private_key.public_key()),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


@dataclass
class Issued:
    document: dict[str, Any]
    json_path: Path
    html_path: Path

    @property
    def is_certificate(self) -> bool:
        return bool(self.document["payload"]["type"] == "certificate")


def _check_standard(data: dict[str, Any], standard: Standard, path: Path, now: datetime) -> None:
    if standard.digest != data["standard"]["digest"]:
        raise CertificateError(
            f"standard {standard.ref} has digest {standard.digest} now, but the run tested "
            f"{data['standard']['digest']}; expected a run against the published standard "
            "(run it again)",
            Location(path, None, "/standard/digest"),
        )
    if standard.status.value not in CERTIFIABLE_STATUSES:
        raise CertificateError(
            f"standard {standard.ref} has status={standard.status.value}; expected one of "
            f"{', '.join(CERTIFIABLE_STATUSES)} to certify against it",
            Location(standard.manifest_path, None, "/status"),
        )
    sunset = standard.dates.get("sunset")
    if sunset and date.fromisoformat(sunset) <= now.astimezone(UTC).date():
        raise CertificateError(
            f"standard {standard.ref} reached its sunset on {sunset}; nothing can be "
            "certified against it",
            Location(standard.manifest_path, None, "/dates/sunset"),
        )


def certify_run(
    run: Path,
    private_key: Ed25519PrivateKey,
    *,
    issuer: str,
    standards_dirs: list[Path] | None = None,
    out_dir: Path | None = None,
    days: int = DEFAULT_VALID_DAYS,
    now: datetime | None = None,
) -> Issued:
    """Sign RUN: certificate.json/.html when it passes, failure-record.json/.html otherwise."""
    from conformance.certificates.render import render_certificate
    from conformance.standards.loader import StandardsRepository

    if days < 1:
        raise CertificateError(f"valid days={days}; expected at least 1")
    now = now or datetime.now(UTC)
    path, data = load_run(run, prefer_reviewed=True)
    recomputed = decide_from_results(data)
    if recomputed.verdict != data["verdict"]:
        raise CertificateError(
            f"verdict={data['verdict']!r} recorded, but its results roll up to "
            f"{recomputed.verdict!r}; expected results as the suite wrote them",
            Location(path, None, "/verdict"),
        )
    standard = StandardsRepository(standards_dirs).load(data["standard"]["ref"])
    _check_standard(data, standard, path, now)
    payload = build_payload(
        data,
        results_path=path,
        issuer=issuer,
        signing_key_id=key_id(private_key.public_key()),
        standard=standard,
        issued_at=now,
        days=days,
    )
    document = sign_payload(payload, private_key)
    folder = out_dir or path.parent
    stem = CERTIFICATE_NAME if payload["type"] == "certificate" else FAILURE_RECORD_NAME
    json_path = folder / f"{stem}.json"
    html_path = folder / f"{stem}.html"
    for target in (json_path, html_path):
        if target.exists():
            raise CertificateError(
                "already exists; refusing to overwrite an issued document (give --out DIR)",
                Location(target),
            )
    folder.mkdir(parents=True, exist_ok=True)
    json_path.write_bytes(canonical_json(document))
    html_path.write_text(render_certificate(document), encoding="utf-8")
    return Issued(document, json_path, html_path)
