"""``conformance demo``: start the bundled reference candidate, run every standard it
claims, write the reports, stop the server."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.candidate import load_candidate
from conformance.errors import UsageError
from conformance.samples import reference_candidate_folder

START_TIMEOUT_S = 15.0


def _fixture() -> Path:
    """The reference candidate: in the installed package (a wheel) or the checkout."""
    folder = reference_candidate_folder()
    if folder is None:
        raise UsageError("the reference candidate is not installed with this package")
    return folder


def start_reference_candidate(
    token_env: str, faults: list[str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the reference candidate in its own process on an ephemeral loopback port."""
    server = _fixture() / "server.py"
    if not server.is_file():
        raise UsageError(f"the reference candidate's {server} not found")
    with tempfile.TemporaryDirectory() as scratch:
        port_file = Path(scratch) / "port"
        command = [
            sys.executable,
            str(server),
            "--port",
            "0",
            "--token-env",
            token_env,
            "--port-file",
            str(port_file),
        ]
        for fault in faults or []:
            command += ["--fault", fault]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=os.environ.copy())
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if port_file.is_file() and port_file.read_text().strip():
                return process, f"http://127.0.0.1:{port_file.read_text().strip()}"
            if process.poll() is not None:
                raise UsageError(f"the reference candidate exited with code {process.returncode}")
            time.sleep(0.05)
        process.kill()
        raise UsageError(f"the reference candidate did not start within {START_TIMEOUT_S}s")


def run_demo(reports_dir: Path, *, seed: int | None = None, max_examples: int = 20) -> int:
    from conformance import options
    from conformance.engine.config import new_run_id, new_seed
    from conformance.session import run_and_report

    candidate_path = _fixture() / "candidate.yaml"
    candidate = load_candidate(candidate_path)
    token_env = candidate.auth.token_env if candidate.auth else "REFERENCE_CANDIDATE_TOKEN"
    # A fresh secret for this demo only; it lives in this process's environment.
    os.environ[token_env] = secrets.token_urlsafe(24)
    seed = new_seed() if seed is None else seed
    process, base_url = start_reference_candidate(token_env)
    print(f"demo: reference candidate listening on {base_url} (pid {process.pid})", flush=True)
    codes: dict[str, int] = {}
    run_dirs: list[Path] = []
    try:
        for claim in candidate.claims:
            run_id = new_run_id()
            run_dirs.append(reports_dir / run_id)
            parsed = options.defaults()
            parsed.update(
                run_id=run_id,
                standard=claim.standard,
                candidate=str(candidate_path),
                seed=seed,
                reports_dir=str(reports_dir),
                max_examples=max_examples,
                base_url=base_url,
            )
            codes[claim.standard] = int(run_and_report(options.run_options(parsed), quiet=True))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    print("\ndemo summary:")
    for ref, code in codes.items():
        print(f"  {ref:<28} {'conforms' if code == 0 else f'exit {code}'}")
    latest = sorted(reports_dir.glob("*/results.json"), key=lambda p: p.stat().st_mtime)[
        -len(codes) :
    ]
    print(f"reports written under {reports_dir.resolve()}:")
    for path in latest:
        print(f"  {path.parent}")
    return 0 if all(code == 0 for code in codes.values()) else max(codes.values())
