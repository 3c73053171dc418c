"""Shared fixtures: the real reference candidate on a loopback port, and CLI runners."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.reference_candidate.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "reference_candidate"
TOKEN_ENV = "REFERENCE_CANDIDATE_TOKEN"
CLI_TIMEOUT_S = 300


@dataclass
class Cli:
    code: int
    out: str
    err: str


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Cli:
    """Run ``python -m conformance`` in a real subprocess, bounded in time."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    return Cli(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def token() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture(scope="session")
def reference_url(token: str) -> Iterator[str]:
    server, url = serve_in_thread(token=token)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def faulty_server(token: str) -> Iterator[object]:
    """A factory: start the reference candidate with faults; all are stopped after the test."""
    servers = []

    def start(*faults: str) -> str:
        server, url = serve_in_thread(token=token, faults=frozenset(faults))
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
