"""``--shard I/N`` results and ``conformance merge``: one run split over CI jobs.

A shard runs the tasks whose index % N == I - 1 (the engine's plan, ``RunConfig.shard``)
and writes a partial results.json (:func:`conformance.reporting.results_json.build_results`)
with a ``shard`` object: its index and count, the tasks it ran in order, its request digests
per operation and what the standard conforms to when the run passes; its exit code is the
slice's own (3 unreachable, 1 when a result failed or erred, else 0). ``conformance merge`` checks
that the shards belong to one run (same standard and digest, candidate, seed, shard count;
each index once), puts the results back in the unsharded task order, recomputes the summary,
the clause statuses and the verdict with :func:`conformance.engine.verdict.decide_from_results`
and writes results.json, JUnit and every report of :data:`conformance.reporting.REPORTERS`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.engine.verdict import decide_from_results, exit_code_for
from conformance.errors import UsageError
from conformance.reporting import REPORTERS
from conformance.reporting.results_json import write_results

MAX_SHARDS = 1000
MAX_RESULTS_BYTES = 256 * 1024 * 1024


class ShardError(UsageError):
    """Shard results that cannot be merged (exit code 2)."""


def _say(text: str) -> None:
    """A line for the terminal: control and bidirectional characters escaped, secrets
    redacted (issue 15)."""
    from conformance.reporting.terminal import terminal_text

    print(terminal_text(text))


def _load(path: Path) -> dict[str, Any]:
    if path.is_dir():
        path = path / "results.json"
    try:
        if path.stat().st_size > MAX_RESULTS_BYTES:
            raise ShardError(f"{path}: larger than {MAX_RESULTS_BYTES} bytes; not a results file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShardError(f"{path}: no such file; expected a shard's results.json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ShardError(f"{path}: cannot read it: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ShardError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("shard"), dict):
        raise ShardError(
            f"{path}: at JSON pointer /shard: no shard object; expected results written with "
            "--shard I/N"
        )
    data["_path"] = str(path)
    return data


def _check_shards(shards: list[dict[str, Any]]) -> int:
    first = shards[0]
    count = first["shard"].get("count")
    if not isinstance(count, int) or not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"{first['_path']}: at JSON pointer /shard/count: {count!r} is not 1-N")
    seen: dict[int, str] = {}
    for data in shards:
        where = data["_path"]
        shard = data["shard"]
        for pointer, mine, theirs in (
            ("/standard/ref", data.get("standard", {}).get("ref"), first["standard"]["ref"]),
            (
                "/standard/digest",
                data.get("standard", {}).get("digest"),
                first["standard"]["digest"],
            ),
            ("/candidate", data.get("candidate"), first.get("candidate")),
            ("/seed", data.get("seed"), first.get("seed")),
            ("/shard/count", shard.get("count"), count),
        ):
            if mine != theirs:
                raise ShardError(
                    f"{where}: at JSON pointer {pointer}: {mine!r} differs from {theirs!r} in "
                    f"{first['_path']}; expected shards of one run"
                )
        index = shard.get("index")
        if not isinstance(index, int) or not 1 <= index <= count:
            raise ShardError(f"{where}: at JSON pointer /shard/index: {index!r} is not 1-{count}")
        if index in seen:
            raise ShardError(f"{where}: shard {index}/{count} given twice (also {seen[index]})")
        seen[index] = where
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        listed = ", ".join(f"{i}/{count}" for i in missing)
        raise ShardError(f"shard(s) {listed} missing; expected all {count} shards of the run")
    return count


def merge_results(shards: list[dict[str, Any]]) -> dict[str, Any]:
    """One results dictionary from every shard of one run, as the unsharded run writes it."""
    if not shards:
        raise ShardError("no shard results given")
    count = _check_shards(shards)
    by_index = {data["shard"]["index"]: data for data in shards}
    ordered = [by_index[i] for i in range(1, count + 1)]
    # Task k of the run went to shard k % N + 1 as its (k // N)-th task.
    order: list[str] = []
    queues = [list(data["shard"].get("targets") or []) for data in ordered]
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    position = {target: number for number, target in enumerate(order)}
    results = [r for data in ordered for r in data.get("results", [])]
    results.sort(key=lambda r: position.get(r.get("target"), len(position)))
    plan = [task for data in ordered for task in data.get("plan") or []]
    plan.sort(key=lambda t: position.get(t.get("target"), len(position)))
    first = ordered[0]
    merged: dict[str, Any] = {k: v for k, v in first.items() if k not in ("shard", "_path")}
    if all(isinstance(data.get("plan"), list) for data in ordered):
        merged["plan"] = plan  # else no plan: the merged run cannot show it is complete
    else:
        merged.pop("plan", None)
    merged["results"] = results
    merged["started_at"] = min(d["started_at"] for d in ordered)
    merged["finished_at"] = max(d["finished_at"] for d in ordered)
    run_ids = {d.get("run_id") for d in ordered}
    merged["run_id"] = first["run_id"] if len(run_ids) == 1 else f"{first['run_id']}-merged"
    merged["unreachable"] = next((d["unreachable"] for d in ordered if d.get("unreachable")), None)
    summary = Counter(r["status"] for r in results)
    merged["summary"] = {k: summary.get(k, 0) for k in ("pass", "fail", "skip", "error")}
    digests: dict[str, str] = {}
    exports: dict[str, Any] = {}
    latency: dict[str, Any] = {}
    for data in ordered:
        digests.update(data["shard"].get("request_digests") or {})
        exports.update(data.get("exports") or {})
        latency.update(data.get("latency_ms") or {})
    listing = "".join(f"{t} {d}\n" for t, d in sorted(digests.items()))
    merged["requests_sha256"] = hashlib.sha256(listing.encode()).hexdigest()
    merged["exports"] = exports
    if "latency_ms" in first:
        merged["latency_ms"] = latency
    verdict = decide_from_results(merged)
    merged["verdict"] = verdict.verdict
    merged["automated"] = {
        "verdict": verdict.automated or verdict.verdict,
        "pending_attestations": list(verdict.pending),
    }
    merged["reasons"] = verdict.reasons
    merged["i18n"] = verdict.i18n()  # the catalog messages, as a run writes them
    other_warnings = [w for w in first.get("warnings", []) if not w.startswith("SHOULD clause ")]
    merged["warnings"] = verdict.warnings + other_warnings
    merged["conforms_to"] = (
        first["shard"].get("conforms_to", []) if verdict.verdict == "pass" else []
    )
    for clause in merged.get("clauses", []):
        clause["status"] = verdict.clause_status[clause["id"]]
        clause["checks"] = sorted({r["check"] for r in results if r["clause"] == clause["id"]})
    merged["exit_code"] = int(exit_code_for(verdict, merged["unreachable"]))
    return merged


def cmd_merge(args: argparse.Namespace) -> int:
    from conformance.options import check_reports_dir, check_run_id

    reports_dir = check_reports_dir(Path(args.reports_dir))  # waits (issue 15 item 8)
    shards = [_load(Path(p)) for p in args.results]
    merged = merge_results(shards)
    # the shards' run id names the merged run's folder: never a path out of --reports-dir
    run_id = merged["run_id"]
    check_run_id(run_id if isinstance(run_id, str) else repr(run_id), "run_id of the shards")
    run_dir = reports_dir / run_id
    if run_dir.exists() and any(run_dir.iterdir()):
        for data in shards:
            if Path(data["_path"]).resolve().parent == run_dir.resolve():
                raise ShardError(
                    f"{run_dir}: holds a shard's own results; expected another --reports-dir "
                    "(shards are never overwritten)"
                )
    write_results(run_dir, merged)
    for reporter in REPORTERS:
        reporter(run_dir, merged)
    verdict = "CONFORMS / 符合" if merged["verdict"] == "pass" else "DOES NOT CONFORM / 不符合"
    s = merged["summary"]
    _say(
        f"merged {len(shards)} shard(s) of {merged['standard']['ref']}: "
        f"{s['pass']} pass, {s['fail']} fail, {s['skip']} skip, {s['error']} error"
    )
    for reason in merged["reasons"]:
        _say(f"  - {reason}")
    _say(f"verdict: {verdict}")
    _say(f"reports: {run_dir / 'results.json'}")
    # issue 16: the merging runner attests the merged run when its key attested every shard
    from conformance.certificates.attest import attest_merged_run, load_runner_key

    shard_dirs = [Path(data["_path"]).parent for data in shards]
    key = load_runner_key(args.runner_key)
    _say(attest_merged_run(run_dir, merged, shard_dirs, key))
    return int(merged["exit_code"])


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    parser = sub.add_parser(
        "merge",
        help="combine the results of --shard I/N runs into one results.json and report",
    )
    parser.add_argument(
        "results",
        nargs="+",
        metavar="RESULTS",
        help="a shard's results.json (or its run folder), one per shard",
    )
    parser.add_argument("--reports-dir", default="reports", metavar="DIR")
    # issue 16: the same runner key as `run --runner-key` (default: $CONFORMANCE_RUNNER_KEY)
    parser.add_argument(
        "--runner-key",
        metavar="PATH",
        help="attest the merged run (each shard must be attested by this key); default: the "
        "PEM text in $CONFORMANCE_RUNNER_KEY",
    )
    parser.set_defaults(func=cmd_merge)
