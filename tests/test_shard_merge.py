"""--shard I/N and conformance merge: the merged run equals the unsharded one."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.commands.merge import ShardError, merge_results
from tests.conftest import FIXTURE, LOAD_DEPENDENT_CHECKS, TOKEN_ENV, run_cli

CANDIDATE = FIXTURE / "candidate.yaml"


def _results(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return data


def _run(tmp_path: Path, url: str, token: str, name: str, *extra: str) -> int:
    done = run_cli(
        "run",
        "--standard",
        "gov.e-licence@1.1.0",
        "--candidate",
        str(CANDIDATE),
        "--base-url",
        url,
        "--seed",
        "4711",
        "--max-examples",
        "2",
        "--reports-dir",
        str(tmp_path / name),
        "--run-id",
        "run",
        *extra,
        env={TOKEN_ENV: token},
    )
    assert done.code in (0, 1), done.err
    return done.code


@pytest.mark.slow
def test_merged_shards_equal_the_unsharded_run(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    _run(tmp_path, reference_url, token, "full")
    for index in (1, 2, 3):
        _run(tmp_path, reference_url, token, f"s{index}", "--shard", f"{index}/3")
    shards = [tmp_path / f"s{i}" / "run" for i in (3, 1, 2)]  # any order
    part = _results(shards[1])
    assert part["shard"]["index"] == 1
    assert part["shard"]["count"] == 3
    assert 0 < len(part["results"]) < len(_results(tmp_path / "full" / "run")["results"])
    done = run_cli("merge", *map(str, shards), "--reports-dir", str(tmp_path / "merged"))
    full = _results(tmp_path / "full" / "run")
    merged = _results(tmp_path / "merged" / "run")
    assert done.code == full["exit_code"]
    for key in ("verdict", "reasons", "exit_code", "requests_sha256"):
        assert merged[key] == full[key], key
    # A response-time result (a SHOULD) passes or fails with the machine's load, in the shards
    # as in the full run: its status, and what it adds to the summary and warnings, are left out.
    timed = {r["id"] for r in full["results"] if r["check"] in LOAD_DEPENDENT_CHECKS}
    timed_clauses = {r["clause"] for r in full["results"] if r["id"] in timed}
    assert timed

    def steady(data: dict[str, Any]) -> dict[str, Any]:
        summary = Counter(data["summary"])
        summary.subtract(r["status"] for r in data["results"] if r["id"] in timed)
        return {
            "summary": summary,
            "warnings": [w for w in data["warnings"] if not any(c in w for c in timed_clauses)],
            "results": [
                (r["id"], None if r["id"] in timed else r["status"], r["examined"])
                for r in data["results"]
            ],
            "clauses": [
                (c["id"], None if c["id"] in timed_clauses else c["status"])
                for c in data["clauses"]
            ],
        }

    assert steady(merged) == steady(full)
    assert "shard" not in merged
    assert (tmp_path / "merged" / "run" / "junit.xml").is_file()
    assert token not in (tmp_path / "merged" / "run" / "results.json").read_text("utf-8")


def _shard(index: int, count: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "run_id": "r",
        "seed": 1,
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:00:01+00:00",
        "standard": {"ref": "x@1.0.0", "digest": "sha256:0"},
        "candidate": {"system": "s"},
        "unreachable": None,
        "warnings": [],
        "clauses": [{"id": "A-001", "level": "MUST", "verification": "automated"}],
        "exports": {},
        "plan": [{"target": f"t{index}", "kind": "api", "results": [f"A-001::c::t{index}"]}],
        "results": [
            {"id": f"A-001::c::t{index}", "clause": "A-001", "check": "c", "target": f"t{index}"}
            | {"status": "pass"}
        ],
        "shard": {"index": index, "count": count, "targets": [f"t{index}"]},
        "_path": f"shard{index}.json",
    }
    data.update(changes)
    return data


def test_merge_recomputes_the_verdict() -> None:
    merged = merge_results([_shard(2, 2), _shard(1, 2)])
    assert merged["verdict"] == "pass"
    assert [r["target"] for r in merged["results"]] == ["t1", "t2"]
    assert merged["summary"] == {"pass": 2, "fail": 0, "skip": 0, "error": 0}
    failing = _shard(2, 2)
    failing["results"][0]["status"] = "fail"
    merged = merge_results([_shard(1, 2), failing])
    assert merged["verdict"] == "fail"
    assert merged["exit_code"] == 1
    assert merged["reasons"] == ["MUST clause A-001: fail"]


def test_merged_shards_missing_a_planned_result_do_not_conform() -> None:
    merged = merge_results([_shard(1, 2), _shard(2, 2)])
    assert [t["target"] for t in merged["plan"]] == ["t1", "t2"]
    lacking = _shard(2, 2)
    lacking["plan"][0]["results"].append("A-001::other::t2")  # owed, never written
    merged = merge_results([_shard(1, 2), lacking])
    assert merged["verdict"] == "fail"
    assert merged["exit_code"] == 1
    assert merged["reasons"][0].startswith("incomplete run: 1 planned result(s) missing")
    assert "A-001::other::t2" in merged["reasons"][0]
    unplanned = _shard(2, 2)
    del unplanned["plan"]  # written by an older suite: completeness cannot be shown
    merged = merge_results([_shard(1, 2), unplanned])
    assert "plan" not in merged
    assert merged["verdict"] == "fail"
    assert "records no plan" in merged["reasons"][0]


@pytest.mark.parametrize(
    ("shards", "expected"),
    [
        ([_shard(1, 2)], "2/2 missing"),
        ([_shard(1, 2), _shard(1, 2)], "given twice"),
        ([_shard(1, 2), _shard(2, 2, seed=9)], "/seed"),
        ([_shard(1, 2), _shard(2, 3)], "/shard/count"),
    ],
)
def test_merge_refuses_shards_of_different_runs(
    shards: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(ShardError, match=expected):
        merge_results(shards)


def test_merge_cli_errors_are_clean(tmp_path: Path) -> None:
    plain = tmp_path / "results.json"
    plain.write_text(json.dumps({"verdict": "pass"}), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{\n  oops", encoding="utf-8")
    for path, text in ((plain, "/shard"), (broken, ":2:"), (tmp_path / "none.json", "no such")):
        done = run_cli("merge", str(path), "--reports-dir", str(tmp_path / "out"))
        assert done.code == 2
        assert text in done.err
        assert "Traceback" not in done.err


def test_run_help_lists_shard_and_jobs() -> None:
    done = run_cli("run", "--help")
    assert done.code == 0, done.err
    assert "--shard I/N" in done.out
    assert "--jobs N" in done.out
    done = run_cli("run", "--candidate", str(CANDIDATE), "--shard", "3/2")
    assert done.code == 2
    assert "I/N" in done.err
