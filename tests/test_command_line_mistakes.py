"""Command-line mistakes (issue 15 item 8): exit 2, one line, no traceback, nothing written.

Each mistake goes through a real ``conformance run`` (or ``pytest --standard``) process; the
reports folder is watched so that a refused run id can never have written outside it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.errors import UsageError
from conformance.options import check_base_url, check_run_id
from conformance.session import RunOptions, prepare
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli

LICENCE = "gov.e-licence@1.1.0"
CANDIDATE = str(FIXTURE / "candidate.yaml")
# Nothing is listening there: a run that got past its options would end with exit 3.
UNUSED = "http://127.0.0.1:9"


def _args(tmp_path: Path, extra: tuple[str, ...], reports: Path | None) -> list[str]:
    args = ["run", "--standard", LICENCE, "--candidate", CANDIDATE, "--max-examples", "1"]
    args += ["--reports-dir", str(reports or tmp_path / "reports")]
    if not any(a.startswith("--base-url") for a in extra):
        args += ["--base-url", UNUSED]
    return [*args, *extra]


def _run(tmp_path: Path, *extra: str, reports: Path | None = None) -> tuple[int, str, str]:
    """``conformance run`` in a real child process."""
    done = run_cli(*_args(tmp_path, extra, reports), env={TOKEN_ENV: "t"}, cwd=tmp_path)
    return done.code, done.out, done.err


def _main(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *extra: str, reports: Path | None = None
) -> tuple[int, str, str]:
    """The same command through ``conformance.cli.main`` in this process (many cases)."""
    try:
        code = main(_args(tmp_path, extra, reports))
    except SystemExit as exc:  # argparse ends the process this way
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_exit_2(code: int, out: str, err: str, pattern: str) -> None:
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert pattern in lines[0], lines[0]
    assert "Traceback" not in out + err


def _written(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


NUMBERS = [
    ("--request-timeout", value)
    for value in ("nan", "NaN", "inf", "-inf", "-1", "0", "1e308", "3601", "ten")
] + [
    ("--max-duration", "nan"),
    ("--max-duration", "inf"),
    ("--max-duration", "0"),
    ("--max-duration", "-5"),
    ("--rate-limit", "nan"),
    ("--rate-limit", "0"),
    ("--rate-limit", "inf"),
    ("--rate-limit", "1e-300"),
    ("--workers", "0"),
    ("--workers", "-2"),
    ("--workers", "65"),
    ("--workers", "nan"),
    ("--jobs", "0"),
    ("--jobs", "nan"),
    ("--max-examples", "-1"),
    ("--max-examples", "nan"),
    ("--max-response-bytes", "0"),
    ("--max-response-bytes", "-1"),
    ("--max-errors-per-type", "-1"),
    ("--seed", "nan"),
]


@pytest.mark.parametrize(("flag", "value"), NUMBERS, ids=[f"{f}={v}" for f, v in NUMBERS])
def test_numeric_option_out_of_range_is_one_line_exit_2(
    flag: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(capsys, tmp_path, f"{flag}={value}")
    _one_line_exit_2(code, out, err, f"argument {flag}")
    assert not (tmp_path / "reports").exists()


def test_reports_dir_naming_a_file(tmp_path: Path) -> None:
    taken = tmp_path / "reports.txt"
    taken.write_text("not a folder\n")
    code, out, err = _run(tmp_path, reports=taken)
    _one_line_exit_2(code, out, err, "is a file; expected a folder")
    assert taken.read_text() == "not a folder\n"


def test_reports_dir_under_a_file(tmp_path: Path) -> None:
    taken = tmp_path / "reports.txt"
    taken.write_text("x")
    code, out, err = _run(tmp_path, reports=taken / "inner")
    _one_line_exit_2(code, out, err, "is a file; expected a folder")


RUN_IDS = ["../escape", "../../escape", "a/b", "a\\b", "..", ".hidden", "", "/abs", "x" * 200]


@pytest.mark.parametrize(
    "run_id",
    RUN_IDS,
    ids=["up", "up2", "slash", "backslash", "dotdot", "hidden", "empty", "absolute", "long"],
)
def test_run_id_never_leaves_the_reports_folder(
    run_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    reports = work / "reports"
    work.mkdir()
    code, out, err = _main(capsys, work, f"--run-id={run_id}", reports=reports)
    _one_line_exit_2(code, out, err, "--run-id=")
    assert _written(tmp_path) == []  # nothing inside the reports folder, nor outside it


def test_good_run_id_is_used(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "--run-id", "nightly-2026.12_06")
    assert code == 3, out + err  # past the options: nothing listens on the base URL
    assert (tmp_path / "reports" / "nightly-2026.12_06" / "results.json").is_file()


URLS = [
    "ftp://127.0.0.1/",
    "file:///etc/passwd",
    "",
    " ",
    "http://",
    "127.0.0.1:8080",
    "javascript:alert(1)",
    "http://127.0.0.1:99999",
    "http://host/\x1b[31m",
    "gopher://x",
]


@pytest.mark.parametrize(
    "url",
    URLS,
    ids=[
        "ftp",
        "file",
        "empty",
        "blank",
        "no-host",
        "no-scheme",
        "javascript",
        "bad-port",
        "escape",
        "gopher",
    ],
)
def test_base_url_not_http_is_exit_2_not_3(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(capsys, tmp_path, f"--base-url={url}")
    _one_line_exit_2(code, out, err, "--base-url=")
    assert "expected an http:// or https:// URL with a host" in err
    assert "\x1b" not in err  # shown escaped (repr), never raw


def test_unknown_option_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _main(capsys, tmp_path, "--request-timeuot", "2")
    _one_line_exit_2(code, out, err, "unrecognized arguments: --request-timeuot")


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (("--request-timeout", "nan"), "argument --request-timeout"),
        (("--run-id", "../escape"), "--run-id="),
        (("--base-url", "ftp://127.0.0.1/"), "--base-url="),
    ],
    ids=["nan", "run-id", "base-url"],
)
def test_in_a_real_process_too(extra: tuple[str, ...], pattern: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    code, out, err = _run(work, *extra, reports=work / "reports")
    _one_line_exit_2(code, out, err, pattern)
    assert _written(tmp_path) == []


def test_helpers_accept_what_is_right() -> None:
    assert check_base_url("https://api.example.org:8443/v1") == "https://api.example.org:8443/v1"
    assert check_base_url("HTTP://127.0.0.1") == "HTTP://127.0.0.1"
    assert check_run_id("20261206T234213Z-ab12cd") == "20261206T234213Z-ab12cd"
    with pytest.raises(UsageError):
        check_run_id("a..b/..")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeout_s", math.nan),
        ("timeout_s", math.inf),
        ("timeout_s", 0.0),
        ("max_duration_s", math.nan),
        ("max_duration_s", -1.0),
        ("rate_limit", math.inf),
        ("workers", 0),
        ("jobs", 1000),
        ("max_body", 0),
        ("run_id", "../x"),
        ("base_url", "ftp://x"),
    ],
)
def test_library_run_options_are_checked_too(field: str, value: object, tmp_path: Path) -> None:
    """A caller of the Run API building RunOptions itself gets the same refusals."""
    options = RunOptions(
        standard=LICENCE, candidate=Path(CANDIDATE), reports_dir=tmp_path, **{field: value}
    )
    with pytest.raises(UsageError):
        prepare(options)


PYTEST_CASES = [
    ("--request-timeout", "nan", "argument --request-timeout"),
    ("--max-duration", "inf", "argument --max-duration"),
    ("--workers", "0", "argument --workers"),
    ("--run-id", "../escape", "--run-id="),
    ("--base-url", "ftp://127.0.0.1/", "--base-url="),
]


@pytest.mark.parametrize(("flag", "value", "pattern"), PYTEST_CASES)
def test_pytest_door_refuses_the_same_mistakes_with_exit_2(
    flag: str, value: str, pattern: str, tmp_path: Path
) -> None:
    """pytest's own usage errors exit 4; the conformance options exit 2, as ``run`` does."""
    work = tmp_path / "work"
    work.mkdir()
    arguments = ["--standard", LICENCE, "--candidate", CANDIDATE, "--reports-dir", "reports"]
    if flag != "--base-url":
        arguments += ["--base-url", UNUSED]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments, f"{flag}={value}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=work,
        env={**os.environ, TOKEN_ENV: "not-used"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert pattern in output
    assert "Traceback" not in output
    assert _written(tmp_path) == []


def test_merge_refuses_a_shard_run_id_that_leaves_the_folder(tmp_path: Path) -> None:
    shard = tmp_path / "shard" / "results.json"
    shard.parent.mkdir()
    shard.write_text(json.dumps({"run_id": "../../outside", "shard": "1/1"}), encoding="utf-8")
    done = run_cli("merge", str(shard), "--reports-dir", str(tmp_path / "merged"))
    assert done.code == 2, done.out + done.err
    assert "Traceback" not in done.out + done.err
    assert not (tmp_path / "outside").exists()
    assert not (tmp_path / "merged").exists()


def test_merge_refuses_reports_dir_naming_a_file(tmp_path: Path) -> None:
    taken = tmp_path / "reports.txt"
    taken.write_text("x")
    done = run_cli("merge", str(tmp_path / "nothing.json"), "--reports-dir", str(taken))
    _one_line_exit_2(done.code, done.out, done.err, "is a file; expected a folder")
