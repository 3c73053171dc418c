"""``--jobs N``: validate a large JSON Lines file as byte ranges in parallel processes.

The file is cut at line starts into at most ``jobs`` ranges (each at least
``ReadLimits.min_range_bytes``); the line number each range starts at is counted first, so every
issue carries its absolute line. Worker processes (``spawn``, bounded in number) validate one
range each; the parent merges counts exactly, keeps the first issues per kind in file order
up to the cap, joins line-ending statistics, and merges key hashes. Candidate duplicate keys
are then collected by the same workers (they share one ``PYTHONHASHSEED``, so their hashes
agree) and reported with both places. JSON arrays, CSV and XML are validated whole, in one
process: their record boundaries cannot be found without parsing from the start; so is a
gzip'd file of any format (decompression cannot start in the middle).
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.exports._compressed import is_gzip
from conformance.exports._encoding import Endings
from conformance.exports._files import open_regular
from conformance.exports._keys import KeyHashes, report_duplicates
from conformance.exports._limits import ReadLimits, adopt, current
from conformance.exports._model import (
    MAX_CAUSES,
    OTHER_FIELDS,
    RECORDS,
    ExportIssue,
    ExportReport,
    Severity,
    Sink,
)
from conformance.exports._paths import ALL, Selection, describe, select
from conformance.regex_validator import adopt_budget, budget_share
from conformance.standards.model import ExportSpec

MAX_JOBS = 64
_SCAN = 1024 * 1024


class DeadlinePassed(Exception):
    """waits (issue 15 item 3): the run's --max-duration ended before the files were read.

    ``deadline`` (a ``time.monotonic()`` value) bounds the wait for the worker processes;
    leaving the pool terminates them."""


def _gather(pending: Any, deadline: float | None) -> Any:
    """A pool's ``map_async`` results, waited for until ``deadline`` at the latest."""
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    try:
        return pending.get(timeout)
    except multiprocessing.TimeoutError:
        raise DeadlinePassed("the run's time budget ended while the files were read") from None


def plan_ranges(path: Path, jobs: int) -> list[tuple[int, int | None, int]]:
    """(start, end, first line) of each range; one range when the file is small.

    A gzip'd file is one range whatever its size: its decompressed offsets cannot be sought.
    """
    size = path.stat().st_size
    count = max(1, min(jobs, MAX_JOBS, size // current().min_range_bytes))
    if count > 1 and is_gzip(path):
        count = 1
    if count == 1:
        return [(0, None, 1)]
    cuts = [0]
    with open_regular(path) as stream:
        for index in range(1, count):
            stream.seek(max(size * index // count, cuts[-1]))
            stream.readline()  # to the next line start
            position = stream.tell()
            if position >= size:
                break
            if position > cuts[-1]:
                cuts.append(position)
        lines = [1]
        stream.seek(0)
        newlines = 0
        done = 0
        for cut in cuts[1:]:
            while done < cut:
                block = stream.read(min(_SCAN, cut - done))
                if not block:
                    break
                newlines += block.count(b"\n")
                done += len(block)
            lines.append(newlines + 1)
    ends: list[int | None] = [*cuts[1:], None]
    return list(zip(cuts, ends, lines, strict=True))


def _start_worker(share: float | None, limits: ReadLimits) -> None:
    """A worker's start: the run's pattern budget share, the parent's read limits."""
    adopt_budget(share)
    adopt(limits)


@contextmanager
def _pool(jobs: int) -> Iterator[Any]:
    """A spawn pool whose workers share one random hash seed (key hashes must agree)."""
    context = multiprocessing.get_context("spawn")
    saved = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = str(secrets.randbelow(2**32 - 1) + 1)
    try:
        # sealed (issue 15 item 5): the run's pattern budget, shared out among the workers
        share = budget_share(jobs)
        pool = context.Pool(processes=jobs, initializer=_start_worker, initargs=(share, current()))
    finally:
        if saved is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = saved
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


class WorkerError(RuntimeError):
    """A worker's exception, as its type name and message: it always pickles, so it reaches
    the parent (and becomes an error result there) whatever the original held."""


def _guarded(call: tuple[Callable[[Any], Any], Any]) -> Any:
    """Worker entry: ``function(args)``; any exception comes back as a :class:`WorkerError`.

    An exception that cannot be pickled (lxml's carry C objects) would otherwise make the
    pool raise something else in the parent, or lose the task.
    """
    function, args = call
    try:
        return function(args)
    except Exception as exc:
        raise WorkerError(
            f"{type(exc).__name__} in an export worker process: {str(exc)[:2000]}"
        ) from None


def _validate_range(
    args: tuple[ExportSpec, Path, int, int | None, int, int, Selection],
) -> dict[str, Any]:
    """Worker: validate one byte range; return what the parent merges (picklable)."""
    from conformance.exports._validate import Part, _validate

    spec, path, start, end, first_line, cap, paths = args
    report = ExportReport(export=spec.name, path=path, format=spec.format, encoding=spec.encoding)
    part = Part(
        start=start,
        end=end,
        first_line=first_line,
        hashes=KeyHashes() if spec.key else None,
        paths=paths,
    )
    _validate(spec, path, Sink(report, cap), None, part)
    return {
        "report": report,
        "described": part.described,
        "endings": part.endings,
        "hashes": part.hashes.to_bytes() if part.hashes is not None else None,
    }


def _collect_range(
    args: tuple[ExportSpec, Path, int, int | None, int, frozenset[int]],
) -> list[tuple[str, list[Any], int | str, dict[str, Any]]]:
    from conformance.exports._validate import Part, collect_keys

    spec, path, start, end, first_line, candidates = args
    return collect_keys(spec, path, Part(start=start, end=end, first_line=first_line), candidates)


def validate_parallel(
    spec: ExportSpec,
    path: Path,
    *,
    max_per_type: int,
    jobs: int,
    deadline: float | None = None,
    paths: Selection = ALL,
) -> ExportReport:
    """Validate ``path`` with up to ``jobs`` processes; the same report as one process gives."""
    from conformance.exports._validate import validate_export

    jobs = max(1, min(jobs, MAX_JOBS))
    try:
        eligible = spec.format == "jsonl" and path.is_file()
        ranges = plan_ranges(path, jobs) if eligible else [(0, None, 1)]
    except OSError:
        ranges = [(0, None, 1)]
    if len(ranges) == 1:
        return validate_export(
            spec, path, max_per_type=max_per_type, deadline=deadline, paths=paths
        )
    started = time.perf_counter()
    with _pool(min(jobs, len(ranges))) as pool:
        tasks = [(spec, path, start, end, line, max_per_type, paths) for start, end, line in ranges]
        parts: list[dict[str, Any]] = _gather(
            pool.map_async(_guarded, [(_validate_range, t) for t in tasks], chunksize=1),
            deadline,
        )
        first: ExportReport = parts[0]["report"]
        if not first.complete and (
            first.counts[(RECORDS, "wrong-format")] or first.counts[(RECORDS, "empty-file")]
        ):
            # Not JSON Lines at all: what the start of the file says is the whole story.
            first.seconds = time.perf_counter() - started
            parts[0]["endings"].report(Sink(first, max_per_type))
            return first
        report = ExportReport(
            export=spec.name, path=path, format=spec.format, encoding=first.encoding
        )
        sink = Sink(report, max_per_type)
        endings = Endings()
        hashes = KeyHashes() if spec.key else None
        for part in parts:
            _merge(report, part["report"], max_per_type)
            endings.merge(part["endings"])
            if hashes is not None and part["hashes"] is not None:
                hashes.merge(KeyHashes.from_bytes(part["hashes"]))
        endings.report(sink)
        described = parts[0]["described"]
        shown = describe(spec.format, paths, report.paths) if described else first.validation_path
        report.validation_path = f"{shown} ({len(ranges)} byte ranges)"
        if hashes is not None:
            candidates = hashes.candidates()
            if candidates:
                found: list[Any] = []
                collect = [(spec, path, s, e, line, candidates) for s, e, line in ranges]
                gathered = _gather(
                    pool.map_async(_guarded, [(_collect_range, c) for c in collect], chunksize=1),
                    deadline,
                )
                for chunk in gathered:
                    found.extend(chunk)
                report_duplicates(sink, spec.key, found)
    report.seconds = time.perf_counter() - started
    return report


def _merge(report: ExportReport, part: ExportReport, cap: int) -> None:
    """Add a later range's findings: exact counts, issues in file order up to the cap."""
    report.records += part.records
    report.bytes_read += part.bytes_read
    report.complete = report.complete and part.complete
    report.paths.update(part.paths)
    for key, count in part.counts.items():
        report.counts[key] += count
    for key, severity in part.severities.items():
        if report.severities.get(key) is not Severity.ERROR:
            report.severities[key] = severity
    listed: dict[tuple[str, str], int] = {}
    causes = {issue.cause_key() for issue in report.issues}
    for issue in report.issues:
        listed[(issue.check, issue.kind)] = listed.get((issue.check, issue.kind), 0) + 1
    kept: list[ExportIssue] = []
    for issue in part.issues:
        key = (issue.check, issue.kind)
        # up to the cap per kind, and the first example of every cause (as Sink lists them)
        first = cap > 0 and issue.cause_key() not in causes
        if listed.get(key, 0) < cap or first:
            listed[key] = listed.get(key, 0) + 1
            causes.add(issue.cause_key())
            kept.append(issue)
    report.issues.extend(kept)
    for cause, count in part.cause_counts.items():
        if cause not in report.cause_counts and len(report.cause_counts) >= MAX_CAUSES:
            cause = (*cause[:2], OTHER_FIELDS, "")
        report.cause_counts[cause] += count
    for key, count in report.counts.items():
        if count > cap:
            report.capped.add(key)


def _validate_file(
    args: tuple[ExportSpec, Path, int, Selection], deadline: float | None = None
) -> ExportReport:
    from conformance.exports._validate import validate_export

    spec, path, cap, paths = args
    return validate_export(spec, path, max_per_type=cap, deadline=deadline, paths=paths)


def validate_many(
    items: list[tuple[ExportSpec, Path]],
    *,
    max_per_type: int,
    jobs: int,
    deadline: float | None = None,
    paths: Iterable[str] | Selection | None = None,
) -> list[ExportReport]:
    """Several export files with up to ``jobs`` processes, reports in the order given.

    Files are validated side by side, one per process; a JSON Lines file large enough to be
    split is then validated alone, by byte ranges across the processes. ``paths``: as
    :func:`~conformance.exports.validate_export` takes it.
    """
    jobs = max(1, min(jobs, MAX_JOBS))
    selection = select(paths)
    reports: list[ExportReport | None] = [None] * len(items)
    whole: list[int] = []
    split: list[int] = []
    for index, (spec, path) in enumerate(items):
        try:
            large = spec.format == "jsonl" and len(plan_ranges(Path(path), jobs)) > 1
        except OSError:
            large = False
        (split if large else whole).append(index)
    if len(whole) > 1 and jobs > 1:
        with _pool(min(jobs, len(whole))) as pool:
            tasks = [(items[i][0], Path(items[i][1]), max_per_type, selection) for i in whole]
            done = _gather(
                pool.map_async(_guarded, [(_validate_file, t) for t in tasks], chunksize=1),
                deadline,
            )
            for index, report in zip(whole, done, strict=True):
                reports[index] = report
    else:
        for index in whole:
            reports[index] = _validate_file(
                (items[index][0], Path(items[index][1]), max_per_type, selection), deadline
            )
    for index in split:
        spec, path = items[index]
        reports[index] = validate_parallel(
            spec,
            Path(path),
            max_per_type=max_per_type,
            jobs=jobs,
            deadline=deadline,
            paths=selection,
        )
    return [report for report in reports if report is not None]
