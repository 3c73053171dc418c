"""End to end: request inputs against a strict candidate (tests/inputs_server.py) that
enforces exactly what test.inputs@1.0.0 declares, dependencies between parameters included.

Each test runs `conformance run` in a subprocess against a real loopback server and reads
results.json and the server's request log: what the suite sent, and what it concluded.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests.conftest import ROOT, run_cli
from tests.inputs_server import serve_in_thread

pytestmark = pytest.mark.slow
STANDARDS = ROOT / "tests" / "data" / "inputs"
REF = "test.inputs@1.0.0"
UUID_PATH = re.compile(r"^GET /records/[0-9a-fA-F-]{36} -> 200$")


class Served:
    def __init__(self, faults: frozenset[str], slow_s: float) -> None:
        self.server, self.url, self.log = serve_in_thread(faults, slow_s)


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[Served] = []

    def start(*faults: str, slow_s: float = 0.0) -> Served:
        served = Served(frozenset(faults), slow_s)
        started.append(served)
        return served

    yield start
    for served in started:
        served.server.shutdown()
        served.server.server_close()


def _run(
    tmp_path: Path,
    url: str,
    seed: int,
    *extra: str,
    standards: Path = STANDARDS,
    claim: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "tests", "system": "inputs", "version": "1"},
                "base_url": url,
                "claims": [{"standard": REF, **(claim or {})}],
            }
        ),
        encoding="utf-8",
    )
    reports = tmp_path / f"reports-{seed}"
    result = run_cli(
        "run",
        "--standards-dir",
        str(standards),
        "--standard",
        REF,
        "--candidate",
        str(candidate),
        "--reports-dir",
        str(reports),
        "--seed",
        str(seed),
        *extra,
    )
    (results,) = reports.glob("*/results.json")
    return result.code, json.loads(results.read_text(encoding="utf-8"))


def _result(data: dict[str, Any], check: str, target: str) -> dict[str, Any]:
    (found,) = [r for r in data["results"] if r["check"] == check and r["target"] == target]
    return found


def _broken_rules(query: dict[str, list[str]]) -> list[str]:
    """What the server's own reading of test.inputs' dependencies finds broken."""
    q = {k: v[0] for k, v in query.items()}
    broken = []
    if "end" in q and "start" not in q:
        broken.append("end-without-start")
    if ("lat" in q) != ("lon" in q):
        broken.append("lat-lon")
    if "cursor" in q and "offset" in q:
        broken.append("cursor-offset")
    if q.get("format") == "csv" and "delimiter" not in q:
        broken.append("csv-delimiter")
    return broken


@pytest.mark.parametrize("seed", [3, 11])
def test_valid_requests_keep_dependencies_and_invalid_ones_break_one(
    tmp_path: Path, serve: Any, seed: int
) -> None:
    served = serve()
    code, data = _run(tmp_path, served.url, seed, "--max-examples", "40")
    bad = [
        (r["clause"], r["check"], r["target"], r["message"])
        for r in data["results"]
        if r["status"] in ("fail", "error")
    ]
    assert code == 0, bad
    for check in ("valid_input_accepted", "invalid_input_rejected"):
        assert _result(data, check, "GET /observations")["status"] == "pass"
    accepted, refused = [], []
    for line in served.log:
        if line.startswith("GET /observations"):
            request, status = line[4:].split(" -> ")
            query = parse_qs(urlsplit(request).query, keep_blank_values=True)
            (accepted if status == "200" else refused).append(_broken_rules(query))
    assert accepted
    assert all(b == [] for b in accepted)  # every accepted one kept them
    broken = {rule for rules in refused for rule in rules}
    assert len(broken) >= 2, refused  # and some were sent breaking one rule
    assert all(len(rules) <= 1 for rules in refused)  # never two at once


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_body_probes_catch_unknown_members_without_examples(
    tmp_path: Path, serve: Any, seed: int
) -> None:
    """No body example, no generated requests (--max-examples 0): the body probes drawn
    from the seed still find an unknown member accepted, at the top and nested, every seed."""
    served = serve("unknown-accepted")
    _, data = _run(tmp_path, served.url, seed, "--max-examples", "0")
    result = _result(data, "invalid_input_rejected", "POST /records")
    assert result["status"] == "fail"
    messages = {f["message"] for f in result["failures"]}
    assert any("body at /: unknown property 'x_unknown_property'" in m for m in messages)
    assert any("body at /meta: unknown property 'x_unknown_property'" in m for m in messages)
    copy = _result(data, "invalid_input_rejected", "POST /records/{id}/copy")
    assert copy["status"] == "fail"


def test_the_correct_candidate_passes_the_body_probes(tmp_path: Path, serve: Any) -> None:
    served = serve()
    _, data = _run(tmp_path, served.url, 5, "--max-examples", "0")
    result = _result(data, "invalid_input_rejected", "POST /records")
    assert result["status"] == "pass"
    assert result["examined"] >= 4  # unknown at / and /meta, required members removed
    refused = [line for line in served.log if line.startswith("POST /records ->")]
    assert refused.count("POST /records -> 400") >= 4


def test_links_send_their_request_body_and_reads_reach_existing_records(
    tmp_path: Path, serve: Any
) -> None:
    served = serve()
    code, data = _run(tmp_path, served.url, 7, "--max-examples", "20")
    # the copy link needs a body (415 without one): the link's requestBody was sent
    assert _result(data, "links_lifecycle", "POST /records")["status"] == "pass"
    created = [
        line.split(" ")[1].split("/")[2]
        for line in served.log
        if line.startswith("POST /records/") and line.endswith("/copy -> 201")
    ]
    assert created  # the link's copy, sent with its requestBody
    # ids harvested from the list and create answers: reads reach records that exist,
    # beyond the one read the link makes
    reads = [line for line in served.log if UUID_PATH.match(line)]
    assert len(reads) >= 3, [line for line in served.log if line.startswith("GET /records/")]
    assert code == 0


def test_an_operation_with_no_invalid_request_skips_with_that_reason(
    tmp_path: Path, serve: Any
) -> None:
    """GET /notes/{name}: any text is a valid name, so no invalid request exists. That is a
    skip saying so, never an error ("Unsatisfiable"); and the unconstrained header
    parameter X-Client never makes a request the HTTP client refuses."""
    served = serve()
    _, data = _run(tmp_path, served.url, 2, "--max-examples", "30")
    result = _result(data, "invalid_input_rejected", "GET /notes/{name}")
    assert result["status"] == "skip"
    assert "no invalid request exists for GET /notes/{name}" in result["message"]
    assert [r for r in data["results"] if r["status"] == "error"] == []


@pytest.mark.parametrize("seed", [1, 2])
def test_a_timeout_fails_the_response_time_clause_every_seed(
    tmp_path: Path, serve: Any, seed: int
) -> None:
    """GET /slow answers after 1 s; its bound is 300 ms, the request timeout 0.5 s: the
    time bound clause fails (not only errors elsewhere), and the operation stops after
    exactly 3 requests, the example among them: the export whose total comes from GET /slow
    does not replay its example (that made it 4)."""
    served = serve("slow", slow_s=1.0)
    export = tmp_path / "records.jsonl"
    export.write_text(
        '{"id": "00000000-0000-4000-8000-000000000001", "title": "first"}\n', encoding="utf-8"
    )
    claim = {"implements": ["INP-EXP-001"], "exports": {"records-jsonl": str(export)}}
    _, data = _run(
        tmp_path,
        served.url,
        seed,
        "--max-examples",
        "5",
        "--request-timeout",
        "0.5",
        claim=claim,
    )
    result = _result(data, "response_time", "GET /slow")
    assert result["status"] == "fail"
    assert result["clause"] == "INP-API-004"
    (failure,) = result["failures"]
    assert "no response within the request timeout of 500 ms" in failure["message"]
    assert "over the time bound of 300 ms" in failure["message"]
    assert failure["evidence"]["request"]["url"].endswith("/slow?n=1")  # the example
    assert "curl" in failure["evidence"]
    sent = [line for line in served.log if line.startswith("> GET /slow")]
    assert len(sent) == 3, sent
    total = _result(data, "export_record_count", "export records-jsonl")
    assert total["status"] in ("fail", "error")  # no total to compare with: never a pass
    assert "stopped: 3 requests in a row" in json.dumps(total)


def test_a_leap_second_refused_is_its_own_advisory(tmp_path: Path, serve: Any) -> None:
    """Only the example is sent (--max-examples 0), with second 60: refused, it is an
    advisory of its own cause, and the result verified nothing (a skip saying so)."""
    served = serve("no-leap-seconds")
    _, data = _run(tmp_path, served.url, 1, "--max-examples", "0")
    result = _result(data, "valid_input_accepted", "GET /events")
    assert result["status"] == "skip"  # verified nothing: never a pass, never a MUST fail
    assert "not verified: each of the 1 requests examined got an advisory" in result["message"]
    assert result["failures"] == []
    (advisory,) = result["evidence"]["advisories"]
    assert advisory["title"] == "Leap second rejected"
    assert advisory["severity"] == "advisory"
    assert "2016-12-31T23:59:60Z" in advisory["message"]
    assert "23%3A59%3A60" in advisory["evidence"]["request"]["url"]
    report = next((tmp_path / "reports-1").glob("*/report.html")).read_text(encoding="utf-8")
    assert 'id="advisories"' in report


def _incomplete(tmp_path: Path) -> Path:
    """test.inputs without x-inputs-complete: its inputs are not declared complete."""
    folder = tmp_path / "standards" / "test.inputs" / "1.0.0"
    shutil.copytree(STANDARDS / "test.inputs" / "1.0.0", folder)
    openapi = folder / "openapi.yaml"
    text = openapi.read_text(encoding="utf-8")
    assert "x-inputs-complete: true\n" in text
    openapi.write_text(text.replace("x-inputs-complete: true\n", ""), encoding="utf-8")
    return tmp_path / "standards"


def test_a_valid_request_rejected_fails_only_where_inputs_are_declared_complete(
    tmp_path: Path, serve: Any
) -> None:
    """The candidate refuses offset above 500, which the standard never says. Declared
    complete: a MUST failure. Not declared: an advisory with the request and the reason,
    and the run conforms."""
    served = serve("offset-cap")
    code, data = _run(tmp_path, served.url, 1, "--max-examples", "10")
    result = _result(data, "valid_input_accepted", "GET /observations")
    assert result["status"] == "fail"
    assert code == 1
    served = serve("offset-cap")
    (tmp_path / "b").mkdir()
    code, data = _run(
        tmp_path / "b", served.url, 1, "--max-examples", "10", standards=_incomplete(tmp_path)
    )
    result = _result(data, "valid_input_accepted", "GET /observations")
    assert result["status"] == "pass"  # other valid requests were accepted
    assert result["failures"] == []
    advisories = result["evidence"]["advisories"]
    assert advisories[0]["title"] == "Valid request rejected (inputs not declared complete)"
    assert "offset=" in advisories[0]["evidence"]["request"]["url"]
    assert "x-inputs-complete" in advisories[0]["message"]
    assert code == 0, [(r["check"], r["target"]) for r in data["results"] if r["status"] == "fail"]
