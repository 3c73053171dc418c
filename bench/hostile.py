"""How long the suite takes on hostile inputs, against a clean input of the same kind.

The tests of hostile standards and exports (tests/test_hostile_*.py) assert what happens and
guard against a hang with a generous timeout; they assert no time, because a loaded CI machine
fails such assertions. The times live here instead: each hostile case is timed in this
process next to a clean input of the same kind measured in the same run, and printed with
their ratio (a ratio survives a loaded machine better than seconds do).

    python bench/hostile.py            # about a minute
    python bench/hostile.py --json reports/bench-hostile.json

Run from the repository root (it reads tests/data and the tests' builders).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import regex_validator
from conformance.exports import validate_export
from conformance.lint import lint_folder
from tests.test_exports import jsonl, make_spec, rec, write, xml_doc, xml_rows

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
VERSION = Path("test.minimal") / "1.0.0"
LINT_CASES = [  # the hostile standards committed in tests/data/broken
    "pattern-backtracking",
    "pattern-properties-backtracking",
    "unsatisfiable-schema",
    "unsatisfiable-parameter",
    "yaml-billion-laughs",
    "deep-nesting",
]


def best_of(work: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs (the least disturbed by other load)."""
    times = []
    for _ in range(repeat):
        regex_validator._RUNAWAY.clear()  # each run pays its own first timeout
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def cases(scratch: Path) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(name, hostile work, clean work of the same kind)."""
    clean_lint = DATA / "minimal" / VERSION
    found: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (f"lint {name}", lambda n=name: lint_folder(DATA / "broken" / n / VERSION),
         lambda: lint_folder(clean_lint))
        for name in LINT_CASES
    ]  # fmt: skip
    xml_spec = make_spec(scratch / "xml", "xml")
    plain_xml = xml_doc(xml_rows(3))
    deep = "<a>" * 100_000 + "</a>" * 100_000
    hostile_xml = write(
        scratch / "deep.xml", plain_xml.replace("<Name>持证人2</Name>", f"<Name>{deep}</Name>")
    )
    clean_xml = write(scratch / "clean.xml", plain_xml)
    found.append(
        ("XML nested 100,000 deep", lambda: validate_export(xml_spec, hostile_xml),
         lambda: validate_export(xml_spec, clean_xml))
    )  # fmt: skip
    json_spec = make_spec(scratch / "jsonl", "jsonl", key=(), schema={"type": ["object", "array"]})
    unclosed = write(scratch / "unclosed.jsonl", jsonl([{"a": 1}]) + "[" * 100_000 + "\n")
    two = write(scratch / "two.jsonl", jsonl([{"a": 1}, {"b": 2}]))
    found.append(
        ("JSON Lines, 100,000 unclosed [", lambda: validate_export(json_spec, unclosed),
         lambda: validate_export(json_spec, two))
    )  # fmt: skip
    licence_spec = make_spec(scratch / "licences", "jsonl")
    records = jsonl([rec(i) for i in range(1, 2001)]).encode()
    bomb = scratch / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(records + b" " * (256 * 1024 * 1024), compresslevel=9))
    packed = scratch / "plain.jsonl.gz"
    packed.write_bytes(gzip.compress(records))
    found.append(
        ("gzip bomb (256 MiB of blanks after 2,000 records)",
         lambda: validate_export(licence_spec, bomb),
         lambda: validate_export(licence_spec, packed))
    )  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--repeat", type=int, default=3, help="runs per input, best kept")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    print(f"{'case':<52} {'hostile s':>10} {'clean s':>9} {'ratio':>7}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, hostile, clean in cases(Path(scratch)):
            bad, good = best_of(hostile, args.repeat), best_of(clean, args.repeat)
            rows.append({"case": name, "hostile_s": bad, "clean_s": good, "ratio": bad / good})
            print(f"{name:<52} {bad:>10.3f} {good:>9.3f} {bad / good:>7.1f}")
    if args.json:
        args.json.write_text(json.dumps({"load": load, "rows": rows}, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
