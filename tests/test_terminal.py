"""Terminal output for long runs: a progress bar per phase and the per-clause summary table."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from conformance.engine.events import TaskFinished, TaskStarted
from conformance.reporting.terminal import PhaseProgress, bar, clause_table, summary
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
    zh = [line for line, _ in summary(data, tmp_path, "zh-CN")]
    en = [line for line, _ in summary(data, tmp_path, "en")]
    assert zh[-2] == "结论：不符合标准"
    assert en[-2] == "verdict: DOES NOT CONFORM"
    assert en[1].startswith("results: ")
    assert zh[1].startswith("结果：")
    reasons = [line for line in zh if line.startswith("  - ")]
    assert reasons
    assert all("MUST" not in line for line in reasons), reasons
