"""Terminal output for long runs: a progress bar per phase and the per-clause summary table."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from conformance.engine.events import TaskFinished, TaskStarted
from conformance.reporting.terminal import (
    PhaseProgress,
    bar,
    cause_lines,
    clause_table,
    summary_lines,
)
from conformance.results import CheckResult, Outcome
from tests.review_data import FAILING, make_results, make_standard

TARGETS = ["GET /a", "POST /b", "export people"]


def _finished(target: str, outcome: Outcome) -> TaskFinished:
    result = CheckResult("T-API-001", "response_schema", target, outcome, "m")
    return TaskFinished(target, (result,), 0.25)


def test_bar() -> None:
    assert bar(0, 4, 8) == "[........]"
    assert bar(2, 4, 8) == "[####....]"
    assert bar(4, 4, 8) == "[########]"
    assert bar(0, 0, 4) == "[####]"


def test_progress_in_a_ci_log_prints_a_line_per_finished_task() -> None:
    lines: list[str] = []
    progress = PhaseProgress(TARGETS, lines.append, tty=False, width=4)
    for target, outcome in zip(TARGETS, (Outcome.PASS, Outcome.FAIL, Outcome.PASS), strict=True):
        progress(TaskStarted(target))
        progress(_finished(target, outcome))
    assert lines == [
        "API operations [##..] 1/2  GET /a (0.2s)\n",
        "API operations [####] 2/2, 1 with failures  POST /b (0.2s)\n",
        "exports        [####] 1/1  export people (0.2s)\n",
    ]


def test_progress_on_a_terminal_redraws_in_place_and_ends_each_phase() -> None:
    out: list[str] = []
    progress = PhaseProgress(TARGETS, out.append, tty=True, width=4)
    progress(TaskStarted("GET /a"))
    assert out[-1] == "\r\x1b[KAPI operations [....] 0/2  GET /a"
    progress(_finished("GET /a", Outcome.PASS))
    assert not out[-1].endswith("\n")
    progress(_finished("POST /b", Outcome.ERROR))
    assert out[-1].endswith("\n")  # the API phase is complete


def test_clause_table_lists_every_clause_with_counts(tmp_path: Path) -> None:
    data = make_results(make_standard(tmp_path / "standards"), FAILING)
    lines = clause_table(data, "en")
    assert lines[0][0].split() == [
        "clause",
        "level",
        "verify",
        "status",
        "pass",
        "fail",
        "skip",
        "error",
    ]
    rows = {line.split()[0]: (line.split(), markup) for line, markup in lines[1:]}
    assert rows["T-API-001"][0] == ["T-API-001", "MUST", "automated", "fail", "1", "1", "0", "0"]
    assert rows["T-API-001"][1] == {"red": True}
    assert rows["T-OPS-001"][0][3] == "awaiting-attestation"
    assert len(rows) == 5


def test_clause_table_in_chinese_aligns_wide_characters(tmp_path: Path) -> None:
    data = make_results(make_standard(tmp_path / "standards"), FAILING)
    lines = clause_table(data)  # zh-CN by default
    assert lines[0][0].split() == ["条款", "级别", "验证", "状态", "通过", "失败", "跳过", "错误"]
    rows = {line.split()[0]: line for line, _ in lines[1:]}
    assert rows["T-API-001"].split()[:4] == ["T-API-001", "必须", "自动", "失败"]
    assert rows["T-OPS-001"].split()[3] == "待审核员证明"
    # every line is as wide on a terminal (a CJK character takes two columns)
    widths = {
        sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line, _ in lines
    }
    assert len(widths) == 1, widths


def test_summary_follows_the_language(tmp_path: Path) -> None:
    data = make_results(make_standard(tmp_path / "standards"), FAILING)
    zh = [line for line, _ in summary_lines(data, tmp_path, "zh-CN")]
    en = [line for line, _ in summary_lines(data, tmp_path, "en")]
    assert zh[-2] == "结论：不符合标准"
    assert en[-2] == "verdict: DOES NOT CONFORM"
    assert en[1].startswith("results: ")
    assert zh[1].startswith("结果：")
    reasons = [line for line in zh if line.startswith("  - ")]
    assert reasons
    assert all("MUST" not in line for line in reasons), reasons


def _result(clause: str, check: str, target: str, status: str, message: str) -> dict[str, object]:
    return {
        "id": f"{clause}::{check}::{target}",
        "clause": clause,
        "check": check,
        "target": target,
        "status": status,
        "message": message,
        "failures": [],
    }


def test_one_cause_is_one_line_with_its_count_and_first_place() -> None:
    refused = "timeout: no response within 2s"
    results = [_result(f"A-{n}", "response_schema", "GET /a", "error", refused) for n in range(40)]
    results.append(_result("B-1", "pagination", "GET /b", "fail", "page size ignored"))
    results.append(_result("B-2", "filters", "GET /b", "pass", "8 examined, no failure"))
    lines = [line for line, _ in cause_lines(results)]
    assert lines == [
        f"ERROR x40 A-0 response_schema on GET /a (and 39 more): {refused}",
        "FAIL B-1 pagination on GET /b: page size ignored",
    ]
    # what was said already (the unreachable candidate) is not said again
    assert [line for line, _ in cause_lines(results, said=[refused])] == [lines[1]]


def test_summary_says_an_unreachable_candidate_once_with_its_exit_code(tmp_path: Path) -> None:
    data = make_results(make_standard(tmp_path / "standards"), FAILING)
    reason = "base_url=http://127.0.0.1:9 accepts no connection (Connection refused)"
    data["unreachable"] = reason
    for result in data["results"]:
        result["status"], result["message"] = "error", f"candidate unreachable: {reason}"
    data["reasons"] = ["MUST clause T-API-001: error", "MUST clause T-API-002: error"]
    data.pop("i18n", None)  # reasons as an older results.json has them: English only
    text = "\n".join(line for line, _ in summary_lines(data, lang="en"))
    assert text.count("accepts no connection") == 1
    assert "exit code 3" in text
    assert "MUST clauses T-API-001, T-API-002: error" in text
    zh = "\n".join(line for line, _ in summary_lines(data))  # zh-CN by default
    assert zh.count("accepts no connection") == 1
    assert "退出码 3" in zh


def test_run_display_prints_the_header_and_a_line_per_finished_task() -> None:
    from conformance.engine.events import RunStarted
    from conformance.reporting.terminal import RunDisplay

    out: list[str] = []
    display = RunDisplay(out.append, tty=False)
    display(
        RunStarted(
            run_id="r",
            seed=7,
            standard="x@1.0.0",
            digest="sha256:00",
            candidate="system 1.0",
            base_url="http://127.0.0.1:9",
            targets=tuple(TARGETS),
            unreachable=None,
            shard="2/3",
        )
    )
    for target in TARGETS:
        display(TaskStarted(target))
        display(_finished(target, Outcome.PASS))
    assert out[:3] == [
        "conformance: standard=x@1.0.0 digest=sha256:00\n",
        "conformance: candidate=system 1.0 (http://127.0.0.1:9)\n",
        "conformance: shard 2/3 of the run's tasks\n",
    ]
    assert len(out) == 3 + len(TARGETS)
    assert all(f"{t} (0.2s)" in line for t, line in zip(TARGETS, out[3:], strict=True))
    quiet: list[str] = []
    display = RunDisplay(quiet.append, tty=False, quiet=True)
    display(_finished("GET /a", Outcome.PASS))
    assert quiet == []


def test_an_export_failure_is_titled_by_its_finding_in_chinese() -> None:
    from conformance.i18n import msg, render
    from conformance.reporting.terminal import _failure_text

    finding = msg("export.bom", detail="a byte order mark")
    failure = {
        "title": "Export finding: bom",
        "message": "line 1: a byte order mark",
        "i18n": {
            "title": msg("export.title", name=msg("export.bom.title"), kind="bom").as_dict(),
            "message": msg("export.at", location="line 1", issue=finding).as_dict(),
        },
    }
    text = _failure_text(failure, "zh-CN")
    assert "export.at" not in text, text
    assert ".title" not in text, text
    title = msg("export.title", name=msg("export.bom.title"), kind="bom")
    assert text.startswith(render(title, "zh-CN")), text
