#!/usr/bin/env python3
"""Benchmark: the CPU time numpy's OpenBLAS workers cost a process that barely uses BLAS.

Each run is a fresh process that imports numpy, as the export checks do, then validates one
JSON Lines export (``--corpus DIR``, kept by ``bench/export_corpus.py --keep DIR``) or,
without a corpus, sleeps ``--idle`` seconds; its CPU time (all threads, from ``wait4``) and
its threads after the import are printed. Runs alternate between ``OPENBLAS_NUM_THREADS``
unset (OpenBLAS starts a worker per core) and ``1`` (what ``conformance`` sets for its own
process: conformance/_process.py). The medians and their difference come last.

    python bench/blas_workers.py [--runs 9] [--idle 0.3] [--corpus DIR --schema person]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300

# the child: numpy loaded, its threads counted, then the work (or the idle wait) timed
CHILD = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
started = time.process_time()
import numpy
threads = len(os.listdir("/proc/self/task"))
corpus, schema, idle = sys.argv[2], sys.argv[3], float(sys.argv[4])
if corpus:
    from pathlib import Path
    from conformance.exports import validate_export
    from conformance.standards.loader import load_standard
    base = Path(corpus)
    spec = load_standard(base / "standards" / f"bench.{schema}" / "1.0.0").export(f"{schema}-jsonl")
    files = sorted((base).glob(f"{schema}-*/{schema}.jsonl"))
    validate_export(spec, files[0])
else:
    time.sleep(idle)
print(json.dumps({"threads": threads, "cpu": time.process_time() - started}))
"""


def _run(corpus: str, schema: str, idle: float, blas: str | None) -> dict[str, float]:
    env = dict(os.environ)
    env.pop("OPENBLAS_NUM_THREADS", None)
    if blas is not None:
        env["OPENBLAS_NUM_THREADS"] = blas
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), corpus, schema, str(idle)],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT_S,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--idle", type=float, default=0.3)
    parser.add_argument("--corpus", default="")
    parser.add_argument("--schema", default="person")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from export_corpus import _machine

    for line in _machine():
        print(line, flush=True)
    work = f"validate {args.schema} JSON Lines in {args.corpus}" if args.corpus else "idle"
    print(f"each process: import numpy, then {work} ({args.runs} runs per setting, alternated)")
    found: dict[str, list[dict[str, float]]] = {"unset": [], "1": []}
    for _ in range(args.runs):
        for label, blas in (("unset", None), ("1", "1")):
            found[label].append(_run(args.corpus, args.schema, args.idle, blas))
    medians = {}
    for label, runs in found.items():
        cpus = [run["cpu"] * 1000 for run in runs]
        medians[label] = statistics.median(cpus)
        threads = sorted({int(run["threads"]) for run in runs})
        print(
            f"OPENBLAS_NUM_THREADS={label:5s} threads after import {threads}  "
            f"CPU ms median {medians[label]:7.1f}  runs {[round(c, 1) for c in cpus]}"
        )
    saved = medians["unset"] - medians["1"]
    print(
        f"one BLAS thread saves {saved:.1f} ms of CPU per process ({saved / medians['unset']:.0%})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
