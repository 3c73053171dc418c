"""Small real standards and results dictionaries for the report, review and certificate tests.

``make_standard`` writes a standard version folder (copied from tests/data/minimal, with
the clauses below) into a temporary standards root; ``make_results`` builds a results.json
dictionary for it from (clause, check, target, status) tuples, with the verdict computed by
the suite's own roll-up, so it is exactly what a run would have written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.certificates.attest import (
    ATTESTATION_NAME,
    RunClaims,
    Runner,
    RunnerPolicy,
    attest_run,
)
from conformance.certificates.keys import key_id
from conformance.engine.verdict import decide_from_results
from conformance.standards.loader import load_standard
from conformance.standards.model import Standard

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "data" / "minimal" / "test.minimal" / "1.0.0"
HOSTILE = "<script>window.__pwned = 1; alert('x')</script></pre><img src=x onerror=alert(2)>"

CLAUSES: list[dict[str, Any]] = [
    {
        "id": "T-API-001",
        "level": "MUST",
        "verification": "automated",
        "text": {"zh-CN": "接口返回文档化的响应。", "en": "Responses are documented."},
    },
    {
        "id": "T-API-002",
        "level": "SHOULD",
        "verification": "automated",
        "text": {"zh-CN": "响应应当及时。", "en": "Responses should be timely."},
    },
    {
        "id": "T-API-003",
        "level": "MAY",
        "verification": "automated",
        "text": {"zh-CN": "可以支持分页。", "en": "Paging may be supported."},
    },
    {
        "id": "T-OPS-001",
        "level": "MUST",
        "verification": "manual",
        "text": {"zh-CN": "必须有运维值班制度。", "en": "An operations rota must exist."},
    },
    {
        "id": "T-EXP-001",
        "level": "MUST",
        "verification": "automated",
        "text": {"zh-CN": "导出记录符合模式。", "en": "Export records match the schema."},
    },
]


def json_leaves(value: Any, pointer: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every leaf (string, number, boolean, null) of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_leaves(item, (*pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_leaves(item, (*pointer, index))
    else:
        yield pointer


def make_standard(
    root: Path,
    *,
    status: str = "published",
    sunset: str | None = None,
    version: str = "1.0.0",
    manual_level: str = "MUST",
) -> Standard:
    """A standard test.review@VERSION under ROOT (a standards root folder).

    Its manual clause T-OPS-001 is MUST by default (a run then passes only once attested).
    """
    folder = root / "test.review" / version
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(MINIMAL, folder)
    manifest = yaml.safe_load((folder / "standard.yaml").read_text(encoding="utf-8"))
    manifest["id"] = "test.review"
    manifest["version"] = version
    manifest["status"] = status
    dates = {"published": "2026-01-01", "effective": "2026-01-01"}
    if status in ("deprecated", "retired"):
        dates["deprecated"] = "2026-06-01"
    if sunset:
        dates["sunset"] = sunset
    manifest["dates"] = dates
    manifest["requirements"] = [
        dict(c, level=manual_level) if c["id"] == "T-OPS-001" else dict(c) for c in CLAUSES
    ]
    manifest["exports"][0]["clauses"] = ["T-EXP-001"]
    (folder / "standard.yaml").write_text(
        yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    openapi = (folder / "openapi.yaml").read_text(encoding="utf-8")
    (folder / "openapi.yaml").write_text(
        openapi.replace("MIN-API-001", "T-API-001, T-API-002, T-API-003"), encoding="utf-8"
    )
    return load_standard(folder)


def _failure(check: str, target: str, status: str) -> dict[str, Any]:
    if target.startswith("export "):
        return {
            "title": "pattern",
            "message": f"people.jsonl:3: /id: '{HOSTILE}' does not match",
            "check": check,
            "target": target,
            "dedup_key": hashlib.sha256(f"{check}{target}".encode()).hexdigest()[:16],
            "severity": "MUST",
            "count": 3,
            "location": "people.jsonl:3",
            "pointer": "/id",
            "schema_path": "/properties/id/pattern",
            "evidence": {
                "examples": [
                    {
                        "kind": "pattern",
                        "severity": "error",
                        "location": f"people.jsonl:{n}",
                        "message": f"/id: {HOSTILE!r} does not match '^P[0-9]{{3}}$'",
                        "line": n,
                        "pointer": "/id",
                        "value": HOSTILE,
                    }
                    for n in (3, 5, 9)
                ]
            },
        }
    return {
        "title": "Response violates schema",
        "message": f"at /name: {HOSTILE!r} is not of type 'integer'",
        "check": check,
        "target": target,
        "dedup_key": hashlib.sha256(f"{check}{target}".encode()).hexdigest()[:16],
        "severity": "MUST",
        "count": 2,
        "pointer": "/name",
        "schema_path": "/properties/name/type",
        "evidence": {
            "source": "example",
            "request": {
                "method": "GET",
                "url": "http://127.0.0.1:9/people/P001?q=%3Cscript%3E",
                "headers": {"Accept": "application/json", "Authorization": "[REDACTED]"},
                "body": None,
            },
            "response": {
                "status": 200 if status == "fail" else 500,
                "headers": {"Content-Type": "text/html", "X-Evil": HOSTILE},
                "body": f"<html><body>{HOSTILE}</body></html>",
                "elapsed_ms": 12.5,
            },
            "curl": "curl -sS -X GET 'http://127.0.0.1:9/people/P001' "
            '-H "Authorization: Bearer ${CANDIDATE_TOKEN}"',
        },
    }


def _clauses(standard: Standard) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "level": c.level.value,
            "verification": c.verification.value,
            "text": c.text.as_dict(),
        }
        for c in standard.clauses
    ]


def make_results(
    standard: Standard,
    outcomes: list[tuple[str, str, str, str]],
    *,
    export_sha256: str | None = None,
) -> dict[str, Any]:
    """A results.json dictionary of STANDARD with these (clause, check, target, status)."""
    results = []
    for clause, check, target, status in outcomes:
        failures = [_failure(check, target, status)] if status == "fail" else []
        evidence: dict[str, Any] = {}
        if target.startswith("export "):
            evidence = {
                "file": "people.jsonl",
                "records": 10,
                "counts": {f"{check}:pattern": 3} if status == "fail" else {},
                "capped": [],
                "warnings": [],
            }
        results.append(
            {
                "id": f"{clause}::{check}::{target}",
                "clause": clause,
                "check": check,
                "target": target,
                "status": status,
                "message": {
                    "pass": "8 examined, no failure",
                    "fail": f"1 distinct failure(s): {HOSTILE}",
                    "skip": "optional (MAY) clause not claimed by the candidate",
                    "error": "timeout: no response within 10s (GET http://127.0.0.1:9/people/P001)",
                }[status],
                "examined": 0 if status == "skip" else 8,
                "duration_s": 0.01,
                "failures": failures,
                "evidence": evidence,
            }
        )
    summary = {
        k: sum(1 for r in results if r["status"] == k) for k in ("pass", "fail", "skip", "error")
    }
    data: dict[str, Any] = {
        "format": 1,
        "suite": {"name": "gov-conformance", "version": "0.1.0"},
        "run_id": "20261129T000000Z-abcdef",
        "seed": 42,
        "started_at": "2026-11-29T00:00:00+00:00",
        "finished_at": "2026-11-29T00:00:05+00:00",
        "standard": {
            "id": standard.id,
            "version": standard.version,
            "ref": standard.ref,
            "digest": standard.digest,
            "status": standard.status.value,
            "title": standard.title.as_dict(),
        },
        "candidate": {
            "vendor": "某某科技 <b>Vendor</b>",
            "system": "people-hub",
            "version": "2.0.0",
            "base_url": "http://127.0.0.1:9",
            "implements": [],
        },
        "verdict": "pass",
        "exit_code": 0,
        "reasons": [],
        "warnings": [],
        "unreachable": None,
        "summary": summary,
        "requests_sha256": "0" * 64,
        "clauses": [
            {
                "id": c["id"],
                "level": c["level"],
                "verification": c["verification"],
                "text": c["text"],
                "status": "skip",
                "checks": sorted({o[1] for o in outcomes if o[0] == c["id"]}),
            }
            for c in _clauses(standard)
        ],
        "exports": {
            "people": {
                "path": "/data/out/people.jsonl",
                "sha256": export_sha256 or "a" * 64,
                "records": 10,
                "format": "jsonl",
            }
        },
        "latency_ms": {"GET /people/{id}": [12.5, 14.0, 30.2, 11.0, 250.0]},
        # the run owed exactly these results (as the suite writes it: one task per target)
        "plan": [
            {
                "target": target,
                "kind": "export" if target.startswith("export ") else "api",
                "results": [r["id"] for r in results if r["target"] == target],
            }
            for target in dict.fromkeys(r["target"] for r in results)
        ],
        "results": results,
    }
    verdict = decide_from_results(data)
    data["verdict"] = verdict.verdict
    data["exit_code"] = 0 if verdict.verdict == "pass" else 1
    data["reasons"] = verdict.reasons
    data["warnings"] = verdict.warnings
    data["i18n"] = verdict.i18n()
    for clause in data["clauses"]:
        clause["status"] = verdict.clause_status[clause["id"]]
    return data


ALL_PASS = [
    ("T-API-001", "response_schema", "GET /people/{id}", "pass"),
    ("T-API-002", "response_schema", "GET /people/{id}", "pass"),
    ("T-API-003", "response_schema", "GET /people/{id}", "skip"),
    ("T-EXP-001", "export_records", "export people", "pass"),
]

FAILING = [
    ("T-API-001", "response_schema", "GET /people/{id}", "fail"),
    ("T-API-001", "status_code_documented", "GET /people/{id}", "pass"),
    ("T-API-002", "response_schema", "GET /people/{id}", "fail"),
    ("T-API-003", "response_schema", "GET /people/{id}", "skip"),
    ("T-EXP-001", "export_records", "export people", "fail"),
]


# The tests' runner: one Ed25519 key, trusted as a reviewer's runner by RUNNER_POLICY.
RUNNER_KEY = Ed25519PrivateKey.generate()
RUNNER_ID = key_id(RUNNER_KEY.public_key())
RUNNER_POLICY = RunnerPolicy(
    {RUNNER_ID: Runner("test runner", "reviewer", None, RUNNER_KEY.public_key(), RUNNER_ID)},
    False,
    "the tests' runner",
)


def write_run_key(folder: Path, key: Ed25519PrivateKey = RUNNER_KEY, name: str = "runner") -> Path:
    """The public key file of a runner key (for ``--trust-runner`` and policy files)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.pub.pem"
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def attest(folder: Path, key: Ed25519PrivateKey = RUNNER_KEY) -> Path:
    """Sign the run folder as a runner does at the end of a run (replacing an earlier one)."""
    (folder / ATTESTATION_NAME).unlink(missing_ok=True)
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return attest_run(folder, RunClaims.from_results(data), key)


def write_run(
    folder: Path, data: dict[str, Any], runner: Ed25519PrivateKey | None = RUNNER_KEY
) -> Path:
    """A run folder holding results.json (as the suite writes it), attested by RUNNER."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if runner is not None:
        attest(folder, runner)
    return folder
