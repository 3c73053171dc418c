"""How long a whole run lasts against candidates that make it wait (issue 15 item 3).

Each case is one ``conformance run`` child process of gov.e-licence@1.1.0 with the issue's
options (``--request-timeout 2 --max-duration 30``) against a raw-socket loopback server
(tests/hostile_server.py), next to a clean run through the same server (every request passed
on to the reference candidate) measured in the same invocation, and printed with its ratio.
The tests (tests/test_every_wait_ends.py) assert what happens; the seconds live here.

    python bench/waits.py                 # about three minutes
    python bench/waits.py --json reports/bench-waits.json

Run from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.reference_candidate.server import serve_in_thread  # noqa: E402
from tests.hostile_server import HostileServer, Request, hostile, response  # noqa: E402
from tests.test_every_wait_ends import endless_continue, trickle_headers  # noqa: E402
from tests.test_hostile_candidates import candidate_file  # noqa: E402

TOKEN = secrets.token_urlsafe(16)
OPTIONS = ["--request-timeout", "2", "--max-duration", "30", "--max-examples", "2", "--seed", "5"]


def forward(server: HostileServer, conn: socket.socket, request: Request) -> bool:
    conn.sendall(server.forward(request).wire())
    return True


def retry_after_on_history(server: HostileServer, conn: socket.socket, request: Request) -> bool:
    if request.path.endswith("/history"):
        conn.sendall(response(429, b"{}", retry_after="999999"))
        return True
    return forward(server, conn, request)


CASES = {
    "clean (passed on)": forward,
    "every head trickled": trickle_headers,
    "100 Continue forever": endless_continue,
    "Retry-After 999999 on one operation": retry_after_on_history,
}


def run_case(behaviour: Any, upstream: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, hostile(behaviour, upstream=upstream) as server:
        folder = Path(tmp)
        candidate = candidate_file(folder, server.url)
        started = time.monotonic()
        command = [sys.executable, "-m", "conformance", "run", "--standard", "gov.e-licence@1.1.0"]
        command += ["--candidate", str(candidate), "--reports-dir", str(folder / "r"), *OPTIONS]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=ROOT,
            env={**os.environ, "REFERENCE_CANDIDATE_TOKEN": TOKEN},
            check=False,
        )
        seconds = time.monotonic() - started
        found = list((folder / "r").glob("*/results.json"))
        summary = json.loads(found[0].read_text(encoding="utf-8"))["summary"] if found else {}
        return {
            "seconds": round(seconds, 1),
            "exit": done.returncode,
            "requests": len(server.requests),
            "summary": summary,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    server, upstream = serve_in_thread(token=TOKEN)
    try:
        rows = {name: run_case(behaviour, upstream) for name, behaviour in CASES.items()}
    finally:
        server.shutdown()
        server.server_close()
    clean = rows["clean (passed on)"]["seconds"]
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"options: {' '.join(OPTIONS)}")
    print(f"{'case':<38} {'seconds':>8} {'ratio':>6} {'exit':>4} {'requests':>8}  summary")
    for name, row in rows.items():
        ratio = row["seconds"] / clean if clean else float("nan")
        print(
            f"{name:<38} {row['seconds']:>8.1f} {ratio:>6.2f} {row['exit']:>4} "
            f"{row['requests']:>8}  {row['summary']}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
