"""Cost of refusing hostile standards: an oversized YAML manifest, a polynomial pattern.

    python bench/hostile_standards.py            # about a minute on an idle 2-core machine
    python bench/hostile_standards.py --quick    # skips the slowest peer (pure-Python PyYAML)

1. **A manifest of tiny nodes just under the byte cap** (8.3 MB, 8 MiB is 8,388,608 bytes):
   ``standard.yaml`` of the minimal test standard with ``x-pad:`` holding 470,000 one-key
   mappings, about 2 million YAML nodes.  Each figure is one fresh process (time from the
   call, peak memory as the process's own ``VmHWM``):

   - ``load_document``: the suite's reader refusing it (node bound, scan of parser events);
   - ``conformance standards lint``: the whole command on the folder, as a user runs it;
   - peers, reading the same file without a node bound: PyYAML's ``compose`` with libyaml
     (the fastest full read in Python), and PyYAML's pure-Python ``compose`` (what the suite
     did before the bound; skipped by ``--quick``).

2. **A polynomial pattern fed long values** (``^[a-z]+[a-z0-9]*@x$``, quadratic in the
   ``regex`` engine on ``aaaa…!@x``): 300 values of 4,003 characters validated one by one
   against a schema holding the pattern, as a response or export validation would.  Each
   search stays under the per-search limit, so only the run-wide budget bounds the total:
   the figure is the time until the budget turns the checks into errors, against the time
   the same checks take without a budget.

Figures are printed with the machine's load average; ratios compare runs made in the same
invocation.  Exit code 0 when every measurement completed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "data" / "minimal" / "test.minimal" / "1.0.0"
TARGET_BYTES = 8_300_000
TIMEOUT_S = 600

PEAK = (
    "def peak_mb():\n"
    "    with open('/proc/self/status') as status:\n"
    "        return next(int(l.split()[1]) for l in status if l.startswith('VmHWM:')) / 1024\n"
)


def _manifest(folder: Path) -> Path:
    shutil.copytree(MINIMAL, folder)
    manifest = folder / "standard.yaml"
    base = manifest.read_text(encoding="utf-8")
    line = "  - {k: 1}\n"
    count = (TARGET_BYTES - len(base) - 8) // len(line)
    manifest.write_text(base + "x-pad:\n" + line * count, encoding="utf-8")
    return manifest


def _measure(code: str, *args: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints a JSON object with its figures."""
    script = PEAK + "import json, sys, time\nstarted = time.perf_counter()\n" + code
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {TIMEOUT_S}s", "wall_s": time.perf_counter() - started}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:]}
    result: dict[str, object] = json.loads(lines[-1])
    return result


LOAD_DOCUMENT = """
from pathlib import Path
from conformance.errors import StandardError
from conformance.standards._documents import load_document
try:
    load_document(Path(sys.argv[1]))
    outcome = "loaded"
except StandardError as exc:
    outcome = exc.message[:70]
print(json.dumps({"s": time.perf_counter() - started, "peak_mb": peak_mb(), "outcome": outcome}))
"""

LINT = """
import contextlib, io
from conformance.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["standards", "lint", sys.argv[1]])
rules = sorted({l.rsplit("[", 1)[-1].rstrip("]") for l in out.getvalue().splitlines() if "[" in l})
print(json.dumps({"s": time.perf_counter() - started, "peak_mb": peak_mb(),
                  "outcome": f"exit {code}: {', '.join(rules)}"}))
"""

COMPOSE = """
import yaml
loader = yaml.CSafeLoader if sys.argv[2] == "c" else yaml.SafeLoader
with open(sys.argv[1], encoding="utf-8") as stream:
    node = yaml.compose(stream.read(), Loader=loader)
print(json.dumps({"s": time.perf_counter() - started, "peak_mb": peak_mb(),
                  "outcome": f"composed {len(node.value)} top-level pairs"}))
"""

PATTERN = """
from conformance import regex_validator
if sys.argv[1] != "none":
    regex_validator.start_run_budget(float(sys.argv[1]))
schema = {"type": "string", "pattern": "^[a-z]+[a-z0-9]*@x$"}
validator = regex_validator.RegexValidator(schema)
value = "a" * 4000 + "!@x"
errors = checked = 0
for _ in range(300):
    try:
        list(validator.iter_errors(value))
        checked += 1
    except regex_validator.PatternTimeout:
        errors += 1
print(json.dumps({"s": time.perf_counter() - started, "peak_mb": peak_mb(),
                  "outcome": f"{checked} checked, {errors} errors"}))
"""


def _row(name: str, figures: dict[str, object], reference: float | None) -> None:
    if "error" in figures:
        print(f"  {name:<44} ERROR {figures['error']}")
        return
    seconds = float(str(figures["s"]))
    ratio = f"{seconds / reference:8.3f}" if reference else "        "
    print(
        f"  {name:<44} {seconds:8.2f} s {ratio}  {float(str(figures['peak_mb'])):7.0f} MB"
        f"  {figures['outcome']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip pure-Python PyYAML")
    options = parser.parse_args()
    print(
        f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}"
    )
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "test.minimal" / "1.0.0"
        manifest = _manifest(folder)
        print(f"\n1. standard.yaml of {manifest.stat().st_size:,} bytes of tiny nodes")
        print(f"  {'':<44} {'time':>10} {'ratio':>8}  {'peak':>10}  outcome")
        runs = {"C": _measure(COMPOSE, str(manifest), "c")}
        reference = runs["C"].get("s")
        ref = float(str(reference)) if reference is not None else None
        _row("peer: PyYAML compose, libyaml (reference)", runs["C"], ref)
        if not options.quick:
            _row("peer: PyYAML compose, pure Python", _measure(COMPOSE, str(manifest), "py"), ref)
        for name, code, arg in (
            ("suite: load_document refuses it", LOAD_DOCUMENT, str(manifest)),
            ("suite: conformance standards lint", LINT, str(folder)),
        ):
            figures = _measure(code, arg)
            failed = failed or "error" in figures
            _row(name, figures, ref)
        print("\n2. a quadratic pattern, 300 values of 4,003 characters")
        print(f"  {'':<44} {'time':>10} {'ratio':>8}  {'peak':>10}  outcome")
        unbounded = _measure(PATTERN, "none")
        bounded = _measure(PATTERN, "5")
        base = unbounded.get("s")
        _row("no run budget (reference)", unbounded, float(str(base)) if base else None)
        _row("run budget 5 s", bounded, float(str(base)) if base else None)
        failed = failed or "error" in bounded
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
