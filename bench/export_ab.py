#!/usr/bin/env python3
"""Benchmark: this checkout's export validation against an earlier commit's, same files.

A ratio against a floor moves with the machine (the floor process moves too); a change's own
effect is measured better by running the old and the new code in turn on the same files. This
script checks out ``--base`` (a commit) into a temporary git worktree, then, ``--rounds``
times, runs one process per tree (alternated, base first) that validates each schema's JSON
Lines file of a kept corpus (``bench/export_corpus.py --keep DIR``: its 1%-error file, and
the same file without those lines) ``--repeat`` times after one unmeasured run, and reads its
CPU time around ``validate_export`` (imports and the first run excluded: a warm process). It
prints, per schema and tree, the median of every measured run, the orjson floor of the same
file in the same process, and the cost of a refused record (error file less clean file, over
the errors seeded).

    python bench/export_corpus.py --records 50000 --formats jsonl --keep /tmp/corpus
    python bench/export_ab.py --base COMMIT --corpus /tmp/corpus [--schemas a,b]
                              [--rounds 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from export_corpus import INVALID_SHARE, _machine  # noqa: E402

TIMEOUT_S = 900

# Run in a child process with the tree to measure first on sys.path.
CHILD = """
import json, sys, time
tree, corpus, names, repeat = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
sys.path.insert(0, tree)
from pathlib import Path
import orjson
import conformance.exports
from conformance.exports import validate_export
from conformance.standards.loader import load_standard
assert conformance.exports.__file__.startswith(tree), conformance.exports.__file__
out = {}
for name in names:
    spec = load_standard(Path(corpus) / "standards" / f"bench.{name}" / "1.0.0").export(
        f"{name}-jsonl"
    )
    errors = Path(corpus) / f"{name}-{sys.argv[5]}" / f"{name}.jsonl"
    clean = errors.with_name(f"{name}.clean.jsonl")
    def floor(path):
        with path.open("rb") as stream:
            for line in stream:
                orjson.loads(line)
    runs = {"errors": [], "clean": [], "floor": []}
    for index in range(repeat + 1):
        for key, run in (
            ("errors", lambda: validate_export(spec, errors)),
            ("clean", lambda: validate_export(spec, clean)),
            ("floor", lambda: floor(errors)),
        ):
            started = time.process_time()
            run()
            if index:  # the first run warms the process
                runs[key].append(time.process_time() - started)
    out[name] = runs
print(json.dumps(out))
"""


def _clean_copy(errors: Path) -> Path:
    """The error file without its seeded lines (record numbers ``n % INVALID_SHARE == 50``,
    as ``export_corpus.generate`` seeds them)."""
    clean = errors.with_name(errors.stem + ".clean.jsonl")
    if not clean.exists():
        lines = errors.read_bytes().splitlines(keepends=True)
        kept = (line for n, line in enumerate(lines, 1) if n % INVALID_SHARE != 50)
        clean.write_bytes(b"".join(kept))
    return clean


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--corpus", type=Path, required=True, help="export_corpus.py --keep DIR")
    parser.add_argument("--schemas", default="dataset,person,contact,order,stats,event")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    names = args.schemas.split(",")
    for name in names:
        errors = args.corpus / f"{name}-{args.records}" / f"{name}.jsonl"
        if not errors.is_file():
            print(f"error: {errors}: no such file (run export_corpus.py --keep)", file=sys.stderr)
            return 2
        _clean_copy(errors)
    for line in _machine():
        print(line, flush=True)
    runs: dict[tuple[str, str], dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as scratch:
        base = Path(scratch) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
            check=True,
            capture_output=True,
        )
        try:
            trees = {"base": base, "this": ROOT}
            for _ in range(args.rounds):
                for label, tree in trees.items():
                    done = subprocess.run(
                        [
                            sys.executable,
                            "-c",
                            CHILD,
                            str(tree),
                            str(args.corpus),
                            ",".join(names),
                            str(args.repeat),
                            str(args.records),
                        ],
                        capture_output=True,
                        text=True,
                        timeout=TIMEOUT_S,
                        check=True,
                    )
                    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
                    for name, kinds in measured.items():
                        held = runs.setdefault((name, label), {})
                        for kind, values in kinds.items():
                            held.setdefault(kind, []).extend(values)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                check=False,
                capture_output=True,
            )
    seeded = args.records // INVALID_SHARE
    print(f"base {args.base}, {args.rounds} rounds x {args.repeat} warm runs, medians (ms)")
    print("schema   tree   errors  clean  floor  ratio  per refused")
    for name in names:
        for label in ("base", "this"):
            held = runs[(name, label)]
            errors, clean, floor = (statistics.median(held[k]) * 1000 for k in held)
            refused = (errors - clean) / seeded * 1000
            print(
                f"{name:8} {label:5} {errors:7.1f} {clean:6.1f} {floor:6.1f}"
                f"  {floor / errors:5.3f}  {refused:5.0f} µs"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
