"""Starting a real server for an example: its own virtualenv, a loopback port, a time bound.

Each example's ``serve.py`` builds on this: ``Server`` starts the process in a new session
(so stopping it stops its children), waits until its URL answers, and stops it by its own
process id.  Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
# Where .ci/run (and a developer, see examples/README.md) installs each server's virtualenv.
VENVS = Path(os.environ.get("CONFORMANCE_EXAMPLES_VENVS", ROOT / ".venvs-examples"))
START_TIMEOUT_S = 90.0


class ServerMissing(RuntimeError):
    """The example's server is not installed where examples/README.md says."""


def venv_python(name: str) -> Path:
    python = VENVS / name / "bin" / "python"
    if not python.exists():
        raise ServerMissing(
            f"no virtualenv for {name} at {python.parent.parent} "
            f"(install it as examples/README.md says, or set CONFORMANCE_EXAMPLES_VENVS)"
        )
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_token() -> str:
    return secrets.token_hex(24)


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """One loopback request; (status, body) whatever the status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Server:
    """A server process started by an example, with what a run needs to reach it."""

    name: str
    base_url: str
    token: str
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # seeded ids, versions

    def start(self, command: list[str], ready_url: str, env: dict[str, str] | None = None) -> None:
        self.log = (self.workdir / "server.log").open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}: {self.tail()}"
                )
            with contextlib.suppress(OSError):
                status, _ = http("GET", ready_url, timeout=2)
                if status < 500:
                    return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {ready_url} within {START_TIMEOUT_S}s")

    def tail(self, size: int = 2000) -> str:
        path = self.workdir / "server.log"
        return path.read_bytes()[-size:].decode("utf-8", "replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        if self.log is not None:
            self.log.close()
            self.log = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_candidate(
    server: Server, identity: dict[str, str], token_env: str, standard: str
) -> None:
    """The run's token in ``token`` (owner-only, for a person running it by hand) and the
    candidate profile in ``candidate.yaml``, which names the variable, never the token."""
    token_file = server.workdir / "token"
    token_file.write_text(server.token, encoding="utf-8")
    token_file.chmod(0o600)
    profile = {
        "identity": identity,
        "base_url": server.base_url,
        "auth": {"scheme": "bearer", "token_env": token_env},
        "claims": [{"standard": standard}],
    }
    (server.workdir / "candidate.yaml").write_text(json.dumps(profile, indent=2), "utf-8")


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a timeout, a CI runner) stops the server too, as Ctrl-C does."""
    raise KeyboardInterrupt


def main_serve(start: Any) -> int:
    """``serve.py WORKDIR``: start, seed, say how to run the suite, wait for Ctrl-C.
    ``serve.py --check``: start and seed in a scratch folder, then stop (CI's smoke step)."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", nargs="?", type=Path, default=Path("."))
    parser.add_argument("--check", action="store_true", help="start, seed, stop")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            server = start(Path(scratch))
            server.stop()
            print(f"{server.name}: started at {server.base_url}, seeded, stopped")
        return 0
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    server = start(workdir)
    print(f"{server.name} at {server.base_url} (log {workdir / 'server.log'})")
    print(f"candidate profile: {workdir / 'candidate.yaml'}; token in {workdir / 'token'}")
    print("Ctrl-C stops it.")
    try:
        while server.process is not None and server.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
