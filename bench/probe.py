#!/usr/bin/env python3
"""Benchmark: this suite's API probing vs Schemathesis, on the same standards and faults.

For each sample API standard and for "no fault" plus each fault switch of the reference
candidate, a fresh reference candidate is started on 127.0.0.1 (a subprocess of
``fixtures/reference_candidate/server.py`` with its access log on, so the requests of each tool
are counted by the server itself) and probed by

- this suite's engine, in-process (``prepare`` + ``Run``, every api task), and
- Schemathesis (its ``st run`` CLI in a subprocess, ``--checks all``), on the same OpenAPI
  document, base URL and bearer token, with the same number of examples per operation.

A fault counts as detected by a tool when the tool reports a failure (check and operation) that
it did not report on the correct candidate of the same standard; whatever a tool reports on the
correct candidate is a false positive.  This is a script, not a test: see bench/README.md.

    python bench/probe.py [--max-examples N] [--quick] [--json PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "reference_candidate"
SERVER = FIXTURE / "server.py"
CANDIDATE = FIXTURE / "candidate.yaml"
TOKEN_ENV = "REFERENCE_CANDIDATE_TOKEN"  # noqa: S105 - the name of a variable, not a secret

LICENCE = "gov.e-licence@1.1.0"
CASES = "gov.service-case@1.0.0"
NO_FAULT = ""
CORE_FAULTS = ("auth-not-enforced",)
QUICK_FAULTS = ("bad-id-check-char", "page-size-ignored", "non-ascii-500", "auth-not-enforced")

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 5.0
MAX_LOG_LINES = 2_000_000
MAX_REPORT_BYTES = 50_000_000
# An access-log line (BaseHTTPRequestHandler.log_request): host - - [date] "request" code size
ACCESS_LINE = re.compile(r'^\S+ - - \[[^\]]*\] ".*" (\d{3}) \S+$')


class BenchError(Exception):
    """The benchmark could not run; the message says why."""


@dataclass
class ToolRun:
    """What one tool did against one fresh candidate."""

    tool: str
    completed: bool = False
    failures: list[str] = field(default_factory=list)  # distinct "check operation" keys
    fail_results: int = 0  # this suite: FAIL results; Schemathesis: unique failures
    errors: list[str] = field(default_factory=list)
    requests: int = 0  # counted by the candidate (access log)
    client_requests: int | None = None  # counted by the tool's client, where we can
    seconds: float = 0.0  # the tool's own probing time
    wall_s: float = 0.0  # including loading the standard / starting the process
    statuses: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Row:
    standard: str
    fault: str
    suite: ToolRun
    schemathesis: ToolRun
    suite_new: list[str] = field(default_factory=list)
    schemathesis_new: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ the candidate


@dataclass
class Candidate:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def candidate(fault: str, token: str, workdir: Path) -> Iterator[Candidate]:
    """A fresh reference candidate with ``fault`` on an ephemeral loopback port."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "port"
    log = workdir / "access.log"
    command = [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", "0"]
    command += ["--port-file", str(port_file), "--token-env", TOKEN_ENV]
    if fault:
        command += ["--fault", fault]
    env = {**os.environ, TOKEN_ENV: token, "REFERENCE_CANDIDATE_LOG": "1"}
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_handle
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        port = ""
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"the reference candidate exited with {process.returncode}")
            if port_file.exists():
                port = port_file.read_text().strip()
                if port:
                    break
            time.sleep(0.05)
        if not port.isdigit():
            raise BenchError(f"the reference candidate did not start in {START_TIMEOUT_S:.0f}s")
        yield Candidate(f"http://127.0.0.1:{port}", process, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def count_requests(log: Path) -> tuple[int, dict[str, int]]:
    """Requests the candidate answered, from its access log, and how many per status code."""
    statuses: Counter[str] = Counter()
    with log.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if number >= MAX_LOG_LINES:
                break
            match = ACCESS_LINE.match(line.rstrip("\n"))
            if match:
                statuses[match.group(1)] += 1
    return sum(statuses.values()), dict(sorted(statuses.items()))


# ------------------------------------------------------------------ this suite


def run_suite(
    standard: str, url: str, token: str, seed: int, max_examples: int, budget_s: float, tmp: Path
) -> ToolRun:
    """This suite's engine in-process: every api task of ``standard`` against ``url``."""
    from conformance.engine.http import HttpRequest, HttpResponse
    from conformance.engine.run import Run
    from conformance.results import Outcome
    from conformance.session import RunOptions, prepare

    result = ToolRun("this suite")
    started = time.perf_counter()
    os.environ[TOKEN_ENV] = token
    try:
        config = prepare(
            RunOptions(
                standard=standard,
                candidate=CANDIDATE,
                seed=seed,
                reports_dir=tmp,
                max_examples=max_examples,
                base_url=url,
            )
        )
        config = dataclasses.replace(config, max_duration_s=budget_s)
        run = Run(config)
        sent = 0
        client = run.prober.client
        original: Callable[[HttpRequest], HttpResponse] = client.send

        def counting_send(request: HttpRequest) -> HttpResponse:
            nonlocal sent
            sent += 1
            return original(request)

        setattr(client, "send", counting_send)  # noqa: B010 - wrap a bound method
        probing = time.perf_counter()
        results = []
        for task in run.tasks():
            if task.kind == "api":
                results += run.execute(task)
        result.seconds = time.perf_counter() - probing
    except Exception as exc:  # report and go on with the other runs
        result.errors.append(f"{type(exc).__name__}: {exc}")
        result.wall_s = time.perf_counter() - started
        return result
    finally:
        os.environ.pop(TOKEN_ENV, None)
    result.wall_s = time.perf_counter() - started
    result.client_requests = sent
    failed = [r for r in results if r.outcome is Outcome.FAIL]
    result.fail_results = len(failed)
    result.failures = sorted({f"{r.check} {r.target}" for r in failed})
    result.errors = [
        f"{r.check} {r.target}: {r.message}" for r in results if r.outcome is Outcome.ERROR
    ]
    result.completed = True
    return result


# ------------------------------------------------------------------ Schemathesis


def run_schemathesis(
    standard: str,
    url: str,
    token: str,
    seed: int,
    max_examples: int,
    timeout_s: float,
    tmp: Path,
) -> ToolRun:
    """``st run`` in a subprocess on the standard's OpenAPI document, every check enabled."""
    result = ToolRun("Schemathesis")
    tmp.mkdir(parents=True, exist_ok=True)
    # The token reaches Schemathesis through the environment, never on a command line.
    config = tmp / "schemathesis.toml"
    config.write_text(f'headers = {{ Authorization = "Bearer ${{{TOKEN_ENV}}}" }}\n')
    report = tmp / "schemathesis-report.json"
    output = tmp / "schemathesis-output.txt"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        str(openapi_path(standard)),
        "--url",
        url,
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--generation-database",
        "none",
        "--continue-on-failure",
        "--workers",
        "1",
        "--request-timeout",
        str(REQUEST_TIMEOUT_S),
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    env = {**os.environ, TOKEN_ENV: token}
    started = time.perf_counter()
    try:
        with output.open("wb") as handle:
            done = subprocess.run(
                command,
                cwd=tmp,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
    except subprocess.TimeoutExpired:
        result.wall_s = time.perf_counter() - started
        result.errors.append(f"timed out after {timeout_s:.0f}s")
        return result
    result.wall_s = time.perf_counter() - started
    if not report.exists() or report.stat().st_size > MAX_REPORT_BYTES:
        tail = output.read_bytes()[-2000:].decode("utf-8", "replace")
        result.errors.append(f"no JSON report (exit code {done.returncode}): {tail}")
        return result
    data = json.loads(report.read_text(encoding="utf-8"))
    result.seconds = float(data.get("running_time") or result.wall_s)
    keys: set[str] = set()
    for failure in data.get("failures") or []:
        for operation in failure.get("operations") or []:
            keys.add(f"{failure.get('code')} {operation}")
    result.failures = sorted(keys)
    result.fail_results = int((data.get("test_cases") or {}).get("unique_failures") or 0)
    result.errors = [json.dumps(e, ensure_ascii=False)[:300] for e in data.get("errors") or []]
    result.warnings = {k: v for k, v in (data.get("warnings") or {}).items() if v}
    result.completed = bool(data.get("complete", True))
    if not result.completed:
        result.note = f"stop_reason={data.get('stop_reason')}"
    return result


def openapi_path(standard: str) -> Path:
    ident, _, version = standard.partition("@")
    return ROOT / "standards" / ident / version / "openapi.yaml"


# ------------------------------------------------------------------ the benchmark


def plan(quick: bool) -> list[tuple[str, str]]:
    """(standard, fault) pairs to run, "no fault" first for each standard."""
    from fixtures.reference_candidate import cases, licences

    faults = {
        LICENCE: [*licences.FAULTS, *CORE_FAULTS],
        CASES: [*cases.FAULTS, *CORE_FAULTS],
    }
    if quick:
        faults = {LICENCE: [f for f in faults[LICENCE] if f in QUICK_FAULTS]}
    return [(std, fault) for std, names in faults.items() for fault in [NO_FAULT, *names]]


def bench(args: argparse.Namespace, tmp: Path) -> list[Row]:
    rows: list[Row] = []
    baseline: dict[tuple[str, str], set[str]] = {}
    pairs = plan(args.quick)
    for number, (standard, fault) in enumerate(pairs, start=1):
        label = fault or "(no fault)"
        runs: dict[str, ToolRun] = {}
        for tool in ("suite", "schemathesis"):
            token = secrets.token_urlsafe(24)
            workdir = tmp / f"{number:02d}-{tool}"
            with candidate(fault, token, workdir) as server:
                if tool == "suite":
                    outcome = run_suite(
                        standard,
                        server.url,
                        token,
                        args.seed,
                        args.max_examples,
                        args.timeout,
                        workdir,
                    )
                else:
                    outcome = run_schemathesis(
                        standard,
                        server.url,
                        token,
                        args.seed,
                        args.max_examples,
                        args.timeout,
                        workdir,
                    )
            outcome.requests, outcome.statuses = count_requests(server.log)
            runs[tool] = outcome
        row = Row(standard, fault, runs["suite"], runs["schemathesis"])
        if not fault:
            baseline[(standard, "suite")] = set(row.suite.failures)
            baseline[(standard, "schemathesis")] = set(row.schemathesis.failures)
        else:
            row.suite_new = sorted(
                set(row.suite.failures) - baseline.get((standard, "suite"), set())
            )
            row.schemathesis_new = sorted(
                set(row.schemathesis.failures) - baseline.get((standard, "schemathesis"), set())
            )
        rows.append(row)
        print(
            f"[{number}/{len(pairs)}] {standard} {label}: "
            f"this suite {row.suite.requests} req in {row.suite.seconds:.1f}s, "
            f"Schemathesis {row.schemathesis.requests} req in {row.schemathesis.seconds:.1f}s",
            file=sys.stderr,
            flush=True,
        )
    return rows


# ------------------------------------------------------------------ behaviour (issue 18)

HALLS = "gov.service-hall@1.0.0"
CASES_STATEFUL = "gov.service-case@2.0.0"
# One fault per kind of behaviour, the standard that declares it, and the check (and clause)
# of this suite that must fail on it.
BEHAVIOUR_FAULTS: tuple[tuple[str, str, str, str], ...] = (
    ("forbidden transition accepted", CASES_STATEFUL, "case-transition-unchecked", "state_model"),
    ("cursor repeats an item", HALLS, "cursor-repeats-item", "pagination"),
    ("next on the last page", HALLS, "next-on-last-page", "pagination"),
    ("range filter off by one at its bound", HALLS, "range-off-by-one", "filters"),
    ("deleted item still listed", HALLS, "deleted-still-listed", "state_model"),
    ("list and detail disagree", HALLS, "list-detail-disagree", "view_consistency"),
)


@dataclass
class BehaviourRow:
    kind: str
    standard: str
    fault: str
    check: str
    suite_caught: list[int] = field(default_factory=list)  # seeds whose run failed the check
    suite_missed: list[int] = field(default_factory=list)
    suite_errors: list[str] = field(default_factory=list)
    suite_requests: list[int] = field(default_factory=list)
    schemathesis_caught: list[int] = field(default_factory=list)
    schemathesis_missed: list[int] = field(default_factory=list)
    schemathesis_new: dict[int, list[str]] = field(default_factory=dict)
    schemathesis_errors: list[str] = field(default_factory=list)
    schemathesis_incomplete: list[int] = field(default_factory=list)
    schemathesis_requests: list[int] = field(default_factory=list)


BASELINE: dict[str, list[str]] = {}  # "standard seed N" -> what Schemathesis reported, no fault


def _suite_checks(
    standard: str, url: str, token: str, seed: int, max_examples: int, budget_s: float, tmp: Path
) -> tuple[set[tuple[str, str]], list[str], bool]:
    """(check, target) pairs that failed in this suite's run, its errors, whether it completed."""
    run = run_suite(standard, url, token, seed, max_examples, budget_s, tmp)
    failed = {tuple(f.split(" ", 1)) for f in run.failures}
    return {(a, b) for a, b in failed}, run.errors, run.completed


def behaviour_bench(args: argparse.Namespace, tmp: Path) -> list[BehaviourRow]:
    """Each behaviour fault, every seed, both tools; the correct candidate as the baseline."""
    seeds = list(range(1, args.seeds + 1))
    st_seeds = seeds[: args.schemathesis_seeds] if args.schemathesis_seeds else seeds
    standards = sorted({s for _, s, _, _ in BEHAVIOUR_FAULTS})
    baseline: dict[tuple[str, int], set[str]] = {}
    number = 0
    for standard in standards:  # Schemathesis on the correct candidate, each seed
        for seed in st_seeds:
            number += 1
            token = secrets.token_urlsafe(24)
            workdir = tmp / f"b{number:03d}-baseline"
            with candidate(NO_FAULT, token, workdir) as server:
                st = run_schemathesis(
                    standard, server.url, token, seed, args.max_examples, args.timeout, workdir
                )
            baseline[(standard, seed)] = set(st.failures)
            BASELINE[f"{standard} seed {seed}"] = st.failures + (
                [] if st.completed else [f"(incomplete: {st.errors[:1]} {st.note})"]
            )
    rows = []
    for kind, standard, fault, check in BEHAVIOUR_FAULTS:
        row = BehaviourRow(kind, standard, fault, check)
        for seed in seeds:
            number += 1
            token = secrets.token_urlsafe(24)
            workdir = tmp / f"b{number:03d}-suite"
            with candidate(fault, token, workdir) as server:
                failed, errors, _ = _suite_checks(
                    standard, server.url, token, seed, args.max_examples, args.timeout, workdir
                )
            row.suite_requests.append(count_requests(server.log)[0])
            row.suite_errors += errors
            hit = any(c == check for c, _ in failed)
            (row.suite_caught if hit else row.suite_missed).append(seed)
            if seed not in st_seeds:
                print(
                    f"[{kind} seed {seed}] this suite {'caught' if hit else 'MISSED'}",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            token = secrets.token_urlsafe(24)
            workdir = tmp / f"b{number:03d}-st"
            with candidate(fault, token, workdir) as server:
                st = run_schemathesis(
                    standard, server.url, token, seed, args.max_examples, args.timeout, workdir
                )
            new = sorted(set(st.failures) - baseline[(standard, seed)])
            row.schemathesis_requests.append(count_requests(server.log)[0])
            if not st.completed:
                row.schemathesis_incomplete.append(seed)
            row.schemathesis_errors += st.errors if not st.completed else []
            row.schemathesis_new[seed] = new
            (row.schemathesis_caught if new else row.schemathesis_missed).append(seed)
            print(
                f"[{kind} seed {seed}] this suite {'caught' if hit else 'MISSED'}; "
                f"Schemathesis {'reported ' + ', '.join(new) if new else 'nothing new'}",
                file=sys.stderr,
                flush=True,
            )
        rows.append(row)
    return rows


def _of(caught: list[int], missed: list[int]) -> str:
    return f"{len(caught)}/{len(caught) + len(missed)} seeds"


def render_behaviour(rows: list[BehaviourRow], args: argparse.Namespace) -> str:
    header = [
        "故障类别 / behaviour fault",
        "fault switch",
        "check",
        "本套件 / this suite",
        "Schemathesis",
    ]
    body = [
        [
            r.kind,
            r.fault,
            r.check,
            _of(r.suite_caught, r.suite_missed),
            _of(r.schemathesis_caught, r.schemathesis_missed),
        ]
        for r in rows
    ]
    out = [
        f"行为故障检出 / Behaviour faults caught (this suite seeds 1..{args.seeds}, Schemathesis "
        f"seeds 1..{args.schemathesis_seeds or args.seeds}, max-examples="
        f"{args.max_examples}; this suite: the named check fails; Schemathesis: `st run --checks "
        "all`, every phase (examples, coverage, fuzzing, stateful), a failure it did not report "
        "on the correct candidate with the same seed)",
        table(header, body),
        "",
        "Schemathesis beyond the correct candidate, per seed:",
    ]
    for r in rows:
        shown = "; ".join(f"{s}: {', '.join(v) or '-'}" for s, v in r.schemathesis_new.items())
        out.append(f"  {r.fault}: {shown}")
        if r.suite_errors:
            out.append(f"  {r.fault}: this suite's errors: {r.suite_errors[:3]}")
        if r.schemathesis_errors:
            out.append(f"  {r.fault}: Schemathesis errors: {r.schemathesis_errors[:2]}")
    out.append("Schemathesis on the correct candidate (its baseline), per standard and seed:")
    for name, found in BASELINE.items():
        out.append(f"  {name}: {', '.join(found) or '-'}")
    incomplete = [f"{r.fault} seed {s}" for r in rows for s in r.schemathesis_incomplete]
    out.append(f"Schemathesis runs that did not complete: {', '.join(incomplete) or 'none'}")
    requests = [n for r in rows for n in r.suite_requests]
    theirs = [n for r in rows for n in r.schemathesis_requests]
    if requests and theirs:
        out.append(
            f"\nrequests per run (whole standard, counted by the candidate): this suite "
            f"{min(requests)}..{max(requests)}, Schemathesis {min(theirs)}..{max(theirs)}"
        )
    return "\n".join(out)


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int) -> str:
    return text + " " * max(size - width(text), 0)


def table(header: list[str], body: list[list[str]]) -> str:
    sizes = [max(width(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(pad(c, sizes[i]) for i, c in enumerate(header)).rstrip()]
    lines.append("  ".join("-" * s for s in sizes))
    lines += ["  ".join(pad(c, sizes[i]) for i, c in enumerate(r)).rstrip() for r in body]
    return "\n".join(lines)


def verdict(run: ToolRun, new: list[str]) -> str:
    if not run.completed:
        return "ERROR"
    return "yes" if new else "no"


def totals(rows: list[Row]) -> dict[str, Any]:
    faulty = [r for r in rows if r.fault]
    clean = [r for r in rows if not r.fault]

    def name(r: Row) -> str:
        return f"{r.fault} ({r.standard})"

    suite_hits = [name(r) for r in faulty if r.suite.completed and r.suite_new]
    st_hits = [name(r) for r in faulty if r.schemathesis.completed and r.schemathesis_new]
    every = [r.suite for r in rows], [r.schemathesis for r in rows]
    suite_req = sum(t.requests for t in every[0])
    suite_s = sum(t.seconds for t in every[0])
    st_req = sum(t.requests for t in every[1])
    st_s = sum(t.seconds for t in every[1])
    suite_rate = suite_req / suite_s if suite_s else 0.0
    st_rate = st_req / st_s if st_s else 0.0
    return {
        "faults": len(faulty),
        "detected_by_suite": len(suite_hits),
        "detected_by_schemathesis": len(st_hits),
        "only_suite": sorted(set(suite_hits) - set(st_hits)),
        "only_schemathesis": sorted(set(st_hits) - set(suite_hits)),
        "missed_by_suite": sorted(name(r) for r in faulty if name(r) not in suite_hits),
        "false_positives_suite": {
            r.standard: {"fail_results": r.suite.fail_results, "distinct": r.suite.failures}
            for r in clean
        },
        "false_positives_schemathesis": {
            r.standard: {
                "unique_failures": r.schemathesis.fail_results,
                "distinct": r.schemathesis.failures,
            }
            for r in clean
        },
        "errors_suite": sum(len(r.suite.errors) for r in rows),
        "errors_schemathesis": sum(len(r.schemathesis.errors) for r in rows),
        "suite_requests": suite_req,
        "suite_seconds": round(suite_s, 3),
        "suite_requests_per_s": round(suite_rate, 1),
        "suite_wall_s": round(sum(t.wall_s for t in every[0]), 3),
        "schemathesis_wall_s": round(sum(t.wall_s for t in every[1]), 3),
        "schemathesis_requests": st_req,
        "schemathesis_seconds": round(st_s, 3),
        "schemathesis_requests_per_s": round(st_rate, 1),
        "rate_ratio_suite_over_schemathesis": round(suite_rate / st_rate, 2) if st_rate else None,
    }


def render(rows: list[Row], summary: dict[str, Any], args: argparse.Namespace) -> str:
    header = [
        "标准 / standard",
        "故障 / fault",
        "本套件 / this suite",
        "Schemathesis",
        "req",
        "req/s",
        "st req",
        "st req/s",
    ]
    body = []
    for r in rows:
        if r.fault:
            ours, theirs = (
                verdict(r.suite, r.suite_new),
                verdict(r.schemathesis, r.schemathesis_new),
            )
        else:
            ours = f"FP {len(r.suite.failures)}" if r.suite.completed else "ERROR"
            theirs = f"FP {len(r.schemathesis.failures)}" if r.schemathesis.completed else "ERROR"
        body.append(
            [
                r.standard,
                r.fault or "(no fault / 无故障)",
                ours,
                theirs,
                str(r.suite.requests),
                f"{r.suite.rate:.0f}",
                str(r.schemathesis.requests),
                f"{r.schemathesis.rate:.0f}",
            ]
        )
    out = [
        f"检出结果 / Detection (max-examples={args.max_examples}, seed={args.seed}; "
        "detected = a failure not reported on the correct candidate; FP = distinct failures "
        "on the correct candidate)",
        table(header, body),
        "",
        "新增失败 / What each tool reported beyond the correct candidate:",
    ]
    for r in rows:
        if not r.fault:
            continue
        out.append(f"  {r.fault} ({r.standard})")
        out.append(f"    this suite:   {', '.join(r.suite_new) or '-'}")
        out.append(f"    Schemathesis: {', '.join(r.schemathesis_new) or '-'}")
    out.append("")
    out.append("正确实现上的失败 / Failures on the correct candidate (false positives):")
    for r in rows:
        if not r.fault:
            out.append(
                f"  {r.standard} this suite: {r.suite.fail_results} FAIL result(s) "
                f"{r.suite.failures or ''}"
            )
            out.append(
                f"  {r.standard} Schemathesis: {r.schemathesis.fail_results} unique failure(s) "
                f"{r.schemathesis.failures or ''}"
            )
    s = summary
    ratio = s["rate_ratio_suite_over_schemathesis"]
    out += [
        "",
        "合计 / Totals",
        f"  故障数 / faults:                                  {s['faults']}",
        f"  本套件检出 / detected by this suite:              {s['detected_by_suite']}",
        f"  Schemathesis 检出 / detected by Schemathesis:     {s['detected_by_schemathesis']}",
        f"  仅本套件检出 / only this suite:                   {len(s['only_suite'])} "
        f"{s['only_suite']}",
        f"  仅 Schemathesis 检出 / only Schemathesis:         {len(s['only_schemathesis'])} "
        f"{s['only_schemathesis']}",
        f"  本套件漏检 / missed by this suite:                {s['missed_by_suite']}",
        "  误报（正确实现）/ false positives, correct candidate: this suite "
        f"{sum(len(v['distinct']) for v in s['false_positives_suite'].values())}, "
        f"Schemathesis "
        f"{sum(len(v['distinct']) for v in s['false_positives_schemathesis'].values())}",
        f"  运行错误 / errors: this suite {s['errors_suite']}, "
        f"Schemathesis {s['errors_schemathesis']}",
        f"  本套件 / this suite:    {s['suite_requests']} requests in "
        f"{s['suite_seconds']:.1f}s = {s['suite_requests_per_s']:.1f} req/s",
        f"  Schemathesis:           {s['schemathesis_requests']} requests in "
        f"{s['schemathesis_seconds']:.1f}s = {s['schemathesis_requests_per_s']:.1f} req/s",
        f"  速率比 / req/s ratio (this suite / Schemathesis): "
        f"{'n/a' if ratio is None else f'{ratio:.2f}'}",
        f"  含启动 / end to end, with loading and start-up: this suite "
        f"{s['suite_requests'] / max(s['suite_wall_s'], 1e-9):.1f} req/s, Schemathesis "
        f"{s['schemathesis_requests'] / max(s['schemathesis_wall_s'], 1e-9):.1f} req/s",
    ]
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="this suite vs Schemathesis on the reference candidate's faults (loopback)"
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=25,
        help="generated examples per operation, for both tools (default 25)",
    )
    parser.add_argument("--quick", action="store_true", help="one standard, a few faults")
    parser.add_argument(
        "--behaviour",
        action="store_true",
        help="the behaviour faults of issue 18 instead, every seed of --seeds",
    )
    parser.add_argument(
        "--seeds", type=int, default=5, help="with --behaviour: seeds 1..N (default 5)"
    )
    parser.add_argument(
        "--schemathesis-seeds",
        type=int,
        default=0,
        help="with --behaviour: Schemathesis on the first N seeds only (default: every seed)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--seed", type=int, default=1, help="seed of both tools (default 1)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds allowed to each tool run (default 300)",
    )
    args = parser.parse_args(argv)
    if args.max_examples < 1:
        parser.error(f"--max-examples {args.max_examples}: expected 1 or more")
    if args.timeout <= 0:
        parser.error(f"--timeout {args.timeout}: expected a positive number of seconds")
    if args.json is not None and args.json.is_dir():
        parser.error(f"--json {args.json}: is a directory, expected a file path")
    return args


def _conditions() -> str:
    """Date, machine and load, printed at the top of a result file."""
    import platform

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return (
        f"date {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; machine "
        f"{platform.machine()} {platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} at start"
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if importlib.util.find_spec("schemathesis") is None:
        print(
            "error: Schemathesis is not installed; run: pip install -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    versions = {name: _version(name) for name in ("gov-conformance", "schemathesis", "hypothesis")}
    started = time.perf_counter()
    if args.behaviour:
        print(_conditions(), flush=True)
        try:
            with tempfile.TemporaryDirectory(prefix="bench-behaviour-") as folder:
                found = behaviour_bench(args, Path(folder))
        except BenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(render_behaviour(found, args))
        print(f"\n(benchmark wall time {time.perf_counter() - started:.0f}s; versions {versions})")
        if args.json is not None:
            data = {"versions": versions, "rows": [dataclasses.asdict(r) for r in found]}
            args.json.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0 if all(not r.suite_missed for r in found) else 1
    try:
        with tempfile.TemporaryDirectory(prefix="bench-probe-") as folder:
            rows = bench(args, Path(folder))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = totals(rows)
    print(render(rows, summary, args))
    print(f"\n(benchmark wall time {time.perf_counter() - started:.0f}s; versions {versions})")
    if args.json is not None:
        figures = {
            "settings": {
                "max_examples": args.max_examples,
                "seed": args.seed,
                "quick": args.quick,
                "timeout_s": args.timeout,
            },
            "versions": versions,
            "rows": [dataclasses.asdict(r) for r in rows],
            "totals": summary,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
        print(f"figures written to {args.json}")
    incomplete = [r for r in rows if not (r.suite.completed and r.schemathesis.completed)]
    return 1 if incomplete else 0


if __name__ == "__main__":
    raise SystemExit(main())
