#!/usr/bin/env python3
"""Benchmark: one defect, one clause (issue 14 item 4).

For every fault of the reference candidate, singly, a fresh candidate is started in a
thread on 127.0.0.1 with that one fault and the suite's engine runs the fault's standard
against it in-process (``prepare`` + ``Run``, every task).  The answer key (``ANSWER_KEY``
below, the same faults, standards and clauses as tests/test_faults.py) says which clause each
fault breaks; a fault of the candidate missing from it (or a name in it the candidate does not
know) stops the bench before any run, with exit code 2.  Measured:

- MUST clauses failed per fault: the MUST clauses with a failed result that do not fail on
  the correct candidate of the same standard and seed (load-dependent checks left out);
- precision: the share of those clause failures that are the fault's intended clause;
- detected: faults whose intended clause fails.

This is a script, not a test (see bench/README.md): it prints a table and the totals, and
with ``--json PATH`` writes them.

    python bench/clauses.py [--seed N] [--max-examples N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.engine.run import Run  # noqa: E402
from conformance.results import Outcome  # noqa: E402
from conformance.session import RunOptions, prepare  # noqa: E402
from fixtures.reference_candidate.server import fault_catalogue, serve_in_thread  # noqa: E402

FIXTURE = ROOT / "fixtures" / "reference_candidate"
TOKEN_ENV = "REFERENCE_CANDIDATE_TOKEN"  # noqa: S105 - the name of a variable, not a secret
LICENCE = "gov.e-licence@1.1.0"
CASES = "gov.service-case@1.0.0"
CASES_STATEFUL = "gov.service-case@2.0.0"  # the case life cycle declared (issue 18)
HALLS = "gov.service-hall@1.0.0"  # every paging and filter kind (issue 18)
LOAD_DEPENDENT_CHECKS = frozenset({"response_time"})

# fault -> (standard, the clause it breaks)
ANSWER_KEY = {
    "wrong-date-format": (LICENCE, "LIC-API-006"),
    "page-size-ignored": (LICENCE, "LIC-API-003"),
    "non-ascii-500": (LICENCE, "LIC-API-001"),
    "wrong-content-type": (LICENCE, "LIC-API-001"),
    "envelope-missing-field": (LICENCE, "LIC-API-002"),
    "undocumented-status": (LICENCE, "LIC-API-001"),
    "number-as-string": (LICENCE, "LIC-API-003"),
    "out-of-range-accepted": (LICENCE, "LIC-API-003"),  # its text: out-of-range paging gets 400
    "html-error-page": (LICENCE, "LIC-API-001"),  # the media type; the envelope is not verified
    "bad-id-check-char": (LICENCE, "LIC-API-007"),
    "auth-not-enforced": (LICENCE, "LIC-SEC-001"),
    "case-wrong-status-enum": (CASES, "CASE-API-005"),
    "case-location-missing": (CASES, "CASE-API-002"),
    "case-filter-ignored": (CASES, "CASE-API-009"),
    "case-created-not-readable": (CASES, "CASE-API-002"),
    "case-unknown-field-accepted": (CASES, "CASE-API-008"),
    # the allowed transitions are declared (x-state-model) only from 2.0.0 on
    "case-transition-unchecked": (CASES_STATEFUL, "CASE-API-007"),
    "cursor-repeats-item": (HALLS, "HALL-API-003"),
    "next-on-last-page": (HALLS, "HALL-API-003"),
    "range-off-by-one": (HALLS, "HALL-API-004"),
    "deleted-still-listed": (HALLS, "HALL-API-006"),
    "list-detail-disagree": (HALLS, "HALL-API-005"),
}


def key_mismatch() -> str | None:
    """Why the answer key and the candidate's faults differ, or None when they agree."""
    catalogue = set(fault_catalogue())
    unkeyed = sorted(catalogue - set(ANSWER_KEY))
    unknown = sorted(set(ANSWER_KEY) - catalogue)
    problems = []
    if unkeyed:
        problems.append(
            f"fault(s) of the reference candidate missing from ANSWER_KEY: {', '.join(unkeyed)}"
        )
    if unknown:
        problems.append(
            f"ANSWER_KEY names fault(s) the candidate does not know: {', '.join(unknown)}"
        )
    return "; ".join(problems) or None


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo, or the platform's processor name."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def must_failures(standard: str, faults: frozenset[str], seed: int, examples: int) -> set[str]:
    """The MUST clauses with a failed result, against a fresh candidate with ``faults``."""
    server, url = serve_in_thread(token=os.environ[TOKEN_ENV], faults=faults)
    try:
        with tempfile.TemporaryDirectory() as reports:
            config = prepare(
                RunOptions(
                    standard=standard,
                    candidate=FIXTURE / "candidate.yaml",
                    seed=seed,
                    reports_dir=Path(reports),
                    max_examples=examples,
                    base_url=url,
                )
            )
            outcome = Run(config).run()
            levels = {c.id: c.level.value for c in config.standard.clauses}
            return {
                r.clause
                for r in outcome.results
                if r.outcome is Outcome.FAIL
                and r.check not in LOAD_DEPENDENT_CHECKS
                and levels.get(r.clause) == "MUST"
            }
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    mismatch = key_mismatch()
    if mismatch is not None:
        print(
            f"error: bench/clauses.py: {mismatch}; add each with its intended clause",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault(TOKEN_ENV, secrets.token_urlsafe(24))
    started = time.monotonic()
    load = os.getloadavg()
    standards = sorted({standard for standard, _ in ANSWER_KEY.values()})
    baseline = {s: must_failures(s, frozenset(), args.seed, args.max_examples) for s in standards}
    rows: list[dict[str, Any]] = []
    width = max(len(fault) for fault in ANSWER_KEY)
    for fault, (standard, intended) in ANSWER_KEY.items():
        failed = must_failures(standard, frozenset({fault}), args.seed, args.max_examples)
        failed -= baseline[standard]
        failed_sorted = sorted(failed)
        row = {
            "fault": fault,
            "intended": intended,
            "failed": failed_sorted,
            "hit": intended in failed,
        }
        rows.append(row)
        mark = "yes" if row["hit"] else "NO "
        print(f"{fault:<{width}}  {intended:<13} {mark}  {', '.join(failed_sorted)}", flush=True)
    total_failed = sum(len(r["failed"]) for r in rows)
    hits = sum(1 for r in rows if r["hit"])
    detected = [r for r in rows if r["failed"]]
    summary = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "cpu": cpu_model(),
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "seed": args.seed,
        "max_examples": args.max_examples,
        "faults": len(rows),
        "baseline_must_failures": {k: sorted(v) for k, v in baseline.items()},
        "must_clauses_failed_per_fault": round(total_failed / len(rows), 2),
        "must_clauses_failed_per_detected_fault": round(total_failed / max(len(detected), 1), 2),
        "precision": round(hits / total_failed, 3) if total_failed else None,
        "intended_clause_failed": f"{hits}/{len(rows)}",
        "seconds": round(time.monotonic() - started, 1),
    }
    for key, value in summary.items():
        print(f"{key}: {value}")
    if args.json is not None:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
