"""Run the suite against a real server and compare what it reports with the answer key.

    python examples/evaluate.py jupyterhub [--seeds 1 2 3] [--max-examples 20]

For each seed: a fresh server (its ``serve.py``), one ``conformance run`` with that seed,
the server stopped; then every failure the run reported is matched against the example's
``answer-key.yaml``, the deviations between the server and its published specification
confirmed by hand.  Printed per seed: false positives (a failure or error no confirmed
deviation explains: the goal is 0), confirmed deviations found with the right evidence
(clause, check, operation and the message that shows the deviation), and the clause
results that verified nothing (skipped: not exercised).  Exit 1 when a seed has a false
positive or misses a deviation the key says is found on every seed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
RUN_TIMEOUT_S = 900


@dataclass(frozen=True)
class Expectation:
    """One finding a deviation must produce: clause, check, operation(s), message pattern."""

    clause: str
    check: str
    target: str  # an operation ("GET /users") or a glob ("* /users/{name}*")
    message: str = ""  # a regular expression the failure's message must match
    # a regular expression the failure's evidence must match: the request line and body,
    # then the response status and body, as "GET URL BODY => STATUS BODY"
    evidence: str = ""
    # False: this finding explains a failure when it appears, but a seed may not show it
    # (several causes share one failure, and its evidence shows one of them)
    required: bool = True

    def matches(self, failure: dict[str, Any]) -> bool:
        return (
            failure["clause"] == self.clause
            and failure["check"] == self.check
            and fnmatchcase(failure["target"], self.target)
            and re.search(self.message, failure["message"]) is not None
            and re.search(self.evidence, failure["evidence"], re.DOTALL) is not None
        )


@dataclass(frozen=True)
class Deviation:
    id: str
    title: str
    level: str
    found: str  # "always" (every seed must find it) or "sometimes" (drawn requests reach it)
    expect: tuple[Expectation, ...]
    detectable: bool = True  # False: confirmed by hand, but no check of the suite covers it


@dataclass
class SeedReport:
    seed: int
    verdict: str
    requests_sha256: str
    false_positives: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # deviation ids found with right evidence
    missed: list[str] = field(default_factory=list)  # "always" deviations not found
    not_verified: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_key(path: Path) -> tuple[dict[str, Any], list[Deviation]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    deviations = [
        Deviation(
            id=d["id"],
            title=d["title"],
            level=d["level"],
            found=d.get("found", "always"),
            detectable=d.get("detectable", True),
            expect=tuple(Expectation(**e) for e in d.get("expect", [])),
        )
        for d in data["deviations"]
    ]
    return data, deviations


def failures_of(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every distinct failure of the run, with the result's clause, check and target."""
    found = []
    for result in results["results"]:
        for failure in result["failures"]:
            evidence = failure.get("evidence") or {}
            request = evidence.get("request") or {}
            response = evidence.get("response") or {}
            found.append(
                {
                    "clause": result["clause"],
                    "check": result["check"],
                    "target": result["target"],
                    "message": failure["message"],
                    "count": failure["count"],
                    "evidence": (
                        f"{request.get('method', '')} {request.get('url', '')} "
                        f"{request.get('body') or ''} => {response.get('status', '')} "
                        f"{response.get('body', '')}"
                    ),
                }
            )
    return found


def compare(results: dict[str, Any], deviations: list[Deviation], seed: int) -> SeedReport:
    report = SeedReport(seed, results["verdict"], results["requests_sha256"])
    failures = failures_of(results)
    for failure in failures:
        if not any(e.matches(failure) for d in deviations for e in d.expect):
            report.false_positives.append(
                f"{failure['clause']} {failure['check']} {failure['target']}: "
                f"{failure['message'][:200]} (x{failure['count']})"
            )
    for deviation in deviations:
        if not deviation.detectable:
            continue
        required = [e for e in deviation.expect if e.required]
        hit = all(any(e.matches(f) for f in failures) for e in required)
        if hit:
            report.found.append(deviation.id)
        elif deviation.found == "always":
            report.missed.append(deviation.id)
    for result in results["results"]:
        where = f"{result['clause']} {result['check']} {result['target']}"
        if result["status"] == "error":
            report.errors.append(f"{where}: {result['message'][:200]}")
        elif result["status"] == "skip":
            report.not_verified.append(f"{where}: {result['message'][:120]}")
    return report


def _serve_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"serve_{name}", HERE / name / "serve.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_seed(name: str, seed: int, max_examples: int, workdir: Path) -> dict[str, Any]:
    """A fresh server, one run of the suite with ``seed``, the server stopped; results.json."""
    serve = _serve_module(name)
    key, _ = load_key(HERE / name / "answer-key.yaml")
    server = serve.start(workdir)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance",
                "run",
                "--standards-dir",
                str(HERE / name / "standards"),
                "--standard",
                key["standard"],
                "--candidate",
                str(workdir / "candidate.yaml"),
                "--reports-dir",
                str(workdir / "reports"),
                "--seed",
                str(seed),
                "--max-examples",
                str(max_examples),
            ],
            env={**os.environ, serve.TOKEN_ENV: server.token},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    finally:
        server.stop()
    paths = list((workdir / "reports").glob("*/results.json"))
    if len(paths) != 1:
        raise RuntimeError(f"run of {name} seed={seed} wrote no results: {done.stderr[-2000:]}")
    results: dict[str, Any] = json.loads(paths[0].read_text(encoding="utf-8"))
    return results


def evaluate(
    name: str, seeds: list[int], max_examples: int, keep: Path | None = None
) -> list[SeedReport]:
    _, deviations = load_key(HERE / name / "answer-key.yaml")
    reports = []
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix=f"{name}-{seed}-") as scratch:
            workdir = (keep / f"{name}-{seed}") if keep else Path(scratch)
            workdir.mkdir(parents=True, exist_ok=True)
            results = run_seed(name, seed, max_examples, workdir)
            reports.append(compare(results, deviations, seed))
    return reports


def render(name: str, reports: list[SeedReport], deviations: list[Deviation]) -> str:
    confirmed = [d for d in deviations if d.detectable]
    lines = [f"## {name}", ""]
    lines.append(
        "| seed | verdict | false positives | suite errors "
        "| deviations found / confirmed | not verified |"
    )
    lines.append("|---|---|---|---|---|---|")
    for r in reports:
        lines.append(
            f"| {r.seed} | {r.verdict} | {len(r.false_positives)} | {len(r.errors)} | "
            f"{len(r.found)} / {len(confirmed)} | {len(r.not_verified)} |"
        )
    for r in reports:
        for title, items in (
            ("false positives", r.false_positives),
            ("suite errors", r.errors),
            ("missed", r.missed),
            ("not verified", r.not_verified),
        ):
            for item in items:
                lines.append(f"- seed {r.seed} {title}: {item}")
        sometimes = [d.id for d in confirmed if d.found == "sometimes" and d.id not in r.found]
        if sometimes:
            lines.append(
                f"- seed {r.seed} not reached this seed (found: sometimes): {', '.join(sometimes)}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "name", choices=sorted(p.parent.name for p in HERE.glob("*/answer-key.yaml"))
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep each seed's work folder (reports) here")
    parser.add_argument(
        "--compare",
        type=Path,
        nargs="+",
        help="compare these results.json files with the key instead of running",
    )
    args = parser.parse_args(argv)
    _, deviations = load_key(HERE / args.name / "answer-key.yaml")
    if args.compare:
        loaded = [json.loads(p.read_text(encoding="utf-8")) for p in args.compare]
        reports = [compare(r, deviations, int(r["seed"])) for r in loaded]
    else:
        reports = evaluate(args.name, args.seeds, args.max_examples, args.keep)
    print(render(args.name, reports, deviations))
    bad = any(r.false_positives or r.errors or r.missed for r in reports)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
