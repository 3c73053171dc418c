"""Every wait ends (issue 15 item 3): real hostile servers on 127.0.0.1, whole runs.

A candidate that trickles its status line and headers a byte at a time, or answers
``100 Continue`` forever, keeps every single read of the socket short: a timeout per read
never fires.  The client's deadline covers the whole exchange; ``Retry-After`` is never
waited for past the client's cap or the run's budget; ``--max-duration`` bounds the whole
run, export files included.  No test here asserts wall-clock time: a hang is caught by
``finishes()`` (HANG_TIMEOUT_S), and what bounds the time is asserted as counts of requests.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import yaml

from conformance.engine.http import Client, HttpRequest, Limits, TransportError
from conformance.engine.run import Run
from conformance.results import Outcome
from conformance.session import RunOptions, prepare
from tests.conftest import FIXTURE, TOKEN_ENV, finishes
from tests.hostile_server import HostileServer, Request, hostile, response
from tests.test_hostile_candidates import (
    HOSTILE,
    STANDARD,
    assert_never_passes,
    assert_others_pass,
    candidate_file,
    on_history,
    run_cli,
    run_in_process,
)

pytestmark = pytest.mark.slow


# -- what the candidate does --------------------------------------------------------------


def trickle_headers(server: HostileServer, conn: socket.socket, request: Request) -> bool:
    """The status line, then one header byte every 50 ms, for up to a minute."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for _ in range(1200):
        if server.stop.wait(0.05):
            break
        conn.sendall(b"X")
        server.count(1)
    return False


def endless_continue(server: HostileServer, conn: socket.socket, request: Request) -> bool:
    """``100 Continue`` every 20 ms, for up to a minute, and never a final answer."""
    for _ in range(3000):
        if server.stop.wait(0.02):
            break
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        server.count(1)
    return False


def retry_after(seconds: str) -> object:
    def bend(server: HostileServer, conn: socket.socket, request: Request) -> bool:
        conn.sendall(response(429, b"{}", retry_after=seconds))
        return True

    return bend


# -- the client ----------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", [trickle_headers, endless_continue])
def test_deadline_covers_status_line_and_headers(behaviour: object) -> None:
    with hostile(behaviour) as server:  # type: ignore[arg-type]
        client = Client(Limits(timeout_s=0.5))
        request = HttpRequest("GET", server.url + "/", {})
        with pytest.raises(TransportError) as caught:
            finishes(lambda: client.send(request))
        sent = server.sent_bytes
    assert caught.value.kind == "timeout"
    assert str(caught.value) == "no response within 0.5s"
    # A timeout per read would have waited for all of it (a minute): the client gave up
    # long before the server was done, whatever the machine's load.
    assert 0 < sent < 1000, sent


def test_run_budget_bounds_an_exchange_below_its_timeout() -> None:
    with hostile(trickle_headers) as server:
        client = Client(Limits(timeout_s=60.0), remaining=lambda: 0.5)
        request = HttpRequest("GET", server.url + "/", {})
        with pytest.raises(TransportError) as caught:
            finishes(lambda: client.send(request))
        sent = server.sent_bytes
    assert caught.value.kind == "timeout"
    assert "what was left of the run's --max-duration" in str(caught.value)
    assert 0 < sent < 1000, sent


@pytest.mark.parametrize(
    ("value", "remaining"),
    [
        pytest.param("999999", None, id="past-the-client-cap"),
        pytest.param("Fri, 31 Dec 9999 23:59:59 GMT", None, id="a-date-far-ahead"),
        pytest.param("20", lambda: 5.0, id="past-the-run-budget"),
    ],
)
def test_retry_after_longer_than_can_be_waited_is_not_waited_for(
    value: str, remaining: object
) -> None:
    with hostile(retry_after(value)) as server:
        client = Client(Limits(timeout_s=5), remaining=remaining)  # type: ignore[arg-type]
        answer = finishes(lambda: client.send(HttpRequest("GET", server.url + "/", {})))
        sent = len(server.requests)
    assert answer.status == 429
    assert answer.headers["Retry-After"] == value  # the evidence says why
    assert client.retried == 0
    assert sent == 1


def test_retry_after_within_the_budget_is_still_honoured() -> None:
    with hostile(retry_after("0")) as server:
        client = Client(Limits(timeout_s=5, retries_429=2), remaining=lambda: 60.0)
        answer = finishes(lambda: client.send(HttpRequest("GET", server.url + "/", {})))
        sent = len(server.requests)
    assert answer.status == 429
    assert client.retried == 2
    assert sent == 3


# -- whole runs ----------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", [trickle_headers, endless_continue])
def test_trickled_head_is_a_timeout_error_on_its_operation(
    behaviour: object,
    reference_url: str,
    token: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with hostile(on_history(behaviour), upstream=reference_url) as server:  # type: ignore[arg-type]
        outcome = run_in_process(server.url, tmp_path, monkeypatch, token)
        hostile_requests = sum(r.path.endswith("/history") for r in server.requests)
    assert hostile_requests == 3, hostile_requests  # three in a row stop the operation
    assert_never_passes(
        outcome, "status_code_documented", "error", r"^timeout: no response within 0\.5s"
    )
    for result in outcome.results(HOSTILE):
        assert result["status"] == "error", result
    assert_others_pass(outcome)


def test_max_duration_bounds_a_run_whose_every_answer_trickles(tmp_path: Path, token: str) -> None:
    """``--request-timeout 2 --max-duration 4`` against a candidate that trickles every head.

    Before, each request lasted as long as the trickle (a minute here) and the run went on
    well past its budget; now each exchange ends at min(timeout, what is left of the
    budget): at most three exchanges fit in 4 s.
    """
    with hostile(trickle_headers) as server:
        candidate = candidate_file(tmp_path, server.url)
        outcome = run_cli(
            candidate, tmp_path / "reports", token, "--max-duration", "4", timeout_s=2.0
        )
        sent = len(server.requests)
    assert outcome.code == 1, outcome.out[-3000:]
    assert 1 <= sent <= 3, sent
    api = outcome.api_results()
    assert api
    # a timeout past the standard's time bound fails that clause (issue 14 item 8); the
    # others cannot pass on answers that never came
    slow = [r for r in api if r["check"] == "response_time" and r["status"] == "fail"]
    assert all("over the time bound" in r["message"] for r in slow), slow
    assert all(r["status"] in ("error", "skip") for r in api if r not in slow), api
    messages = " ".join(r["message"] for r in api)
    assert "timeout: no response within" in messages
    assert "run time budget of 4s exhausted" in messages
    assert outcome.data["verdict"] == "fail"
    # exports included: read after the budget ended, they are errors too, never passes
    exports = [r for r in outcome.data["results"] if r["target"].startswith("export ")]
    assert exports
    for result in exports:
        assert result["status"] in ("error", "skip"), result
    assert any("run time budget of 4s exhausted" in r["message"] for r in exports)
    print(f"trickle everywhere: {sent} requests, {outcome.seconds:.1f}s, exit {outcome.code}")


def test_huge_retry_after_does_not_hold_a_run(
    reference_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    """Retry-After: 999999 on every answer of one operation: each request is sent once.

    Before, every request waited max_retry_wait_s (30 s) three times: a run of this
    operation's dozens of requests outlasted the hang guard.
    """
    with hostile(on_history(retry_after("999999")), upstream=reference_url) as server:  # type: ignore[arg-type]
        outcome = run_in_process(server.url, tmp_path, monkeypatch, token)
        targets = [r.target for r in server.requests if r.path.endswith("/history")]
    assert targets
    results = outcome.results(HOSTILE, "status_code_documented")
    assert results
    assert all(r["status"] != "pass" for r in results), results
    assert_others_pass(outcome)


# -- exports under the run's budget --------------------------------------------------------


def _big_export_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: float, jobs: int = 1
) -> Run:
    source = FIXTURE / "exports" / "gov.e-licence" / "licences.jsonl"
    big = tmp_path / "licences.jsonl"
    # every record invalid (a status outside the enum): each goes the exact, slow path, so
    # reading the file takes many times the budget on any machine
    block = source.read_bytes().replace(b'"status": "', b'"status": "not-')
    with big.open("wb") as out:
        for _ in range(800):
            out.write(block)
    data = yaml.safe_load((FIXTURE / "candidate.yaml").read_text(encoding="utf-8"))
    claim = next(c for c in data["claims"] if c["standard"] == STANDARD)
    claim["exports"] = {"licences-jsonl": str(big)}
    data.update(claims=[claim], base_url="http://127.0.0.1:9")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(TOKEN_ENV, "t")
    options = RunOptions(
        standard=STANDARD,
        candidate=candidate,
        seed=1,
        reports_dir=tmp_path / "reports",
        max_duration_s=budget,
        jobs=jobs,
    )
    return Run(prepare(options))


def test_max_duration_stops_reading_an_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _big_export_run(tmp_path, monkeypatch, 0.3)
    task = next(t for t in run.tasks() if t.kind == "export" and t.export is not None)
    results = finishes(lambda: run.execute(task))
    assert results
    for result in results:
        assert result.outcome is Outcome.ERROR, result
        assert "run time budget of 0.3s exhausted" in result.message, result.message
    assert "licences-jsonl" not in run.exports.files  # not read to its end, not digested
    outcome = run.finish()
    assert outcome.verdict.verdict == "fail"


def test_max_duration_stops_export_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 2: the file is split across worker processes; the wait for them ends with
    the budget, the pool is terminated, and the export's results are errors."""
    run = _big_export_run(tmp_path, monkeypatch, 0.3, jobs=2)
    task = next(t for t in run.tasks() if t.kind == "export" and t.export is not None)
    results = finishes(lambda: run.execute(task))
    assert results
    for result in results:
        assert result.outcome is Outcome.ERROR, result
        assert "run time budget of 0.3s exhausted" in result.message, result.message
        assert not result.internal  # the budget, not a crash of the suite


def test_rate_limit_wait_ends_with_the_budget() -> None:
    with hostile(retry_after("0")) as server:
        limits = Limits(timeout_s=5, rate_limit=1 / 3600, retries_429=0)
        client = Client(limits, remaining=lambda: 0.2)
        request = HttpRequest("GET", server.url + "/", {})
        assert finishes(lambda: client.send(request)).status == 429  # the first slot is now
        with pytest.raises(TransportError, match="--max-duration ended before --rate-limit"):
            finishes(lambda: client.send(request))  # the next one is an hour away
        sent = len(server.requests)
    assert sent == 1


def test_export_after_the_budget_is_spent_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _big_export_run(tmp_path, monkeypatch, 0.3)
    finishes(lambda: time.sleep(0.4))  # the budget is spent before the task
    progress: list[object] = []
    run.listeners.append(progress.append)
    task = next(t for t in run.tasks() if t.kind == "export" and t.export is not None)
    results = run.execute(task)
    assert results
    assert all(r.outcome is Outcome.ERROR for r in results)
    assert not [e for e in progress if type(e).__name__ == "TaskProgress"]  # nothing read
