"""results.json: the machine-readable record of a run (schema: schemas/results.schema.json).

It is the serialised :class:`~conformance.engine.outcome.RunOutcome`; every other report
(JUnit, HTML, the terminal summary) reads this dictionary, and so do ``conformance merge``,
``review`` and ``certify`` from the file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance._version import __version__
from conformance.engine.outcome import RunOutcome
from conformance.redaction import redact_data
from conformance.standards.versioning import base_of, extends_chain, lifecycle_warnings, refusal

__all__ = ["RESULTS_FORMAT", "build_results", "write_results"]

RESULTS_FORMAT = 1


def _without_userinfo(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _lifecycle(standard: Any) -> dict[str, Any]:
    """``forced``: the run certified a draft or retired version (only --force gets there)."""
    extra: dict[str, Any] = {"forced": refusal(standard) is not None}
    base = base_of(standard)
    if base is not None:
        extra["extends"] = base
    return extra


def build_results(outcome: RunOutcome) -> dict[str, Any]:
    """results.json's dictionary of a finished run (a shard's partial one with ``shard``)."""
    config = outcome.config
    standard = config.standard
    verdict = outcome.verdict
    results = outcome.results
    summary = Counter(r.outcome.value for r in results)
    digest_listing = "".join(f"{t} {d}\n" for t, d in sorted(outcome.request_digests.items()))
    data: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "suite": {"name": "gov-conformance", "version": __version__},
        "run_id": config.run_id,
        "seed": config.seed,
        "started_at": outcome.started_at.isoformat(timespec="seconds"),
        "finished_at": outcome.finished_at.isoformat(timespec="seconds"),
        "standard": {
            "id": standard.id,
            "version": standard.version,
            "ref": standard.ref,
            "digest": standard.digest,
            "status": standard.status.value,
            "title": standard.title.as_dict(),
            **_lifecycle(standard),
        },
        "candidate": {
            **config.candidate.identity(),
            "base_url": _without_userinfo(config.target_url),
            "implements": sorted(config.claim.implements),
        },
        "verdict": verdict.verdict,
        "automated": {
            "verdict": verdict.automated or verdict.verdict,
            "pending_attestations": list(verdict.pending),
        },
        "policy": {"unverified_must": standard.unverified_must},
        "exit_code": int(outcome.exit_code),
        "reasons": verdict.reasons,
        "warnings": verdict.warnings + lifecycle_warnings(standard),
        # a candidate that conforms to a profile conforms to the standards it extends too
        "conforms_to": extends_chain(standard) if verdict.verdict == "pass" else [],
        "unreachable": outcome.unreachable,
        "summary": {k: summary.get(k, 0) for k in ("pass", "fail", "skip", "error")},
        "requests_sha256": hashlib.sha256(digest_listing.encode()).hexdigest(),
        "clauses": [
            {
                "id": clause.id,
                "level": clause.level.value,
                "verification": clause.verification.value,
                "text": clause.text.as_dict(),
                "status": verdict.clause_status[clause.id],
                "checks": sorted({r.check for r in results if r.clause == clause.id}),
            }
            for clause in standard.clauses
        ],
        "exports": {name: info.as_dict() for name, info in outcome.exports.items()},
        "latency_ms": dict(outcome.latencies_ms),
        # what the run owed: one result per id; a run missing any cannot conform
        "plan": [
            {"target": task.target, "kind": task.kind, "results": task.expected_ids}
            for task in outcome.plan
        ],
        "results": [r.as_dict() for r in results],
        # the catalog messages of reasons and the clause warnings (lifecycle ones are bilingual)
        "i18n": verdict.i18n(),
    }
    if config.shard is not None:
        data["shard"] = {
            "index": config.shard.index,
            "count": config.shard.count,
            "targets": [task.target for task in outcome.plan],
            "request_digests": dict(sorted(outcome.request_digests.items())),
            "conforms_to": extends_chain(standard),
        }
    # the engine redacted its evidence; this catches whatever else holds a secret (a sink)
    return redact_data(data)  # type: ignore[no-any-return]


def write_results(run_dir: Path, data: dict[str, Any]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "results.json"
    data = redact_data(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
