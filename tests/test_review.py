"""Waivers and attestations: the roll-up with a review, the files, and `conformance review`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conformance.engine.verdict import (
    ATTESTED,
    AWAITING,
    WAIVED,
    Attestation,
    ClauseInfo,
    ResultRef,
    Review,
    Waiver,
    decide_from_results,
    evaluate,
)
from conformance.review import REVIEWED_NAME, ReviewError, _validator, review_run
from tests.conftest import run_cli
from tests.review_data import ALL_PASS, FAILING, make_results, make_standard, write_run

MUST = ClauseInfo("A-001", "MUST", "automated")
SHOULD = ClauseInfo("A-002", "SHOULD", "automated")
MANUAL_MUST = ClauseInfo("A-004", "MUST", "manual")
TODAY = date(2026, 11, 29)


def _ref(clause: str, check: str, status: str, target: str = "GET /x") -> ResultRef:
    return ResultRef(f"{clause}::{check}::{target}", clause, check, target, status)


def _waiver(wid: str = "W-1", expires: date = date(2027, 1, 1), **scope: str) -> Waiver:
    return Waiver(id=wid, reason="migration", approved_by="王五", expires=expires, **scope)


# -- the roll-up with a review -------------------------------------------------------------


def test_waived_failure_makes_the_clause_waived_and_the_verdict_pass() -> None:
    results = [_ref("A-001", "response_schema", "fail"), _ref("A-001", "status_code", "pass")]
    plain = evaluate([MUST], results)
    assert plain.verdict == "fail"
    review = Review(TODAY, waivers=(_waiver(clause="A-001"),))
    verdict = evaluate([MUST], results, review)
    assert verdict.verdict == "pass"
    assert verdict.clause_status == {"A-001": WAIVED}
    assert verdict.waived == {"A-001::response_schema::GET /x": "W-1"}
    assert verdict.waiver_states == {"W-1": "active"}


def test_waiver_by_check_and_target_matches_only_those() -> None:
    results = [
        _ref("A-001", "response_schema", "fail", "GET /x"),
        _ref("A-001", "response_schema", "fail", "GET /y"),
    ]
    review = Review(TODAY, waivers=(_waiver(check="response_schema", target="GET /x"),))
    verdict = evaluate([MUST], results, review)
    assert list(verdict.waived) == ["A-001::response_schema::GET /x"]
    assert verdict.clause_status["A-001"] == "fail"  # GET /y still fails
    assert verdict.verdict == "fail"


def test_expired_waiver_stops_applying() -> None:
    results = [_ref("A-001", "response_schema", "fail")]
    on_last_day = Review(date(2027, 1, 1), waivers=(_waiver(clause="A-001"),))
    assert evaluate([MUST], results, on_last_day).verdict == "pass"
    day_after = Review(date(2027, 1, 2), waivers=(_waiver(clause="A-001"),))
    verdict = evaluate([MUST], results, day_after)
    assert verdict.verdict == "fail"
    assert verdict.waiver_states == {"W-1": "expired"}
    assert "waiver W-1 expired on 2027-01-01: not applied" in verdict.notes


def test_waiver_matching_no_failure_is_stale() -> None:
    results = [_ref("A-001", "response_schema", "pass"), _ref("A-002", "x", "error")]
    review = Review(TODAY, waivers=(_waiver(clause="A-001"), _waiver("W-2", clause="A-002")))
    verdict = evaluate([MUST, SHOULD], results, review)
    # a passing result and an error (never waivable) are not failures to waive
    assert verdict.waiver_states == {"W-1": "stale", "W-2": "stale"}
    assert verdict.clause_status == {"A-001": "pass", "A-002": "error"}
    assert verdict.warnings == ["SHOULD clause A-002: error"]


def test_error_is_never_waived_and_never_a_pass() -> None:
    results = [_ref("A-001", "response_schema", "error")]
    verdict = evaluate([MUST], results, Review(TODAY, waivers=(_waiver(clause="A-001"),)))
    assert verdict.verdict == "fail"
    assert verdict.reasons == ["MUST clause A-001: error"]


def test_manual_must_without_attestation_keeps_the_verdict_from_passing() -> None:
    results = [_ref("A-001", "response_schema", "pass")]
    verdict = evaluate([MUST, MANUAL_MUST], results, Review(TODAY))
    assert verdict.verdict == "fail"
    assert verdict.clause_status["A-004"] == AWAITING
    attestation = Attestation("A-004", "李四", "rota seen", date(2026, 11, 1))
    verdict = evaluate([MUST, MANUAL_MUST], results, Review(TODAY, attestations=(attestation,)))
    assert verdict.verdict == "pass"
    assert verdict.clause_status["A-004"] == ATTESTED
    assert verdict.attested == {"A-004": attestation}


def test_attestation_of_an_automated_clause_is_ignored() -> None:
    results = [_ref("A-001", "response_schema", "fail")]
    attestation = Attestation("A-001", "李四", "looked fine", date(2026, 11, 1))
    verdict = evaluate([MUST], results, Review(TODAY, attestations=(attestation,)))
    assert verdict.verdict == "fail"
    assert len(verdict.notes) == 1
    assert "not a manual clause" in verdict.notes[0]


def test_review_round_trips_through_a_dictionary() -> None:
    review = Review(
        TODAY,
        waivers=(_waiver(clause="A-001", target="GET /x"),),
        attestations=(Attestation("A-004", "李四", "seen", date(2026, 11, 1)),),
    )
    assert Review.from_dict(json.loads(json.dumps(review.as_dict()))) == review


# -- files and the command -----------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


WAIVERS = """\
standard: test.review@1.0.0
waivers:
  - id: W-001
    clause: T-API-001
    reason: 旧接口迁移中 <b>migration</b>
    approved_by: 王五（省数据局）
    expires: 2027-03-31
  - id: W-002
    check: export_records
    target: export people
    reason: 历史数据清洗中
    approved_by: 王五
    expires: 2027-03-31
  - id: W-003
    clause: T-API-003
    reason: matches nothing
    approved_by: 王五
    expires: 2027-03-31
  - id: W-004
    clause: T-API-002
    reason: expired
    approved_by: 王五
    expires: 2026-10-01
"""

ATTESTATIONS = """\
standard: test.review@1.0.0
attestations:
  - clause: T-OPS-001
    reviewer: 李四
    evidence: 查验了值班表与应急预案
    date: 2026-11-20
"""


@pytest.fixture
def failing_run(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    root = tmp_path / "standards"
    standard = make_standard(root)
    data = make_results(standard, FAILING)
    run = write_run(tmp_path / "run", data)
    return run, root, data


def test_review_run_writes_reviewed_results_beside_the_original(
    tmp_path: Path, failing_run: tuple[Path, Path, dict[str, Any]]
) -> None:
    run, _, data = failing_run
    original = (run / "results.json").read_bytes()
    outcome = review_run(
        run,
        waivers=_write(tmp_path / "waivers.yaml", WAIVERS),
        attestations=_write(tmp_path / "attestations.yaml", ATTESTATIONS),
        as_of=TODAY,
    )
    assert (run / "results.json").read_bytes() == original  # never overwritten
    assert outcome.results == run / REVIEWED_NAME
    reviewed = json.loads(outcome.results.read_text(encoding="utf-8"))
    assert not list(_validator("results.schema.json").iter_errors(reviewed))
    assert data["verdict"] == "fail"
    assert reviewed["verdict"] == "pass"
    assert reviewed["exit_code"] == 0
    states = {w["id"]: w["state"] for w in reviewed["review"]["waivers"]}
    assert states == {"W-001": "active", "W-002": "active", "W-003": "stale", "W-004": "expired"}
    status = {c["id"]: c["status"] for c in reviewed["clauses"]}
    assert status["T-API-001"] == "waived"
    assert status["T-EXP-001"] == "waived"
    assert status["T-OPS-001"] == "attested"
    assert status["T-API-002"] == "fail"  # its waiver expired: still a warning
    assert reviewed["warnings"] == ["SHOULD clause T-API-002: fail"]
    waived = {r["id"]: r.get("waiver") for r in reviewed["results"] if r["status"] == "fail"}
    assert waived["T-API-001::response_schema::GET /people/{id}"] == "W-001"
    assert waived["T-EXP-001::export_records::export people"] == "W-002"
    assert waived["T-API-002::response_schema::GET /people/{id}"] is None
    assert reviewed["summary"]["waived"] == 2
    # the same roll-up recomputes the reviewed verdict from the dictionary alone
    assert decide_from_results(reviewed).verdict == "pass"
    html = outcome.report.read_text(encoding="utf-8")
    assert 'data-waiver-state="stale"' in html
    assert 'data-waiver-state="expired"' in html
    assert "&lt;b&gt;migration&lt;/b&gt;" in html
    assert "<b>migration</b>" not in html


def test_without_the_attestation_the_manual_must_clause_keeps_the_run_failing(
    tmp_path: Path, failing_run: tuple[Path, Path, dict[str, Any]]
) -> None:
    run, _, _ = failing_run
    outcome = review_run(run, waivers=_write(tmp_path / "w.yaml", WAIVERS), as_of=TODAY)
    assert outcome.data["verdict"] == "fail"
    assert outcome.data["reasons"] == ["MUST clause T-OPS-001 awaits a reviewer's attestation"]


def test_expired_waiver_on_a_later_review_date_fails_the_run_again(
    tmp_path: Path, failing_run: tuple[Path, Path, dict[str, Any]]
) -> None:
    run, _, _ = failing_run
    outcome = review_run(
        run,
        waivers=_write(tmp_path / "w.yaml", WAIVERS),
        attestations=_write(tmp_path / "a.yaml", ATTESTATIONS),
        as_of=date(2027, 4, 1),
    )
    assert outcome.data["verdict"] == "fail"
    assert "MUST clause T-API-001: fail" in outcome.data["reasons"]


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (WAIVERS.replace("T-API-003", "T-NOPE-009"), 15, "is not a clause of test.review@1.0.0"),
        (WAIVERS.replace("check: export_records", "check: no_such_check"), 9, "not a known check"),
        (WAIVERS.replace("id: W-002", "id: W-001"), 8, "duplicate waiver id"),
        (WAIVERS.replace("2027-03-31", "2027-02-30", 1), 7, "not a calendar date"),
        (
            WAIVERS.replace("    approved_by: 王五（省数据局）\n", ""),
            3,
            "'approved_by' is a required",
        ),
        (WAIVERS.replace("test.review@1.0.0", "gov.e-licence@1.1.0"), 1, "the run tested"),
        ("waivers: [\n  - id: x\n", 2, "malformed YAML"),
    ],
)
def test_bad_waivers_file_is_refused_with_file_and_line(
    tmp_path: Path,
    failing_run: tuple[Path, Path, dict[str, Any]],
    text: str,
    line: int,
    expected: str,
) -> None:
    run, _, _ = failing_run
    path = _write(tmp_path / "waivers.yaml", text)
    with pytest.raises(ReviewError) as caught:
        review_run(run, waivers=path, as_of=TODAY)
    assert expected in str(caught.value)
    assert caught.value.location is not None
    assert caught.value.location.line == line, str(caught.value)
    assert not (run / REVIEWED_NAME).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ATTESTATIONS.replace("T-OPS-001", "T-API-001"),
            "expected an attestation only for a manual",
        ),
        (ATTESTATIONS.replace("2026-11-20", "2026-12-20"), "is after the review date"),
        (ATTESTATIONS.replace("    reviewer: 李四\n", ""), "'reviewer' is a required property"),
        (
            ATTESTATIONS + ATTESTATIONS.split("attestations:\n", 1)[1],
            r"a.yaml:7 at /attestations/1/clause: clause='T-OPS-001' is attested twice \(first",
        ),
    ],
)
def test_bad_attestations_file_is_refused(
    tmp_path: Path, failing_run: tuple[Path, Path, dict[str, Any]], text: str, expected: str
) -> None:
    run, _, _ = failing_run
    with pytest.raises(ReviewError, match=expected):
        review_run(run, attestations=_write(tmp_path / "a.yaml", text), as_of=TODAY)


def test_a_reviewed_file_is_not_reviewed_again(
    tmp_path: Path, failing_run: tuple[Path, Path, dict[str, Any]]
) -> None:
    run, _, _ = failing_run
    review_run(run, attestations=_write(tmp_path / "a.yaml", ATTESTATIONS), as_of=TODAY)
    with pytest.raises(ReviewError, match="already reviewed"):
        review_run(run / REVIEWED_NAME, attestations=tmp_path / "a.yaml", as_of=TODAY)


def test_cli_review_exit_codes(
    tmp_path: Path, failing_run: tuple[Path, Path, dict[str, Any]]
) -> None:
    run, _, _ = failing_run
    waivers = _write(tmp_path / "w.yaml", WAIVERS)
    attestations = _write(tmp_path / "a.yaml", ATTESTATIONS)
    done = run_cli(
        "review",
        str(run),
        "--waivers",
        str(waivers),
        "--attestations",
        str(attestations),
        "--as-of",
        "2026-11-29",
    )
    assert done.code == 0, done.out + done.err
    assert "waiver W-003 (clause=T-API-003, expires 2027-03-31): stale" in done.out
    assert "reviewed verdict: CONFORMS" in done.out
    done = run_cli("review", str(run), "--waivers", str(waivers), "--as-of", "2026-11-29")
    assert done.code == 1, done.out + done.err
    bad = _write(tmp_path / "bad.yaml", WAIVERS.replace("T-API-003", "T-NOPE-009"))
    done = run_cli("review", str(run), "--waivers", str(bad))
    assert done.code == 2
    assert f"{bad}:15 at /waivers/2/clause" in done.err
    assert "Traceback" not in done.err
    done = run_cli("review", str(run))
    assert done.code == 2
    assert "--waivers" in done.err


def test_malformed_results_file_is_a_clear_error(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text('{"format": 1,\n "format": 2}', encoding="utf-8")
    done = run_cli(
        "review", str(run), "--attestations", str(_write(tmp_path / "a.yaml", ATTESTATIONS))
    )
    assert done.code == 2
    assert "duplicate key 'format'" in done.err
    (run / "results.json").write_text('{"format": 1}', encoding="utf-8")
    done = run_cli("review", str(run), "--attestations", str(tmp_path / "a.yaml"))
    assert done.code == 2
    assert "results.schema.json" in done.err


def test_all_pass_run_needs_only_the_attestation(tmp_path: Path) -> None:
    standard = make_standard(tmp_path / "standards")
    run = write_run(tmp_path / "run", make_results(standard, ALL_PASS))
    outcome = review_run(run, attestations=_write(tmp_path / "a.yaml", ATTESTATIONS), as_of=TODAY)
    assert outcome.data["verdict"] == "pass"
    assert outcome.data["review"]["attestations"][0]["reviewer"] == "李四"
