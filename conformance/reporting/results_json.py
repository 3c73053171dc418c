"""results.json: the machine-readable record of a run (schema: schemas/results.schema.json)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from conformance._version import __version__
from conformance.standards.versioning import extends_chain, lifecycle_warnings

if TYPE_CHECKING:
    from conformance.engine.run import Run
    from conformance.engine.verdict import Verdict

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
    from conformance.standards.versioning import base_of, refusal

    extra: dict[str, Any] = {"forced": refusal(standard) is not None}
    base = base_of(standard)
    if base is not None:
        extra["extends"] = base
    return extra


def build_results(run: Run, verdict: Verdict, exit_code: int) -> dict[str, Any]:
    standard = run.standard
    summary = Counter(r.outcome.value for r in run.results)
    digest_listing = "".join(f"{t} {d}\n" for t, d in sorted(run.request_digests.items()))
    return {
        "format": RESULTS_FORMAT,
        "suite": {"name": "gov-conformance", "version": __version__},
        "run_id": run.config.run_id,
        "seed": run.config.seed,
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
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
            **run.candidate.identity(),
            "base_url": _without_userinfo(run.base_url),
            "implements": sorted(run.claim.implements),
        },
        "verdict": verdict.verdict,
        "exit_code": exit_code,
        "reasons": verdict.reasons,
        "warnings": verdict.warnings + lifecycle_warnings(standard),
        # a candidate that conforms to a profile conforms to the standards it extends too
        "conforms_to": extends_chain(standard) if verdict.verdict == "pass" else [],
        "unreachable": run.unreachable,
        "summary": {k: summary.get(k, 0) for k in ("pass", "fail", "skip", "error")},
        "requests_sha256": hashlib.sha256(digest_listing.encode()).hexdigest(),
        "clauses": [
            {
                "id": clause.id,
                "level": clause.level.value,
                "verification": clause.verification.value,
                "text": clause.text.as_dict(),
                "status": verdict.clause_status[clause.id],
                "checks": sorted({r.check for r in run.results if r.clause == clause.id}),
            }
            for clause in standard.clauses
        ],
        "exports": run.export_files,
        "latency_ms": run.latencies_ms,
        "results": [r.as_dict() for r in run.results],
        # the catalog messages of reasons and the clause warnings (lifecycle ones are bilingual)
        "i18n": verdict.i18n(),
    }


def write_results(run_dir: Path, data: dict[str, Any]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "results.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
