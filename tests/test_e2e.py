"""End to end: the real CLI in a subprocess against the real reference candidate on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURE, LOAD_DEPENDENT_CHECKS, TOKEN_ENV, run_cli, run_licence

pytestmark = pytest.mark.slow
LICENCE = "gov.e-licence@1.1.0"


def _results(reports: Path) -> dict:
    (path,) = list(reports.glob("*/results.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def _run(reports: Path, url: str, token: str, *extra: str, candidate: Path | None = None):
    return run_licence(reports, url, token, "--max-examples", "8", *extra, candidate=candidate)


def test_reference_candidate_conforms(tmp_path: Path, reference_url: str, token: str) -> None:
    result = _run(tmp_path, reference_url, token, "--seed", "7")
    assert result.code == 0, result.out + result.err
    data = _results(tmp_path)
    assert data["verdict"] == "pass"
    assert data["seed"] == 7
    bad = [
        r
        for r in data["results"]
        if r["status"] in ("fail", "error") and r["check"] not in LOAD_DEPENDENT_CHECKS
    ]
    assert bad == []
    assert data["summary"]["error"] == 0
    assert data["summary"]["pass"] > 10
    assert any(r["check"] == "response_time" for r in data["results"])  # judged, whatever it said
    assert "seed=7" in result.out
    junit = next(tmp_path.glob("*/junit.xml")).read_text(encoding="utf-8")
    assert "<testsuite" in junit
    # the secret never reaches any output
    for text in (result.out, result.err, junit, json.dumps(data)):
        assert token not in text


def test_wrong_date_format_fails_the_date_clause(
    tmp_path: Path, faulty_server: Callable[..., str], token: str
) -> None:
    url = faulty_server("wrong-date-format")
    result = _run(tmp_path, url, token, "--seed", "1")
    assert result.code == 1, result.out + result.err
    data = _results(tmp_path)
    failed = {r["clause"] for r in data["results"] if r["status"] == "fail"}
    assert "LIC-API-006" in failed, failed
    failing = [r for r in data["results"] if r["status"] == "fail" and r["clause"] == "LIC-API-006"]
    failure = failing[0]["failures"][0]
    assert failure["check"] == "response_schema"
    assert "date" in failure["message"]
    assert failure["evidence"]["curl"].startswith("curl ")
    assert "${REFERENCE_CANDIDATE_TOKEN}" in failure["evidence"]["curl"]
    assert token not in json.dumps(data)
    assert "MUST clause LIC-API-006: fail" in data["reasons"]


def test_wrong_check_character_in_export_fails_the_export_clause(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    source = FIXTURE / "exports" / "gov.e-licence" / "licences.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if "id_number" in json.loads(line)["holder"])
    record = json.loads(lines[index])
    number = record["holder"]["id_number"]
    wrong = "0" if number[-1] != "0" else "1"
    record["holder"]["id_number"] = number[:-1] + wrong
    lines[index] = json.dumps(record, ensure_ascii=False)
    broken = tmp_path / "licences.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = yaml.safe_load((FIXTURE / "candidate.yaml").read_text(encoding="utf-8"))
    for claim in profile["claims"]:
        claim["exports"] = {
            name: str((FIXTURE / rel).resolve()) for name, rel in claim.get("exports", {}).items()
        }
        if claim["standard"] == LICENCE:
            claim["exports"]["licences-jsonl"] = str(broken)
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    reports = tmp_path / "reports"
    result = _run(reports, reference_url, token, "--max-examples", "0", candidate=candidate)
    assert result.code == 1, result.out + result.err
    data = _results(reports)
    failing = [
        r
        for r in data["results"]
        if r["status"] == "fail" and r["target"] == "export licences-jsonl"
    ]
    assert [r["clause"] for r in failing] == ["LIC-EXP-001"]
    failure = failing[0]["failures"][0]
    assert failure["title"] == "format:cn-id-number"
    assert failure["count"] == 1
    assert failure["location"].endswith(f":{index + 1}")
    assert failure["pointer"] == "/holder/id_number"


def test_results_json_matches_its_shipped_schema(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    from importlib import resources

    import jsonschema

    from conformance.formats import format_checker

    result = _run(tmp_path, reference_url, token, "--max-examples", "2")
    assert result.code == 0, result.out + result.err
    schema = json.loads(
        resources.files("conformance").joinpath("schemas/results.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(schema, format_checker=format_checker()).validate(
        _results(tmp_path)
    )


def test_unclaimed_may_clause_is_skipped_not_failed(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    profile = yaml.safe_load((FIXTURE / "candidate.yaml").read_text(encoding="utf-8"))
    claim = next(c for c in profile["claims"] if c["standard"] == LICENCE)
    claim["implements"] = []
    claim["exports"] = {n: str((FIXTURE / p).resolve()) for n, p in claim["exports"].items()}
    profile["claims"] = [claim]
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    reports = tmp_path / "reports"
    result = _run(reports, reference_url, token, "--max-examples", "2", candidate=candidate)
    assert result.code == 0, result.out + result.err
    data = _results(reports)
    history = [r for r in data["results"] if r["clause"] == "LIC-API-008"]
    assert history
    assert {r["status"] for r in history} == {"skip"}
    assert "not claimed" in history[0]["message"]
    assert data["verdict"] == "pass"


def test_same_seed_replays_the_same_requests(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    digests = []
    for name in ("a", "b"):
        result = _run(tmp_path / name, reference_url, token, "--seed", "4242")
        assert result.code == 0, result.out + result.err
        digests.append(_results(tmp_path / name)["requests_sha256"])
    other = _run(tmp_path / "c", reference_url, token, "--seed", "4243")
    assert other.code == 0
    assert digests[0] == digests[1]
    assert _results(tmp_path / "c")["requests_sha256"] != digests[0]


def test_unreachable_candidate_exits_3(tmp_path: Path, token: str) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # the port is closed again: nothing listens there
    result = _run(tmp_path, f"http://127.0.0.1:{port}", token)
    assert result.code == 3, result.out + result.err
    data = _results(tmp_path)
    assert data["verdict"] == "fail"
    assert data["unreachable"]
    assert data["summary"]["error"] > 0
    # one cause, one line (it printed the same connection error 62 times): the detail of
    # every result stays in results.json
    assert result.out.count("accepts no connection") == 1, result.out
    assert "退出码 3" in result.out  # the summary speaks zh-CN unless --lang en
    errors = [r for r in data["results"] if r["status"] == "error"]
    assert all("accepts no connection" in r["message"] for r in errors)


def test_pytest_front_door(tmp_path: Path, reference_url: str, token: str) -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--standard",
            LICENCE,
            "--candidate",
            str(FIXTURE / "candidate.yaml"),
            "--base-url",
            reference_url,
            "--reports-dir",
            str(tmp_path),
            "--max-examples",
            "5",
            "--seed",
            "99",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, TOKEN_ENV: token},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conformance: seed=99" in done.stdout
    assert "结论：符合标准" in done.stdout  # the summary, zh-CN by default (--lang)
    assert _results(tmp_path)["verdict"] == "pass"


def test_demo_exits_0(tmp_path: Path) -> None:
    result = run_cli("demo", "--reports-dir", str(tmp_path), "--max-examples", "5")
    assert result.code == 0, result.out + result.err
    assert "报告：" in result.out  # each run's summary names its reports
    runs = list(tmp_path.glob("*/results.json"))
    assert len(runs) == 5  # every claim of the reference candidate
    assert all(json.loads(p.read_text())["verdict"] == "pass" for p in runs)


@pytest.mark.parametrize(
    "arguments",
    [
        ("--standard", "gov.e-licence@9.9.9", "--candidate", str(FIXTURE / "candidate.yaml")),
        ("--standard", LICENCE),  # no --candidate
    ],
)
def test_pytest_front_door_exits_2_on_bad_input(tmp_path: Path, arguments: tuple[str, ...]) -> None:
    """The same exit code as ``conformance run`` (README), not pytest's own 4."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, TOKEN_ENV: "not-used"},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "not found" in output or "--candidate is required" in output
    assert "Traceback" not in output
