"""Behaviour scenarios against the real reference candidate: the state machine, paging of every
kind, filters of every kind, list and detail views (issue 18).

Each test starts the reference candidate on a loopback port with one fault (or none) and runs
the engine's tasks for the operations concerned, in process, as ``conformance run`` would.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from conformance.engine.run import Run
from conformance.results import CheckResult, Outcome
from conformance.session import RunOptions, prepare
from fixtures.reference_candidate.server import serve_in_thread
from tests.conftest import finishes, json_answering, run_cli

ROOT = Path(__file__).resolve().parents[1]
CANDIDATE = ROOT / "fixtures" / "reference_candidate" / "candidate.yaml"
TOKEN_ENV = "REFERENCE_CANDIDATE_TOKEN"
CASES = "gov.service-case@2.0.0"
TRANSITIONS = "POST /cases/{case_id}/transitions"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PORT = re.compile(r"127\.0\.0\.1:[0-9]+")


def run_tasks(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    standard: str,
    targets: set[str] | None,
    fault: str = "",
    seed: int = 1,
) -> list[CheckResult]:
    """Results of the api tasks of ``targets`` (all when None) against a fresh candidate."""
    token = secrets.token_urlsafe(16)
    monkeypatch.setenv(TOKEN_ENV, token)
    server, url = serve_in_thread(token=token, faults=frozenset({fault} - {""}))
    try:
        config = prepare(
            RunOptions(
                standard=standard,
                candidate=CANDIDATE,
                seed=seed,
                reports_dir=tmp_path,
                base_url=url,
                max_examples=10,
            )
        )
        run = Run(config)

        def work() -> list[CheckResult]:
            results: list[CheckResult] = []
            for task in run.tasks():
                if task.kind == "api" and (targets is None or task.target in targets):
                    results += run.execute(task)
            return results

        return finishes(work)
    finally:
        server.shutdown()
        server.server_close()


def results_of(results: list[CheckResult], check: str) -> list[CheckResult]:
    found = [r for r in results if r.check == check]
    assert found, f"no {check} result"
    return found


def messages(results: list[CheckResult]) -> Iterator[str]:
    for result in results:
        for failure in result.failures:
            yield failure.message


# ------------------------------------------------------------------ the state machine


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_forbidden_transition_accepted_is_caught_every_seed_and_shrunk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int
) -> None:
    results = run_tasks(
        monkeypatch, tmp_path, CASES, {TRANSITIONS}, "case-transition-unchecked", seed
    )
    [state] = results_of(results, "state_model")
    assert state.outcome is Outcome.FAIL
    assert state.clause == "CASE-API-007"
    [failure] = state.failures
    assert "forbidden transition" in failure.message
    # shrunk to the shortest conversation: create the case, then the forbidden move
    steps = failure.evidence["steps"]
    assert len(steps) == 2, steps
    assert re.search(r" -X POST http://127\.0\.0\.1:[0-9]+/cases ", steps[0]), steps[0]
    assert "/transitions" in steps[1]
    assert failure.evidence["seed"] == seed


def test_the_correct_candidate_keeps_the_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = run_tasks(monkeypatch, tmp_path, CASES, {TRANSITIONS})
    [state] = results_of(results, "state_model")
    assert state.outcome is Outcome.PASS, state.message


def test_a_created_case_that_is_not_readable_breaks_the_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = run_tasks(monkeypatch, tmp_path, CASES, {TRANSITIONS}, "case-created-not-readable", 3)
    [state] = results_of(results, "state_model")
    assert state.outcome is Outcome.FAIL
    assert any("just created" in m for m in messages([state]))


def test_the_same_seed_replays_the_same_conversation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def shape(seed: int) -> list[str]:
        results = run_tasks(
            monkeypatch, tmp_path, CASES, {TRANSITIONS}, "case-transition-unchecked", seed
        )
        [state] = results_of(results, "state_model")
        [failure] = state.failures
        steps = [UUID.sub("ID", PORT.sub("PORT", s)) for s in failure.evidence["steps"]]
        return [failure.message, *steps]

    first = shape(7)
    assert shape(7) == first


# ------------------------------------------------------------------ gov.service-hall

HALLS = "gov.service-hall@1.0.0"
HALL_TASKS = {"POST /halls", "GET /halls", "GET /notices", "GET /changes"}


def test_the_correct_hall_candidate_passes_every_behaviour_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = run_tasks(monkeypatch, tmp_path, HALLS, HALL_TASKS)
    behaviour = {"pagination", "filters", "view_consistency", "state_model"}
    seen = {(r.check, r.target): r for r in results if r.check in behaviour}
    assert set(seen) == {
        ("state_model", "POST /halls"),
        ("pagination", "GET /halls"),
        ("filters", "GET /halls"),
        ("view_consistency", "GET /halls"),
        ("pagination", "GET /notices"),
        ("filters", "GET /notices"),
        ("pagination", "GET /changes"),
        ("filters", "GET /changes"),
    }
    assert all(r.outcome is Outcome.PASS for r in seen.values()), [
        (r.check, r.target, r.message) for r in seen.values() if r.outcome is not Outcome.PASS
    ]


@pytest.mark.parametrize(
    ("fault", "check", "target", "clause", "words"),
    [
        ("cursor-repeats-item", "pagination", "GET /notices", "HALL-API-003", "already appeared"),
        ("next-on-last-page", "pagination", "GET /changes", "HALL-API-003", "next page after"),
        ("range-off-by-one", "filters", "GET /halls", "HALL-API-004", "rating_max="),
        ("list-detail-disagree", "view_consistency", "GET /halls", "HALL-API-005", "/location/"),
    ],
)
def test_each_paging_filter_and_view_fault_is_caught_on_its_clause(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fault: str,
    check: str,
    target: str,
    clause: str,
    words: str,
) -> None:
    results = run_tasks(monkeypatch, tmp_path, HALLS, {target}, fault)
    [result] = [r for r in results if r.check == check and r.target == target]
    assert result.outcome is Outcome.FAIL, result.message
    assert result.clause == clause
    assert any(words in m for m in messages([result])), list(messages([result]))
    # only the faulty behaviour fails: the other behaviour checks of the task still pass
    others = [r for r in results if r.check in {"pagination", "filters", "view_consistency"}]
    assert [r.check for r in others if r.outcome is Outcome.FAIL] == [check]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_deleted_hall_still_listed_is_caught_by_the_state_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int
) -> None:
    results = run_tasks(monkeypatch, tmp_path, HALLS, {"POST /halls"}, "deleted-still-listed", seed)
    [state] = results_of(results, "state_model")
    assert state.outcome is Outcome.FAIL
    assert state.clause == "HALL-API-006"
    [failure] = state.failures
    assert "still in the list" in failure.message
    steps = failure.evidence["steps"]
    assert any(" -X DELETE " in s for s in steps), steps


# ------------------------------------------------------------------ declarations, lint


def _broken_halls(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    folder = tmp_path / "gov.service-hall" / "1.0.0"
    shutil.copytree(ROOT / "standards" / "gov.service-hall" / "1.0.0", folder)
    openapi = folder / "openapi.yaml"
    openapi.write_text(edit(openapi.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "rule", "words"),
    [
        ("kind: cursor", "kind: scroll", "behaviour-pagination", "no registered pager"),
        ("cursor_param: cursor", "cursor_param: token", "behaviour-pagination", "not a query"),
        ("{kind: bbox, param: bbox,", "{kind: circle, param: bbox,", "behaviour-filter", "circle"),
        ("min_param: rating_min,", "min_param: rating_low,", "behaviour-filter", "rating_low"),
        ("type: number}", "type: integer}", "behaviour-filter", "type must be"),
        ("order: asc}", "order: up}", "behaviour-filter", "asc or desc"),
        ("{operationId: getHall, param: hall_id, key", "{operationId: getHal, param: hall_id, key",
         "behaviour-item", "names no operation"),
        ("deleteHall, param: hall_id, gone", "deleteHall, param: id, gone",
         "behaviour-state-model", "not a path parameter"),
        ("createHall, id: /hall_id}", "createHall, id: hall_id}",
         "behaviour-state-model", "JSON pointer"),
    ],
)  # fmt: skip
def test_lint_refuses_a_broken_behaviour_declaration_naming_file_and_line(
    tmp_path: Path, old: str, new: str, rule: str, words: str
) -> None:
    from conformance.lint import lint_folder

    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    folder = _broken_halls(tmp_path, edit)
    issues = [i for i in lint_folder(folder) if i.rule == rule]
    assert issues, [(i.rule, i.message) for i in lint_folder(folder)]
    [issue] = issues[:1]
    assert words in issue.message
    assert Path(issue.location.path).name == "openapi.yaml"
    assert issue.location.line is not None


def test_lint_refuses_a_state_model_whose_transitions_name_no_state(tmp_path: Path) -> None:
    from conformance.lint import lint_folder

    folder = tmp_path / "gov.service-case" / "2.0.0"
    shutil.copytree(ROOT / "standards" / "gov.service-case" / "2.0.0", folder)
    openapi = folder / "openapi.yaml"
    text = openapi.read_text(encoding="utf-8")
    openapi.write_text(text.replace("accepted: [processing]", "accepted: [procesing]"), "utf-8")
    issues = [i for i in lint_folder(folder) if i.rule == "behaviour-state-model"]
    assert any("'procesing' is not a state" in i.message for i in issues), issues


def test_the_sample_standards_declarations_are_clean() -> None:
    from conformance.lint import lint_folder

    for name in ("gov.service-hall/1.0.0", "gov.service-case/2.0.0", "gov.e-licence/1.1.0"):
        rules = {i.rule for i in lint_folder(ROOT / "standards" / name)}
        assert not {r for r in rules if r.startswith("behaviour-")}, (name, rules)


def test_a_new_pager_kind_is_one_registered_strategy() -> None:
    """Registering a pager makes lint accept the kind, and the walk use it, unchanged."""
    from conformance.checks.behaviour import declarations, paging

    class Numbered(paging.PagePager):
        kind = "numbered-test"

    paging.register_pager(Numbered())
    try:
        assert "numbered-test" in paging.PAGERS
        with pytest.raises(ValueError, match="registered twice"):
            paging.register_pager(Numbered())
        assert declarations.PAGERS is paging.PAGERS
    finally:
        del paging.PAGERS["numbered-test"]


# ------------------------------------------------------------------ hostile lists


def _hostile_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: dict[str, object]
) -> CheckResult:
    """The pagination result of GET /changes against a server answering every GET with body."""
    monkeypatch.setenv(TOKEN_ENV, "hostile-token")
    with json_answering(json.dumps(body).encode()) as url:
        config = prepare(
            RunOptions(
                standard=HALLS,
                candidate=CANDIDATE,
                seed=1,
                reports_dir=tmp_path,
                base_url=url,
                max_examples=1,
            )
        )
        run = Run(config)
        [task] = [t for t in run.tasks() if t.target == "GET /changes"]
        results = finishes(lambda: run.execute(task))
    [result] = [r for r in results if r.check == "pagination"]
    return result


CHANGE = {
    "change_id": "7b0c1f9e-3d2a-4c5b-8e6f-1a2b3c4d5e6f",
    "hall_id": "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d",
    "kind": "registered",
    "at": "2026-01-05T01:00:00Z",
}


def test_a_next_link_to_another_host_is_never_followed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    links = {"self": "/changes", "next": "http://198.51.100.7/changes?start=1"}
    result = _hostile_changes(
        monkeypatch, tmp_path, {"items": [CHANGE], "total": 1, "links": links}
    )
    assert result.outcome is Outcome.FAIL
    assert any("leaves the operation" in m for m in messages([result]))


def test_a_next_link_that_never_ends_stops_at_the_first_repeated_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    links = {"self": "/changes", "next": "/changes?start=1"}  # the same page, for ever
    items = [{**CHANGE, "change_id": CHANGE["change_id"][:-1] + str(n)} for n in range(3)]
    result = _hostile_changes(
        monkeypatch, tmp_path, {"items": items, "total": 10**6, "links": links}
    )
    assert result.outcome is Outcome.FAIL
    assert any("already appeared" in m for m in messages([result]))


def test_conformance_run_reports_the_shrunk_conversation_one_curl_per_step(
    tmp_path: Path,
) -> None:
    token = secrets.token_urlsafe(16)
    server, url = serve_in_thread(token=token, faults=frozenset({"case-transition-unchecked"}))
    try:
        cli = run_cli(
            "run",
            "--standard",
            CASES,
            "--candidate",
            str(CANDIDATE),
            "--base-url",
            url,
            "--reports-dir",
            str(tmp_path),
            "--seed",
            "11",
            "--max-examples",
            "5",
            env={TOKEN_ENV: token},
        )
    finally:
        server.shutdown()
        server.server_close()
    assert cli.code == 1, cli.stderr
    [results_file] = tmp_path.glob("*/results.json")
    data = json.loads(results_file.read_text(encoding="utf-8"))
    [state] = [r for r in data["results"] if r["check"] == "state_model"]
    assert state["status"] == "fail"
    assert state["clause"] == "CASE-API-007"
    evidence = state["failures"][0]["evidence"]
    assert evidence["seed"] == 11
    assert len(evidence["steps"]) == 2
    assert token not in results_file.read_text(encoding="utf-8")
    html = (results_file.parent / "report.html").read_text(encoding="utf-8")
    assert "# 2\ncurl" in html
    assert "/transitions" in html


def test_without_a_declared_model_the_openapi_links_give_create_and_read_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """gov.service-case 1.0.0 declares no state model; its createCase -> getCase link does."""
    root = tmp_path / "standards"
    folder = root / "gov.service-case" / "1.0.0"
    shutil.copytree(ROOT / "standards" / "gov.service-case" / "1.0.0", folder)
    manifest = folder / "standard.yaml"
    text = manifest.read_text(encoding="utf-8")
    old = "checks: [response_schema, response_headers, links_lifecycle]"
    manifest.write_text(text.replace(old, old[:-1] + ", state_model]"), encoding="utf-8")
    token = secrets.token_urlsafe(16)
    monkeypatch.setenv(TOKEN_ENV, token)
    server, url = serve_in_thread(token=token, faults=frozenset({"case-created-not-readable"}))
    try:
        config = prepare(
            RunOptions(
                standard="gov.service-case@1.0.0",
                candidate=CANDIDATE,
                seed=4,
                reports_dir=tmp_path / "reports",
                base_url=url,
                max_examples=5,
                standards_dirs=(root,),
            )
        )
        run = Run(config)
        [task] = [t for t in run.tasks() if t.target == "POST /cases"]
        assert "state_model" in task.scenarios
        results = finishes(lambda: run.execute(task))
    finally:
        server.shutdown()
        server.server_close()
    [state] = [r for r in results if r.check == "state_model"]
    assert state.outcome is Outcome.FAIL
    assert state.clause == "CASE-API-002"
    assert any("just created" in m for m in messages([state]))


# ------------------------------------------------------------------ export and API views


def test_an_export_record_that_disagrees_with_the_api_is_caught(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The candidate's case export says another service code than its API for the first case."""
    fixture = ROOT / "fixtures" / "reference_candidate"
    exported = (fixture / "exports" / "gov.service-case" / "cases.csv").read_bytes()
    header, first, rest = exported.split(b"\n", 2)
    changed = first.replace(b",XK330001,", b",QR330001,", 1)
    assert changed != first
    (tmp_path / "cases.csv").write_bytes(b"\n".join([header, changed, rest]))
    profile = yaml.safe_load((fixture / "candidate.yaml").read_text(encoding="utf-8"))
    profile["claims"] = [
        {"standard": CASES, "implements": ["CASE-API-010"], "exports": {"cases-csv": "cases.csv"}}
    ]
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    token = secrets.token_urlsafe(16)
    monkeypatch.setenv(TOKEN_ENV, token)
    server, url = serve_in_thread(token=token)
    try:
        config = prepare(
            RunOptions(
                standard=CASES,
                candidate=candidate,
                seed=1,
                reports_dir=tmp_path / "reports",
                base_url=url,
                max_examples=1,
            )
        )
        run = Run(config)
        [task] = [t for t in run.tasks() if t.target == "GET /cases/{case_id}"]
        results = finishes(lambda: run.execute(task))
    finally:
        server.shutdown()
        server.server_close()
    [view] = [r for r in results if r.check == "export_view"]
    assert view.outcome is Outcome.FAIL
    assert view.clause == "CASE-API-012"
    [message] = messages([view])
    assert "service_code 'QR330001'" in message
    assert "'XK330001' at /service_code" in message


def test_the_reference_export_agrees_with_its_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = run_tasks(monkeypatch, tmp_path, CASES, {"GET /cases/{case_id}"})
    [view] = results_of(results, "export_view")
    assert view.outcome is Outcome.PASS, view.message


def test_lint_refuses_an_export_view_of_an_export_the_standard_lacks(tmp_path: Path) -> None:
    from conformance.lint import lint_folder

    folder = tmp_path / "gov.service-case" / "2.0.0"
    shutil.copytree(ROOT / "standards" / "gov.service-case" / "2.0.0", folder)
    openapi = folder / "openapi.yaml"
    text = openapi.read_text(encoding="utf-8")
    openapi.write_text(text.replace("export: cases-csv", "export: cases-xml"), "utf-8")
    issues = [i for i in lint_folder(folder) if i.rule == "behaviour-export-view"]
    assert any("'cases-xml' is no export" in i.message for i in issues), issues
    assert issues[0].location.line is not None


def test_loading_the_checks_does_not_import_hypothesis() -> None:
    """The pytest door loads the checks as a plugin, before Hypothesis' own plugin: importing
    Hypothesis there makes pytest refuse to start (assertion rewriting warning)."""
    code = (
        "import sys, conformance.checks; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'hypothesis'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
