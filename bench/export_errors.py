#!/usr/bin/env python3
"""Benchmark: what a refused record costs JSON Lines validation, against an accepted one.

For each schema of a kept corpus (``bench/export_corpus.py --keep DIR``), four files are
made from its seeded file (1% of the records with one error each): none, a quarter, half
and all of the seeded records kept, the valid records always. Each is validated in this
process, warm, the files alternated, ``--repeat`` times; the median CPU time of each, then
the least-squares cost per refused record and per accepted one, and orjson's cost per
record on the same lines (the floor of bench/export_corpus.py) are printed.

    python bench/export_errors.py --corpus DIR [--schemas person,contact] [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARES = (0, 4, 2, 1)  # keep none, every 4th, every 2nd, every seeded record


def _files(corpus: Path, name: str, scratch: Path) -> list[tuple[Path, int, int]]:
    """(file, valid records, refused records) for each share of the seeded records."""
    folder = next(corpus.glob(f"{name}-*"))
    seeded = (folder / f"{name}.jsonl").read_bytes().split(b"\n")[:-1]
    clean = set((folder / f"{name}.clean.jsonl").read_bytes().split(b"\n"))
    made = []
    for share in SHARES:
        kept: list[bytes] = []
        bad = 0
        for line in seeded:
            if line in clean:
                kept.append(line)
                continue
            if share and bad % share == 0:
                kept.append(line)
            bad += 1
        refused = len(kept) - sum(1 for line in kept if line in clean)
        path = scratch / f"{name}-{share}.jsonl"
        path.write_bytes(b"\n".join(kept) + b"\n")
        made.append((path, len(kept) - refused, refused))
    return made


def _floor(path: Path) -> float:
    """CPU seconds of bench/export_corpus.py's JSON Lines floor (orjson) on ``path``."""
    from export_corpus import tool_floor_jsonl

    started = time.process_time()
    tool_floor_jsonl(path, None)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--schemas", default="person,contact")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conformance._process import single_threaded_blas

    single_threaded_blas()  # as the conformance program runs
    from export_corpus import _machine

    from conformance.exports import validate_export
    from conformance.standards.loader import load_standard

    for line in _machine():
        print(line, flush=True)
    print(f"warm, in one process, files alternated, median of {args.repeat}; CPU ms")
    with tempfile.TemporaryDirectory(prefix="bench-errors-") as scratch:
        for name in args.schemas.split(","):
            standard = args.corpus / "standards" / f"bench.{name}" / "1.0.0"
            spec = load_standard(standard).export(f"{name}-jsonl")
            files = _files(args.corpus, name, Path(scratch))
            times: dict[Path, list[float]] = {path: [] for path, _, _ in files}
            for path in times:  # once each first: compilation left out
                validate_export(spec, path)
            for _ in range(args.repeat):
                for path in times:
                    started = time.process_time()
                    validate_export(spec, path)
                    times[path].append(time.process_time() - started)
            rows = [
                (valid, refused, statistics.median(times[path])) for path, valid, refused in files
            ]
            for valid, refused, cpu in rows:
                print(f"  {name:8s} {valid:7,} valid {refused:5,} refused  {cpu * 1000:7.1f} ms")
            # cost = a + b * refused (the valid records are the same in every file)
            xs = [refused for _, refused, _ in rows]
            ys = [cpu for _, _, cpu in rows]
            slope = statistics.linear_regression(xs, ys).slope
            base = rows[0][2] / rows[0][0]
            floor = statistics.median(_floor(files[-1][0]) for _ in range(args.repeat))
            per_floor = floor / (files[-1][1] + files[-1][2])
            print(
                f"  {name:8s} per refused record {slope * 1e6:.1f} us, per valid record "
                f"{base * 1e6:.2f} us (the file without errors), orjson per record "
                f"{per_floor * 1e6:.2f} us: a refused record costs "
                f"{slope / per_floor:.0f} times the floor's"
            )
    after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"uptime after: {after}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
