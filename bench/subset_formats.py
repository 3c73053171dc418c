#!/usr/bin/env python3
"""Benchmark: JSON Lines records whose format values lie outside the fast path's patterns.

The fast path mirrors ``hostname``, ``email``, ``uri`` and ``date-time`` as patterns that
accept a common subset (``conformance.exports._fast.format_patterns``). This script writes
files of records that are all valid, in four kinds: plain values (every value in the
subsets), every hostname with an A-label (``xn--``), every email with UTF-8 characters, and
both. For each it measures, in this process and in CPU time, orjson parsing the file's lines
alone (the floor) and ``validate_export`` with every path offered, then prints the ratio of
the two rates and which paths took the records (``ExportReport.paths``).

    python bench/subset_formats.py [--records N] [--repeat R]

A script, not a test (see bench/README.md). The machine may be shared: compare ratios of
one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from conformance.exports import validate_export
from conformance.standards.model import ExportSpec, Text

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "host", "contact", "site", "updated", "division"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^S-[0-9]{6}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 60},
        "host": {"type": "string", "format": "hostname"},
        "contact": {"type": "string", "format": "email"},
        "site": {"type": "string", "format": "uri"},
        "updated": {"type": "string", "format": "date-time"},
        "division": {"type": "string", "format": "cn-division-code"},
        "count": {"type": "integer", "minimum": 0},
    },
}
A_LABELS = ("xn--bcher-kva.example", "xn--fiqs8s.gov.cn", "xn--55qx5d.cn", "xn--io0a7i.cn")
UTF8_MAILBOXES = ("用户{i}@例子.公司", "josé.{i}@example.org", "王{i}@政务.中国")
DIVISIONS = ("110105", "310115", "330106", "440305")


def record(i: int, kind: str) -> dict[str, Any]:
    host = f"svc{i}.service.gov.cn"
    contact = f"user.{i}@example.gov.cn"
    if kind in ("a-label", "both"):
        host = f"svc{i}.{A_LABELS[i % len(A_LABELS)]}"
    if kind in ("utf8-email", "both"):
        contact = UTF8_MAILBOXES[i % len(UTF8_MAILBOXES)].format(i=i)
    return {
        "id": f"S-{i:06d}",
        "name": f"服务 {i}",
        "host": host,
        "contact": contact,
        "site": f"https://{host}/services/{i}?lang=zh-CN",
        "updated": f"2026-0{1 + i % 9}-{1 + i % 28:02d}T08:{i % 60:02d}:00+08:00",
        "division": DIVISIONS[i % len(DIVISIONS)],
        "count": i % 1000,
    }


def cpu(action: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        action()
        best = min(best, time.process_time() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "standard.yaml").write_text("id: bench\n", encoding="utf-8")
        schema_path = folder / "record.schema.json"
        schema_path.write_text(json.dumps(SCHEMA), encoding="utf-8")
        spec = ExportSpec(
            name="services",
            title=Text("服务", "Services"),
            format="jsonl",
            schema_path=schema_path,
            clauses=("BENCH-001",),
            key=("id",),
        )
        print(f"{args.records} records a file, best of {args.repeat} runs, CPU time")
        print(f"{'kind':<11} {'orjson rec/s':>13} {'suite rec/s':>12} {'ratio':>7}  paths")
        for kind in ("plain", "a-label", "utf8-email", "both"):
            path = folder / f"{kind}.jsonl"
            lines = [json.dumps(record(i, kind), ensure_ascii=False) for i in range(args.records)]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")

            def parse(path: Path = path) -> None:
                for line in path.read_bytes().split(b"\n"):
                    if line:
                        orjson.loads(line)

            floor = cpu(parse, args.repeat)
            reports: list[Any] = []

            def run(path: Path = path, reports: list[Any] = reports) -> None:
                reports.append(validate_export(spec, path))

            suite = cpu(run, args.repeat)
            report = reports[-1]
            if report.issues or report.records != args.records:
                print(f"{kind}: unexpected report {report.records} {report.issues[:3]}")
                return 1
            taken = ", ".join(f"{name} {count}" for name, count in sorted(report.paths.items()))
            print(
                f"{kind:<11} {args.records / floor:>13,.0f} {args.records / suite:>12,.0f} "
                f"{floor / suite:>7.3f}  {taken or 'exact checker only'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
