"""Bounds of the HTTP client and the engine against misbehaving loopback servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance.engine.http import Client, HttpRequest, Limits, TransportError, retry_after_seconds
from conformance.engine.run import Run, RunOutcome
from conformance.results import Outcome
from conformance.session import RunOptions, prepare
from tests.conftest import FIXTURE, LOAD_DEPENDENT_CHECKS, TOKEN_ENV, finishes

Handler = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(behaviour: Handler) -> str:
        handler = type(
            "H",
            (BaseHTTPRequestHandler,),
            {"do_GET": behaviour, "log_message": lambda *a: None, "protocol_version": "HTTP/1.1"},
        )
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    for name, value in {"Content-Length": str(len(body)), **headers}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def test_429_is_retried_as_retry_after_says(serve: Callable[[Handler], str]) -> None:
    calls: list[float] = []

    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        calls.append(time.monotonic())
        if len(calls) < 3:
            _reply(handler, 429, b"{}", **{"Retry-After": "0"})
        else:
            _reply(handler, 200, b"{}")

    client = Client(Limits(timeout_s=5))
    response = client.send(HttpRequest("GET", serve(behaviour) + "/", {}))
    assert response.status == 200
    assert client.retried == 2
    assert len(calls) == 3


def test_429_retries_are_bounded(serve: Callable[[Handler], str]) -> None:
    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        _reply(handler, 429, b"{}", **{"Retry-After": "0"})

    client = Client(Limits(timeout_s=5, retries_429=2))
    assert client.send(HttpRequest("GET", serve(behaviour) + "/", {})).status == 429
    assert client.sent == 3


@pytest.mark.parametrize(
    ("value", "attempt", "expected"),
    [("2", 0, 2.0), (None, 0, 0.5), (None, 2, 2.0), ("9999", 0, 30.0), ("soon", 1, 1.0)],
)
def test_retry_after_parsing(value: str | None, attempt: int, expected: float) -> None:
    assert retry_after_seconds(value, attempt, 30.0) == expected


def test_hanging_server_times_out(serve: Callable[[Handler], str]) -> None:
    release = threading.Event()

    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        release.wait(10)  # never answers within the client's timeout

    client = Client(Limits(timeout_s=0.5))
    url = serve(behaviour) + "/"
    with pytest.raises(TransportError) as caught:
        finishes(lambda: client.send(HttpRequest("GET", url, {})))
    release.set()
    assert caught.value.kind == "timeout"
    assert "within 0.5s" in str(caught.value)


def test_slow_trickle_is_cut_at_the_deadline(serve: Callable[[Handler], str]) -> None:
    stop = threading.Event()
    written: list[int] = []

    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(200):  # one byte every 50 ms: each read is quick, the whole is not
            if stop.is_set():
                return
            try:
                handler.wfile.write(b"x")
                handler.wfile.flush()
            except OSError:
                return
            written.append(1)
            time.sleep(0.05)

    client = Client(Limits(timeout_s=1.0))
    url = serve(behaviour) + "/"
    with pytest.raises(TransportError, match=r"not complete within 1(\.0)?s"):
        finishes(lambda: client.send(HttpRequest("GET", url, {})))
    stop.set()
    # A timeout per read would have waited for all 200 bytes (10 s at the least): the client
    # gave up before the server was done, whatever the machine's load.
    assert len(written) < 200, len(written)


def test_body_over_the_cap_is_truncated(serve: Callable[[Handler], str]) -> None:
    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        _reply(handler, 200, b"a" * 200_000)

    response = Client(Limits(max_body=1000)).send(HttpRequest("GET", serve(behaviour) + "/", {}))
    assert response.truncated
    assert len(response.body) == 1000


def test_rate_limit_spaces_requests(serve: Callable[[Handler], str]) -> None:
    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        _reply(handler, 200, b"{}")

    url = serve(behaviour) + "/"
    client = Client(Limits(rate_limit=20))
    started = time.monotonic()
    for _ in range(6):
        client.send(HttpRequest("GET", url, {}))
    # A lower bound, the rate limiter's behaviour: a loaded machine only makes it longer.
    assert time.monotonic() - started >= 5 / 20 - 0.01


def test_redirects_are_not_followed(serve: Callable[[Handler], str]) -> None:
    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        _reply(handler, 302, b"", Location="http://127.0.0.2:9/steal")

    response = Client().send(HttpRequest("GET", serve(behaviour) + "/", {"Authorization": "x"}))
    assert response.status == 302


def _run(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: object) -> RunOutcome:
    monkeypatch.setenv(TOKEN_ENV, "t")
    options = RunOptions(
        standard="gov.e-licence@1.1.0",
        candidate=FIXTURE / "candidate.yaml",
        seed=3,
        reports_dir=tmp_path,
        max_examples=3,
        base_url=url,
        **extra,  # type: ignore[arg-type]
    )
    run = Run(prepare(options))
    for task in run.tasks():
        if task.kind == "api":
            run.execute(task)
    return run.finish()


@pytest.mark.slow
def test_hanging_candidate_gives_errors_not_a_hung_run(
    serve: Callable[[Handler], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        release.wait(30)

    url = serve(behaviour)
    run = finishes(lambda: _run(url, tmp_path, monkeypatch, timeout_s=0.3, max_duration_s=4.0))
    release.set()
    errors = [r for r in run.results if r.outcome is Outcome.ERROR]
    assert errors
    assert any("timeout" in r.message or "budget" in r.message for r in errors)
    assert not [
        r for r in run.results if r.outcome is Outcome.PASS and r.check == "status_code_documented"
    ]


@pytest.mark.slow
def test_workers_send_the_same_requests(
    faulty_server: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = faulty_server()
    sequential = _run(url, tmp_path / "a", monkeypatch)
    parallel_options = dict(workers=3)
    monkeypatch.setenv(TOKEN_ENV, "t")
    run = Run(
        prepare(
            RunOptions(
                standard="gov.e-licence@1.1.0",
                candidate=FIXTURE / "candidate.yaml",
                seed=3,
                reports_dir=tmp_path / "b",
                max_examples=3,
                base_url=url,
                **parallel_options,  # type: ignore[arg-type]
            )
        )
    )
    run.probe_ahead()
    for task in run.tasks():
        if task.kind == "api":
            run.execute(task)
    parallel = run.finish()
    assert parallel.request_digests == sequential.request_digests

    def outcomes(results: Any) -> set[tuple[str, str, str, object]]:
        # the same results; a response-time outcome is the machine's load, not the run's
        return {
            (r.clause, r.check, r.target, None if r.check in LOAD_DEPENDENT_CHECKS else r.outcome)
            for r in results
        }

    assert outcomes(parallel.results) == outcomes(sequential.results)


def test_unused_port_is_refused_fast() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransportError) as caught:
        Client(Limits(timeout_s=2)).send(HttpRequest("GET", f"http://127.0.0.1:{port}/", {}))
    assert caught.value.kind == "connection"
