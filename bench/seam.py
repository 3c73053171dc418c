#!/usr/bin/env python3
"""Benchmark and equivalence check of the run seam: one tree against another, same run.

Two questions, each answered by running ``conformance run`` (the real command line, in a
subprocess) from two source trees (a git revision exported to a temporary folder, and this
checkout) side by side, so that both are measured on the same machine under the same load:

``equivalence``
    For every standard the reference candidate claims and every seed given, a fresh reference
    candidate (on a fixed loopback port, with its ids drawn from a seeded generator so that
    the requests that follow a ``POST`` are reproducible) is probed by each tree. The
    ``requests_sha256`` of both must be equal, and results.json equal once what differs by
    nature is set aside (times, run ids, durations, latencies, the tree's own path).

The table shows, per run, the first 16 hex digits of ``requests_sha256`` and of the SHA-256
of the normalised results.json (canonical JSON), so that a recorded table is compared with a
later one without keeping the files (``--out DIR`` writes them).

``startup``
    The run's start-up cost: seconds from the command's ``main()`` to the first request sent
    to the candidate (the child stops there), and how many times one run calls ``prepare``,
    lints the standard, loads it, builds its schema set and validates example files before
    that first request (counted with a profile hook in a separate pass, so that counting
    does not slow the timed pass).

``generation``
    The generator alone: for every schema of the JSON Schema Test Suite (draft 2020-12), 15
    valid and 15 single-fault invalid values drawn with Hypothesis derandomized (and local
    constants off, as the engine generates), in each tree; the digests of the values must
    be equal (the same refusals too).

    python bench/seam.py equivalence --base REV [--seeds 1,7] [--max-examples 10] [--out DIR]
    python bench/seam.py startup --base REV [--repeat 7]
    python bench/seam.py generation --base REV --suite DIR

``--base REV`` is any git revision of this repository; ``--base none`` measures this checkout
alone (the form used to record a baseline before a change). Exit code 0 when everything
agrees, 1 when a comparison differs or a run fails, 2 when the benchmark cannot start.
This is a script, not a test: see bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "reference_candidate"
TOKEN_ENV = "REFERENCE_CANDIDATE_TOKEN"  # noqa: S105 - the name of a variable, not a secret
STANDARDS = ("gov.e-licence@1.1.0", "gov.service-case@1.0.0", "gov.data-catalogue@1.0.0")
# (standard, fault of the reference candidate or "" for none): passes, and failures with
# their evidence, shrunk requests and curl lines
RUNS = (
    (STANDARDS[0], ""),
    (STANDARDS[0], "bad-id-check-char"),
    (STANDARDS[0], "auth-not-enforced"),
    (STANDARDS[1], ""),
    (STANDARDS[1], "case-created-not-readable"),
    (STANDARDS[1], "case-filter-ignored"),
    (STANDARDS[2], ""),
)
START_TIMEOUT_S = 15.0
RUN_TIMEOUT_S = 600.0

# The reference candidate, with uuid4 drawn from a seeded generator (a created case's id is
# sent back in the requests that follow it, so a random id would change requests_sha256).
SERVER_LAUNCHER = (
    "import random, runpy, sys, uuid\n"
    "_rng = random.Random(20261206)\n"
    "uuid.uuid4 = lambda: uuid.UUID(int=_rng.getrandbits(128), version=4)\n"
    "sys.argv = [sys.argv[1], *sys.argv[2:]]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)

# Run ``conformance`` (argv after the script) and stop at the first request the client sends,
# writing the seconds from main() to it into the file named by argv[1]; or, with COUNT set,
# count calls of the functions below (by qualified name, in this package) up to that request.
STARTUP_CHILD = r"""
import json, os, sys, time
out = sys.argv[1]
sys.argv = ["conformance", *sys.argv[2:]]
counting = os.environ.get("SEAM_BENCH_COUNT") == "1"
TARGETS = {
    "prepare": "prepare",
    "lint_folder": "lint",
    "lint_standard": "lint",
    "load_standard": "load_standard",
    "SchemaSet.__init__": "schema_set",
    "_Linter._examples": "example_files",
    "_Linter._export_examples": "export_examples",
    "load_operations": "load_operations",
}
counts = {name: 0 for name in TARGETS.values()}
started = time.perf_counter()
from conformance.engine import http

original = http.Client.send

def first_request(self, request, *args, **kwargs):
    sys.setprofile(None)
    seconds = time.perf_counter() - started
    with open(out, "w") as handle:
        json.dump({"seconds": seconds, "counts": counts}, handle)
    os._exit(0)

http.Client.send = first_request
if counting:
    root = os.path.dirname(os.path.dirname(http.__file__))

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            name = TARGETS.get(code.co_qualname)
            if name is not None and code.co_filename.startswith(root):
                counts[name] += 1

    sys.setprofile(profile)
from conformance.cli import main
code = main()
sys.setprofile(None)
with open(out, "w") as handle:
    json.dump({"seconds": None, "counts": counts, "exit_code": code}, handle)
"""


class BenchError(Exception):
    """The benchmark could not run; the message says why."""


@contextmanager
def tree_of(rev: str) -> Iterator[Path]:
    """A source tree of ``rev`` (``git archive``) in a temporary folder; removed after."""
    with tempfile.TemporaryDirectory(prefix="seam-bench-") as scratch:
        archive = Path(scratch) / "tree.tar"
        done = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), rev],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"git archive {rev}: {done.stderr.strip()}")
        target = Path(scratch) / "tree"
        target.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        yield target


@contextmanager
def trees(base: str, head: str | None = None) -> Iterator[list[tuple[str, Path]]]:
    """The trees compared: ``base`` (unless "none") and this checkout, or revision ``head``."""
    with ExitStack() as stack:
        found = []
        if base != "none":
            found.append((f"base {base}", stack.enter_context(tree_of(base))))
        if head is None:
            found.append(("this checkout", ROOT))
        else:
            found.append((f"head {head}", stack.enter_context(tree_of(head))))
        yield found


@contextmanager
def candidate(port: int, token: str, fault: str = "") -> Iterator[str]:
    """A fresh reference candidate on 127.0.0.1:port, with ``fault`` on; stopped after."""
    with tempfile.TemporaryDirectory() as scratch:
        port_file = Path(scratch) / "port"
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER_LAUNCHER,
                str(FIXTURE / "server.py"),
                "--port",
                str(port),
                "--token-env",
                TOKEN_ENV,
                "--port-file",
                str(port_file),
                *(["--fault", fault] if fault else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, TOKEN_ENV: token, "PYTHONPATH": str(ROOT)},
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not (port_file.is_file() and port_file.read_text().strip()):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(f"the reference candidate did not start on port {port}")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port_file.read_text().strip()}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(tree: Path, token: str) -> dict[str, str]:
    env = {**os.environ, TOKEN_ENV: token, "PYTHONPATH": str(tree)}
    env.pop("CONFORMANCE_STANDARDS_PATH", None)
    return env


def run_args(standard: str, url: str, seed: int, max_examples: int, reports: Path) -> list[str]:
    return [
        "run",
        "--standard",
        standard,
        "--candidate",
        str(FIXTURE / "candidate.yaml"),
        "--standards-dir",
        str(ROOT / "standards"),
        "--seed",
        str(seed),
        "--run-id",
        "bench",
        "--reports-dir",
        str(reports),
        "--max-examples",
        str(max_examples),
        "--base-url",
        url,
    ]


# ------------------------------------------------------------------ equivalence

VARYING = ("run_id", "started_at", "finished_at", "latency_ms")
# added by the run seam on purpose (the results a run owes); compared as "present or not"
ADDED = ("plan",)
# a time of day in a response body (the reference candidate's ``checked_at``, ``updated_at``)
NOW = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def _timeless(node: Any) -> None:
    """Drop the response times, Date headers and clock times inside response evidence."""
    if isinstance(node, dict):
        response = node.get("response")
        if isinstance(response, dict):
            response.pop("elapsed_ms", None)
            headers = response.get("headers")
            if isinstance(headers, dict):
                headers.pop("Date", None)
            if isinstance(response.get("body"), str):
                response["body"] = NOW.sub("<time>", response["body"])
        for value in node.values():
            _timeless(value)
    elif isinstance(node, list):
        for value in node:
            _timeless(value)


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """results.json without what differs by nature between two runs of the same requests."""
    kept = {k: v for k, v in data.items() if k not in VARYING and k not in ADDED}
    text = json.dumps(kept, ensure_ascii=False)
    text = text.replace(str(ROOT), "<root>")
    clean: dict[str, Any] = json.loads(text)
    for result in clean.get("results", []):
        result.pop("duration_s", None)
        if result.get("check") == "response_time":
            result.pop("message", None)  # the slowest latency seen
            for failure in result.get("failures", []):
                failure.pop("message", None)
                failure.pop("evidence", None)
    _timeless(clean)
    return clean


def equivalence(args: argparse.Namespace) -> int:
    seeds = [int(s) for s in args.seeds.split(",")]
    port = args.port or free_port()
    token = secrets.token_urlsafe(24)
    out = Path(args.out) if args.out else None
    rows: list[tuple[str, int, str, str, str, str]] = []
    agree = True
    with trees(args.base, args.head) as sources, tempfile.TemporaryDirectory() as scratch:
        for standard, fault in RUNS:
            for seed in seeds:
                seen: dict[str, tuple[str, dict[str, Any]]] = {}
                label = f"{standard}{' ' + fault if fault else ''}"
                for name, tree in sources:
                    reports = Path(scratch) / f"{len(seen)}-{standard}-{fault}-{seed}"
                    with candidate(port, token, fault) as url:
                        done = subprocess.run(
                            [
                                sys.executable,
                                "-m",
                                "conformance",
                                *run_args(standard, url, seed, args.max_examples, reports),
                            ],
                            capture_output=True,
                            text=True,
                            env=child_env(tree, token),
                            cwd=scratch,
                            timeout=RUN_TIMEOUT_S,
                            check=False,
                        )
                    results = reports / "bench" / "results.json"
                    if not results.is_file():
                        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
                        raise BenchError(f"{name}: {label} seed {seed}: no results.json")
                    data = json.loads(results.read_text(encoding="utf-8"))
                    seen[name] = (data["requests_sha256"], normalise(data))
                    canonical = json.dumps(seen[name][1], ensure_ascii=False, sort_keys=True)
                    rows.append(
                        (
                            label,
                            seed,
                            name,
                            data["requests_sha256"][:16],
                            hashlib.sha256(canonical.encode()).hexdigest()[:16],
                            f"{data['verdict']} exit {done.returncode} {data['summary']}",
                        )
                    )
                    if out is not None:
                        stem = f"{standard}{'-' + fault if fault else ''}-seed{seed}"
                        target = out / name.replace(" ", "-") / f"{stem}.json"
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text(
                            json.dumps(seen[name][1], ensure_ascii=False, indent=1, sort_keys=True)
                            + "\n",
                            encoding="utf-8",
                        )
                values = list(seen.values())
                for other in values[1:]:
                    if other[0] != values[0][0]:
                        agree = False
                        print(f"DIFFERENT requests_sha256: {label} seed {seed}")
                    if other[1] != values[0][1]:
                        agree = False
                        print(f"DIFFERENT results.json: {label} seed {seed}")
                        show_difference(values[0][1], other[1])
    print(header(args))
    print(
        f"{'standard and fault':<50} {'seed':>4}  {'tree':<16} {'requests_sha256':<17} "
        f"{'results (norm.)':<17} outcome"
    )
    for label, seed, name, digest, results_digest, outcome in rows:
        print(f"{label:<50} {seed:>4}  {name:<16} {digest:<17} {results_digest:<17} {outcome}")
    if len(rows) > len(RUNS) * len(seeds):
        print("equal requests_sha256 and results.json: " + ("yes" if agree else "NO"))
    return 0 if agree else 1


def show_difference(a: Any, b: Any, path: str = "", limit: list[int] | None = None) -> None:
    limit = limit if limit is not None else [20]
    if limit[0] <= 0:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            show_difference(a.get(key), b.get(key), f"{path}/{key}", limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            show_difference(x, y, f"{path}/{index}", limit)
    elif a != b:
        limit[0] -= 1
        print(f"  {path}: {str(a)[:200]!r} != {str(b)[:200]!r}")


# ------------------------------------------------------------------ generation

GENERATION_CHILD = r"""
import hashlib, json, pathlib, sys, warnings
warnings.simplefilter("ignore")
from hypothesis import HealthCheck, Phase, given, settings
from conformance.engine._hypothesis import seed_only_generation
from conformance.generation import (
    UnsatisfiableSchema, UnsupportedSchema, from_schema, invalid_from_schema,
)
digest, counts = hashlib.sha256(), {"schemas": 0, "values": 0, "refused": 0}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    for number, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        for kind, make in (("valid", from_schema), ("invalid", invalid_from_schema)):
            tag = f"{path.name}#{number}:{kind}"
            try:
                strategy = make(group["schema"])
            except (UnsatisfiableSchema, UnsupportedSchema) as exc:
                digest.update(f"{tag} {type(exc).__name__} {exc}".encode())
                counts["refused"] += 1
                continue
            seen = []

            @settings(derandomize=True, database=None, max_examples=15, deadline=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(strategy)
            def draw(value):
                shown = [value.value, value.keyword, value.pointer] if kind == "invalid" else value
                seen.append(json.dumps(shown, sort_keys=True, default=repr))

            try:
                with seed_only_generation():
                    draw()
            except Exception as exc:
                seen.append(f"raised {type(exc).__name__}")
            counts["schemas"] += 1
            counts["values"] += len(seen)
            digest.update((tag + "\n" + "\n".join(seen)).encode())
print(json.dumps({**counts, "sha256": digest.hexdigest()}))
"""


def generation(args: argparse.Namespace) -> int:
    suite = Path(args.suite)
    if not suite.is_dir():
        raise BenchError(f"--suite {suite}: no such folder (the suite's draft2020-12 folder)")
    found: list[tuple[str, dict[str, Any]]] = []
    with trees(args.base, args.head) as sources:
        for name, tree in sources:
            done = subprocess.run(
                [sys.executable, "-c", GENERATION_CHILD, str(suite)],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(tree)},
                timeout=RUN_TIMEOUT_S * 3,
                check=False,
            )
            if done.returncode != 0:
                raise BenchError(f"{name}: {done.stderr.strip()[-2000:]}")
            found.append((name, json.loads(done.stdout.strip().splitlines()[-1])))
    print(header(args))
    for name, figures in found:
        print(
            f"{name:<22} {figures['schemas']} schemas generated from, {figures['values']} "
            f"values, {figures['refused']} refused; sha256 {figures['sha256'][:16]}"
        )
    same = len({figures["sha256"] for _, figures in found}) == 1
    if len(found) > 1:
        print("the same values: " + ("yes" if same else "NO"))
    return 0 if same else 1


# ------------------------------------------------------------------ start-up


def startup(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(24)
    standard = STANDARDS[0]
    timings: dict[str, list[float]] = {}
    counts: dict[str, dict[str, int]] = {}
    with (
        trees(args.base, args.head) as sources,
        tempfile.TemporaryDirectory() as scratch,
        candidate(free_port(), token) as url,
    ):
        figures = Path(scratch) / "figures.json"

        def once(tree: Path, count: bool) -> dict[str, Any]:
            figures.unlink(missing_ok=True)
            env = child_env(tree, token)
            if count:
                env["SEAM_BENCH_COUNT"] = "1"
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    STARTUP_CHILD,
                    str(figures),
                    *run_args(standard, url, 1, 10, Path(scratch) / "reports"),
                ],
                capture_output=True,
                env=env,
                cwd=scratch,
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
            if not figures.is_file():
                raise BenchError(f"{tree}: the run stopped before its first request")
            data: dict[str, Any] = json.loads(figures.read_text())
            if data.get("seconds") is None:
                raise BenchError(f"{tree}: the run sent no request (exit {data.get('exit_code')})")
            return data

        for name, tree in sources:
            counts[name] = once(tree, count=True)["counts"]
        for _ in range(args.repeat):  # interleaved, so that both see the same load
            for name, tree in sources:
                timings.setdefault(name, []).append(once(tree, count=False)["seconds"])
    print(header(args))
    print(f"start-up of `conformance run --standard {standard}`: main() to the first request")
    names = [name for name, _ in sources]
    print(f"{'':<28}" + "".join(f"{n:>22}" for n in names))
    for metric in ("median s", "min s"):
        pick = statistics.median if metric == "median s" else min
        print(f"{metric:<28}" + "".join(f"{pick(timings[n]):>22.3f}" for n in names))
    for key in counts[names[0]]:
        print(f"{'calls: ' + key:<28}" + "".join(f"{counts[n][key]:>22}" for n in names))
    if len(names) == 2:
        ratio = statistics.median(timings[names[1]]) / statistics.median(timings[names[0]])
        print(f"ratio ({names[1]} / {names[0]}), medians: {ratio:.2f}")
    return 0


def header(args: argparse.Namespace) -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?", "?", "?")
    return (
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"bench/seam.py {' '.join(sys.argv[1:])}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("equivalence", help="same requests and results.json, base vs this tree")
    p.add_argument("--base", default="main", help="git revision to compare with, or none")
    p.add_argument("--head", help="git revision to measure instead of this checkout")
    p.add_argument("--seeds", default="1,7")
    p.add_argument("--max-examples", type=int, default=10)
    p.add_argument("--port", type=int, default=0, help="fixed candidate port (default: free)")
    p.add_argument("--out", help="write each normalised results.json under this folder")
    p.set_defaults(func=equivalence)
    p = sub.add_parser("generation", help="the same generated values, base vs this tree")
    p.add_argument("--base", default="main", help="git revision to compare with, or none")
    p.add_argument("--head", help="git revision to measure instead of this checkout")
    p.add_argument(
        "--suite",
        default=str(ROOT / "tests" / "data" / "json-schema-test-suite" / "draft2020-12"),
        help="the JSON Schema Test Suite's draft2020-12 folder",
    )
    p.set_defaults(func=generation)
    p = sub.add_parser("startup", help="main() to first request, and calls before it")
    p.add_argument("--base", default="main", help="git revision to compare with, or none")
    p.add_argument("--head", help="git revision to measure instead of this checkout")
    p.add_argument("--repeat", type=int, default=7)
    p.set_defaults(func=startup)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
