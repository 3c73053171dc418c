"""bench/clauses.py's answer key covers every fault of the reference candidate and agrees with
tests/test_faults.py, and the bench stops with exit code 2 and a message naming the fault when a
fault is missing from it (issue 14 item 4: the key had drifted to 17 of 22 faults).

Only the key is checked here; the bench's runs are not (they take minutes: bench/README.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from fixtures.reference_candidate.server import fault_catalogue
from tests.test_faults import FAULTS

BENCH = Path(__file__).resolve().parents[1] / "bench" / "clauses.py"


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_clauses", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


clauses = _bench_module()


def test_the_answer_key_names_every_fault_of_the_candidate() -> None:
    assert clauses.key_mismatch() is None
    assert set(clauses.ANSWER_KEY) == set(fault_catalogue())


def test_the_answer_key_agrees_with_the_fault_tests() -> None:
    expected = {fault: (standard, clause) for fault, (standard, _, clause) in FAULTS.items()}
    assert expected == clauses.ANSWER_KEY


def test_a_fault_missing_from_the_key_stops_the_bench_before_any_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = dict(clauses.ANSWER_KEY)
    del key["range-off-by-one"]
    key["no-such-fault"] = ("gov.e-licence@1.1.0", "LIC-API-001")
    monkeypatch.setattr(clauses, "ANSWER_KEY", key)

    def must_not_run(*args: object) -> set[str]:
        raise AssertionError("the bench ran although its key is incomplete")

    monkeypatch.setattr(clauses, "must_failures", must_not_run)
    assert clauses.main([]) == 2
    err = capsys.readouterr().err
    assert "missing from ANSWER_KEY: range-off-by-one" in err
    assert "does not know: no-such-fault" in err
