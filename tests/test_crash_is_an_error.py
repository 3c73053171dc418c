"""A crash is never a pass (issue 15 item 1): an exception anywhere in a run is an error result.

Faults are injected into the suite itself, never into the candidate: each check, each
scenario and each export reader is made to raise in turn (monkeypatched here; in the
subprocess front doors through a ``sitecustomize`` module that every Python process of the
run imports, worker processes included).  The candidate is the real reference candidate on a
loopback port.  Each time the injected part's results are errors that carry the exception's
message, marked internal; no result of it passes; the run is complete (every planned result
is there) and does not conform; both front doors exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import CHECKS, all_checks
from conformance.checks.scenarios import SCENARIOS
from conformance.engine.config import RunConfig
from conformance.engine.run import Run, RunOutcome
from conformance.errors import ExitCode
from conformance.results import Outcome
from conformance.session import RunOptions, prepare
from conformance.standards.loader import StandardsRepository
from tests.conftest import FIXTURE, ROOT, TOKEN_ENV, run_cli

LICENCE = "gov.e-licence@1.1.0"
CASES = "gov.service-case@1.0.0"
CATALOGUE = "gov.data-catalogue@1.0.0"
BOOM = "injected fault"
MAX_EXAMPLES = 3
FAULT_ENV = "CONFORMANCE_TEST_FAULT"

# The reader each export format goes through (the names exports/_validate.py calls).
READERS = {
    "jsonl": ("conformance.exports._validate", "jsonl_records", LICENCE, "licences-jsonl"),
    "xml": ("conformance.exports._validate", "_read_xml", LICENCE, "licences-xml"),
    "json": ("conformance.exports._validate", "json_records", CATALOGUE, "catalogue-json"),
    "csv": ("conformance.exports._validate", "csv_blocks", CASES, "cases-csv"),
}


def _boom(name: str) -> Callable[..., Any]:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{BOOM} in {name}")

    return boom


def _api_checks_of(ref: str) -> list[str]:
    """The API and scenario checks the standard's clauses name."""
    standard = StandardsRepository().load(ref)
    named = {check for clause in standard.clauses for check in clause.checks}
    return sorted(c.id for c in all_checks() if c.kind != "export" and c.id in named)


CHECK_CASES = [(ref, check) for ref in (LICENCE, CASES) for check in _api_checks_of(ref)]


@pytest.fixture(scope="module")
def prepared(reference_url: str, token: str) -> Iterator[Callable[[str], RunConfig]]:
    """A prepared configuration per standard (prepared once; each test runs it afresh)."""
    cache: dict[str, RunConfig] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, token)

        def get(ref: str) -> RunConfig:
            if ref not in cache:
                cache[ref] = prepare(
                    RunOptions(
                        standard=ref,
                        candidate=FIXTURE / "candidate.yaml",
                        seed=5,
                        reports_dir=Path("unused"),
                        max_examples=MAX_EXAMPLES,
                        base_url=reference_url,
                    )
                )
            return cache[ref]

        yield get


def _assert_crash_reported(outcome: RunOutcome, mine: list[Any], where: str) -> None:
    assert mine, f"no result of {where}"
    assert not [r for r in mine if r.outcome is Outcome.PASS], f"{where} passed after a crash"
    errors = [r for r in mine if r.outcome is Outcome.ERROR]
    assert errors, [(r.outcome, r.message) for r in mine]
    for result in errors:
        assert BOOM in result.message, result.message
        assert result.internal
    assert outcome.complete, outcome.missing  # every planned result is there
    assert outcome.verdict.verdict == "fail"
    assert any("internal error" in reason for reason in outcome.verdict.reasons)
    assert outcome.exit_code == ExitCode.DOES_NOT_CONFORM


@pytest.mark.slow
@pytest.mark.parametrize("ref", [LICENCE, CASES, CATALOGUE])
def test_without_a_fault_the_reference_candidate_conforms(
    ref: str, prepared: Callable[[str], RunConfig]
) -> None:
    """The control: what the fault tests see is the fault's doing."""
    outcome = Run(prepared(ref)).run()
    assert outcome.verdict.verdict == "pass", outcome.verdict.reasons
    assert outcome.exit_code == ExitCode.CONFORMS
    assert not [r for r in outcome.results if r.internal]


@pytest.mark.slow
@pytest.mark.parametrize(("ref", "check_id"), CHECK_CASES)
def test_a_check_that_raises_is_an_error_never_a_pass(
    ref: str, check_id: str, prepared: Callable[[str], RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    if check_id in SCENARIOS:
        applies = SCENARIOS[check_id][1]
        monkeypatch.setitem(SCENARIOS, check_id, (_boom(check_id), applies))
    else:
        monkeypatch.setitem(CHECKS, check_id, replace(CHECKS[check_id], func=_boom(check_id)))
    outcome = Run(prepared(ref)).run()
    mine = [r for r in outcome.results if r.check == check_id]
    _assert_crash_reported(outcome, mine, check_id)
    others = [r for r in outcome.results if r.check != check_id]
    assert not [r for r in others if r.internal]  # the other checks still read every answer


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(READERS))
def test_an_export_reader_that_raises_is_an_error_never_a_pass(
    fmt: str, prepared: Callable[[str], RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, name, ref, _ = READERS[fmt]
    config = prepared(ref)  # lint reads the standard's example files with the same readers
    monkeypatch.setattr(f"{module}.{name}", _boom(name))
    read_so = {f"export {e.name}" for e in config.standard.exports if e.format == fmt}
    outcome = Run(config).run()
    mine = [r for r in outcome.results if r.target in read_so]
    _assert_crash_reported(outcome, mine, f"the {fmt} reader")
    assert all(f"{BOOM} in {name}" in r.message for r in mine if r.outcome is Outcome.ERROR)
    others = [r for r in outcome.results if r.target not in read_so]
    # the API and the other exports are checked as usual; in the catalogue, the XML file's
    # cross-export rule reads the JSON files, so it is an error too, from the same fault
    assert others
    assert all(BOOM in r.message for r in others if r.internal)
    if ref != CATALOGUE:
        assert not [r for r in others if r.internal]
        assert [r for r in others if r.outcome is Outcome.PASS]


@pytest.mark.slow
def test_side_by_side_exports_whose_workers_raise_are_errors(
    prepared: Callable[[str], RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 2: validating the files side by side raised (a worker's exception): every
    export of that batch is an error naming it, none a pass; the API part is unaffected."""
    config = replace(prepared(CATALOGUE), jobs=2)
    monkeypatch.setattr(
        "conformance.engine.exporting.validate_many", _boom("validate_many (a worker)")
    )
    outcome = Run(config).run()
    exports = [r for r in outcome.results if r.target.startswith("export ")]
    _assert_crash_reported(outcome, exports, "the exports validated side by side")
    for result in exports:
        assert "side by side (--jobs 2)" in result.message
        assert "validate_many (a worker)" in result.message


# -- the front doors, in subprocesses ----------------------------------------------------

# FAULT_ENV: comma-separated faults; "check:ID" (a registered check), "worker:MODULE.NAME"
# (only in multiprocessing's spawned workers), or "MODULE.NAME" (in every process).
SITECUSTOMIZE = f'''
import os
import sys

def _inject(spec):
    import importlib
    from dataclasses import replace

    kind, _, name = spec.rpartition(":")

    def boom(*args, **kwargs):
        raise RuntimeError("{BOOM} in " + name.rpartition(".")[2])

    if kind == "check":
        from conformance.checks import CHECKS, all_checks
        all_checks()
        CHECKS[name] = replace(CHECKS[name], func=boom)
    elif kind == "" or (kind == "worker" and "--multiprocessing-fork" in sys.argv):
        module, _, attr = name.rpartition(".")
        setattr(importlib.import_module(module), attr, boom)

for _spec in filter(None, os.environ.get("{FAULT_ENV}", "").split(",")):
    _inject(_spec)
'''


def _fault_env(tmp_path: Path, token: str, fault: str) -> dict[str, str]:
    """Environment for a subprocess (and its workers) in which ``fault`` raises."""
    folder = tmp_path / "inject"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {TOKEN_ENV: token, FAULT_ENV: fault, "PYTHONPATH": path}


def _only_results(reports: Path) -> dict[str, Any]:
    (path,) = list(reports.glob("*/results.json"))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _pytest_door(
    tmp_path: Path, env: dict[str, str], *arguments: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, **env},
    )


def _door_arguments(ref: str, url: str, reports: Path) -> list[str]:
    return [
        "--standard",
        ref,
        "--candidate",
        str(FIXTURE / "candidate.yaml"),
        "--base-url",
        url,
        "--reports-dir",
        str(reports),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "5",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault",
    ["check:response_schema", "conformance.engine.exporting.validate_export"],
)
def test_both_front_doors_exit_1_when_the_suite_raises(
    fault: str, tmp_path: Path, reference_url: str, token: str
) -> None:
    env = _fault_env(tmp_path, token, fault)
    cli = run_cli("run", *_door_arguments(LICENCE, reference_url, tmp_path / "cli"), env=env)
    assert cli.code == ExitCode.DOES_NOT_CONFORM, cli.out + cli.err
    assert "Traceback" not in cli.out + cli.err
    assert BOOM in cli.out
    done = _pytest_door(tmp_path, env, *_door_arguments(LICENCE, reference_url, tmp_path / "py"))
    assert done.returncode == ExitCode.DOES_NOT_CONFORM, done.stdout + done.stderr
    assert "failed" in done.stdout
    for reports in (tmp_path / "cli", tmp_path / "py"):
        data = _only_results(reports)
        assert data["verdict"] == "fail"
        assert data["exit_code"] == 1
        internal = [r for r in data["results"] if r.get("internal")]
        assert internal
        assert all(BOOM in r["message"] for r in internal)
        assert internal[0]["status"] == "error"
        assert "internal error" in data["reasons"][0]


@pytest.mark.slow
def test_a_worker_process_that_raises_is_an_error_with_jobs_2(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    """The fault is in the spawned worker processes only: the batch is an error, not a pass."""
    env = _fault_env(tmp_path, token, "worker:conformance.exports._validate.json_records")
    arguments = _door_arguments(CATALOGUE, reference_url, tmp_path / "r")
    done = run_cli("run", *arguments, "--jobs", "2", env=env)
    assert done.code == ExitCode.DOES_NOT_CONFORM, done.out + done.err
    assert "Traceback" not in done.out + done.err
    data = _only_results(tmp_path / "r")
    exports = [r for r in data["results"] if r["target"].startswith("export ")]
    assert exports
    assert {r["status"] for r in exports} <= {"error", "skip"}
    errors = [r for r in exports if r["status"] == "error"]
    assert errors
    assert all(r.get("internal") and "json_records" in r["message"] for r in errors)
    assert data["verdict"] == "fail"
    assert done.out.count(f"{BOOM} in json_records") == 1  # one cause, one line


@pytest.mark.slow
def test_a_reader_that_raises_on_the_standards_examples_stops_the_run_cleanly(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    """Lint reads the standard's example files first: a reader that raises there is a lint
    error naming it (exit 2, one line), not a traceback."""
    env = _fault_env(tmp_path, token, "conformance.exports._validate.jsonl_records")
    done = run_cli("run", *_door_arguments(LICENCE, reference_url, tmp_path / "r"), env=env)
    assert done.code == ExitCode.USAGE, done.out + done.err
    assert "[example-unchecked]" in done.err
    assert f"{BOOM} in jsonl_records" in done.err
    assert "Traceback" not in done.out + done.err


@pytest.mark.slow
def test_the_pytest_door_does_not_pass_a_run_it_did_not_finish(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    """Items deselected (-k) are planned results missing: the run cannot conform (it used to
    print "1 passed" and exit 0)."""
    arguments = _door_arguments(LICENCE, reference_url, tmp_path / "r")
    done = _pytest_door(tmp_path, {TOKEN_ENV: token}, *arguments, "-k", "licences-jsonl")
    assert "1 passed" in done.stdout, done.stdout
    assert done.returncode == ExitCode.DOES_NOT_CONFORM, done.stdout + done.stderr
    data = _only_results(tmp_path / "r")
    assert data["verdict"] == "fail"
    assert data["reasons"][0].startswith("incomplete run:")


def test_the_injected_module_paths_exist() -> None:
    """The fault tests name real functions (a rename must fail here, not skip silently)."""
    import importlib

    for module, name, _, _ in READERS.values():
        assert callable(getattr(importlib.import_module(module), name))
    assert (ROOT / "conformance" / "exports" / "_validate.py").is_file()


def test_certify_refuses_an_incomplete_run(tmp_path: Path) -> None:
    """The verdict's completeness rule is certify's too: a run missing a planned result (here
    removed by hand, its recorded verdict left "pass") is never signed, not even as a
    failure record."""
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from conformance.certificates.issue import CertificateError, certify_run
    from tests.review_data import (
        ALL_PASS,
        RUNNER_POLICY,
        make_results,
        make_standard,
        write_run,
    )

    standards = tmp_path / "standards"
    standard = make_standard(standards, manual_level="SHOULD")
    data = make_results(standard, ALL_PASS)
    assert data["verdict"] == "pass"
    dropped = data["results"].pop()
    run = write_run(tmp_path / "run", data)
    key = Ed25519PrivateKey.generate()
    now = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)
    with pytest.raises(CertificateError, match="incomplete run: 1 planned result") as caught:
        certify_run(run, key, issuer="x", policy=RUNNER_POLICY, standards_dirs=[standards], now=now)
    assert dropped["id"] in str(caught.value)
    assert not list(run.glob("certificate*")) + list(run.glob("failure-record*"))
