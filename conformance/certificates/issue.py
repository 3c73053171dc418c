"""Issuing: a passing run gets a signed certificate, a failing run a signed failure record.

Only what a trusted runner observed is certified:

1. the run folder's ``run-attestation.json`` is signed by a runner the policy trusts, and
   every file it lists (results.json, junit.xml, report.html) has the digest it records,
   byte for byte (:func:`conformance.certificates.attest.verify_run_attestation`);
2. results.json says what the attestation's predicate says (standard digest, candidate,
   base URL, run id, seed, ``requests_sha256``, tool, start and end);
3. a reviewed copy (``results.reviewed.json``) is the attested results.json with its review
   applied again, nothing else changed;
4. the verdict, each clause's status and the summary are recomputed from the results with
   the roll-up rule (:func:`conformance.engine.verdict.evaluate`) and must equal what the
   file records;
5. the standard is loaded from the standards repository and must still have the digest the
   run tested, be published or deprecated, and not be past its sunset.

Anything else is refused with one line naming the file and the mismatch.
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
from conformance.certificates.attest import (
    AttestedRun,
    RunnerPolicy,
    check_claims,
    verify_run_attestation,
)
from conformance.certificates.keys import key_id
from conformance.certificates.tlog import TransparencyLog, transparency_block
from conformance.engine.verdict import (
    Review,
    Verdict,
    decide_from_results,
    incomplete_reason,
    missing_results,
)
from conformance.errors import ConformanceError, Location
from conformance.review import RESULTS_NAME, REVIEWED_NAME, apply_review, file_sha256, load_run
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
    # the roll-up is the standard's: its clauses, levels and verification, not the file's
    declared = [(c.id, c.level.value, c.verification.value) for c in standard.clauses]
    recorded = [(c["id"], c["level"], c["verification"]) for c in data["clauses"]]
    if declared != recorded:
        index = next(
            (
                i
                for i, pair in enumerate(zip(declared, recorded, strict=False))
                if pair[0] != pair[1]
            ),
            min(len(declared), len(recorded)),
        )
        raise CertificateError(
            f"clauses recorded as {recorded[index : index + 1] or 'absent'}, but {standard.ref} "
            f"declares {declared[index : index + 1] or 'none'} there; expected the standard's "
            "own clauses",
            Location(path, None, f"/clauses/{index}"),
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


def _first_difference(expected: Any, actual: Any, pointer: str = "") -> tuple[str, Any, Any]:
    """The JSON pointer of the first place two JSON values differ, and both values there."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if expected.get(key, _MISSING) != actual.get(key, _MISSING):
                return _first_difference(
                    expected.get(key, _MISSING), actual.get(key, _MISSING), f"{pointer}/{key}"
                )
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{pointer}/{index}")
    return pointer or "/", expected, actual


_MISSING: Any = "(absent)"


def _check_reviewed(path: Path, data: dict[str, Any], attested: AttestedRun, run_dir: Path) -> None:
    """results.reviewed.json is the attested results.json with its own review applied again."""
    original_path, original = load_run(run_dir / RESULTS_NAME)
    source = (data.get("review") or {}).get("source") or {}
    if source.get("sha256") != attested.subjects[RESULTS_NAME]:
        raise CertificateError(
            f"review.source.sha256={source.get('sha256')!r}, but the attested results.json "
            f"has {attested.subjects[RESULTS_NAME]}; expected a review of this run's results",
            Location(path, None, "/review/source/sha256"),
        )
    expected, _ = apply_review(original, Review.from_dict(data["review"]))
    expected["review"] = data["review"]
    if expected != data:
        pointer, want, got = _first_difference(expected, data)
        raise CertificateError(
            f"{got!r} here, but {original_path.name} with this review gives {want!r}: the "
            "reviewed results were edited",
            Location(path, None, pointer),
        )


def _check_roll_up(path: Path, data: dict[str, Any], recomputed: Verdict) -> None:
    """The recorded verdict, clause statuses and summary are what the results roll up to."""
    if recomputed.verdict != data["verdict"]:
        raise CertificateError(
            f"verdict={data['verdict']!r} recorded, but its results roll up to "
            f"{recomputed.verdict!r}; expected results as the suite wrote them",
            Location(path, None, "/verdict"),
        )
    for index, clause in enumerate(data["clauses"]):
        status = recomputed.clause_status.get(clause["id"])
        if status != clause["status"]:
            raise CertificateError(
                f"clause {clause['id']} status={clause['status']!r} recorded, but its results "
                f"roll up to {status!r}",
                Location(path, None, f"/clauses/{index}/status"),
            )
    counts: dict[str, int] = {}
    for result in data["results"]:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    for status in ("pass", "fail", "skip", "error"):
        if int(data["summary"].get(status, 0)) != counts.get(status, 0):
            raise CertificateError(
                f"summary.{status}={data['summary'].get(status)} recorded, but the results "
                f"hold {counts.get(status, 0)}",
                Location(path, None, f"/summary/{status}"),
            )


def check_run(run: Path, policy: RunnerPolicy) -> tuple[Path, dict[str, Any], AttestedRun, Verdict]:
    """Every check of the module docstring except the standard's; what certify signs from."""
    path, data = load_run(run, prefer_reviewed=True)
    run_dir = path.parent
    if path.name not in (RESULTS_NAME, REVIEWED_NAME):
        raise CertificateError(
            f"a results file named {path.name}; expected the run folder's {RESULTS_NAME} or "
            f"{REVIEWED_NAME} (its attestation names them)",
            Location(path),
        )
    missing = missing_results(data)  # seam (issue 15): an incomplete run is never signed
    if missing:
        raise CertificateError(incomplete_reason(missing), Location(path, None, "/plan"))
    attested = verify_run_attestation(run_dir, policy)
    if path.name == REVIEWED_NAME:
        _check_reviewed(path, data, attested, run_dir)
    check_claims(attested, data, path)
    recomputed = decide_from_results(data)
    _check_roll_up(path, data, recomputed)
    return path, data, attested, recomputed


def refuse_controls_in_identity(path: Path, data: dict[str, Any], issuer: str, runner: str) -> None:
    """A signed identity is plain text: a control or bidirectional character would make the
    certificate show one name and sign another (issue 15 item 7).  Exit 2, naming the field."""
    from conformance.controls import control_in

    if (found := control_in(issuer)) is not None:
        raise CertificateError(
            f"--issuer holds the control character {found}; a signed identity must be plain text"
        )
    if (found := control_in(runner)) is not None:
        raise CertificateError(
            f"the runner's name holds the control character {found}; a signed identity must "
            "be plain text"
        )
    candidate = data.get("candidate") or {}
    for name in ("vendor", "system", "version", "base_url"):
        value = candidate.get(name)
        if isinstance(value, str) and (found := control_in(value)) is not None:
            raise CertificateError(
                f"candidate.{name} holds the control character {found}; a signed identity "
                "must be plain text",
                Location(path, None, f"/candidate/{name}"),
            )


def certify_run(
    run: Path,
    private_key: Ed25519PrivateKey,
    *,
    issuer: str,
    policy: RunnerPolicy,
    standards_dirs: list[Path] | None = None,
    out_dir: Path | None = None,
    days: int = DEFAULT_VALID_DAYS,
    now: datetime | None = None,
    log: TransparencyLog | None = None,
    log_key: Ed25519PrivateKey | None = None,
    lang: str = "zh-CN",
) -> Issued:
    """Sign RUN: certificate.json/.html when it passes, failure-record.json/.html otherwise.
    The HTML view opens in ``lang`` (zh-CN or en); the signed JSON has no language.

    With LOG, the signed document is appended to the transparency log (tree heads signed by
    LOG_KEY, by default the issuer's key) and carries its inclusion proof and tree head."""
    from conformance.certificates.render import render_certificate
    from conformance.standards.loader import StandardsRepository

    if days < 1:
        raise CertificateError(f"valid days={days}; expected at least 1")
    now = now or datetime.now(UTC)
    path, data, attested, _ = check_run(run, policy)
    refuse_controls_in_identity(path, data, issuer, attested.runner.name)
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
    payload["run"]["attestation"] = {
        "file": attested.path.name,
        "sha256": file_sha256(attested.path),
        "runner": {
            "name": attested.runner.name,
            "role": attested.runner.role,
            "key_id": attested.runner.key_id,
        },
    }
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
    if log is not None:
        entry, head, proof = log.append(payload["type"], document, log_key or private_key)
        document["transparency"] = transparency_block(entry, head, proof)
    folder.mkdir(parents=True, exist_ok=True)
    json_path.write_bytes(canonical_json(document))
    html_path.write_text(render_certificate(document, lang), encoding="utf-8")
    return Issued(document, json_path, html_path)
