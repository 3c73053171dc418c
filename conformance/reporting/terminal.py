"""What a run shows on the terminal: progress while it goes, and a summary at its end.

Both front doors show the same: :class:`RunDisplay` listens to the engine's events
(``conformance run``; the pytest plugin uses :class:`PhaseProgress` and
:class:`ExportProgress` the same way), and :func:`summary_lines` is the end-of-run summary,
read from results.json's dictionary (pytest prints it in its terminal summary).

One cause, one line: results that failed or erred for the same reason are shown once, with
how many there are and where the first was; an unreachable candidate is said once, with
its exit code; every detail stays in results.json.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from conformance.engine.events import (
    Event,
    RunFinished,
    RunStarted,
    TaskFinished,
    TaskProgress,
    TaskStarted,
)
from conformance.errors import ExitCode
from conformance.exports.progress import TerminalProgress

__all__ = [
    "ExportProgress",
    "PhaseProgress",
    "RunDisplay",
    "bar",
    "cause_lines",
    "clause_table",
    "header_lines",
    "summary_lines",
]

Line = tuple[str, dict[str, bool]]
MAX_CAUSES = 20  # distinct causes listed; the rest are counted
MAX_FAILURES_PER_CAUSE = 3

_COLOURS = {
    "pass": {"green": True},
    "attested": {"green": True},
    "waived": {"yellow": True},
    "fail": {"red": True},
    "error": {"red": True, "bold": True},
    "awaiting-attestation": {"yellow": True},
    "skip": {},
}


def clause_table(data: Mapping[str, Any]) -> list[tuple[str, dict[str, bool]]]:
    """One line per clause: id, level, verification, status, and result counts per status."""
    counts: dict[str, Counter[str]] = {}
    for result in data["results"]:
        counts.setdefault(result["clause"], Counter())[result["status"]] += 1
    width = max([len(c["id"]) for c in data["clauses"]] + [6])
    header = (
        f"{'clause':<{width}}  {'level':<6}  {'verify':<9}  {'status':<20}  "
        f"{'pass':>5} {'fail':>5} {'skip':>5} {'error':>5}"
    )
    lines: list[tuple[str, dict[str, bool]]] = [(header, {"bold": True})]
    for clause in data["clauses"]:
        seen = counts.get(clause["id"], Counter())
        status = clause["status"]
        line = (
            f"{clause['id']:<{width}}  {clause['level']:<6}  {clause['verification']:<9}  "
            f"{status:<20}  {seen['pass']:>5} {seen['fail']:>5} {seen['skip']:>5} "
            f"{seen['error']:>5}"
        )
        lines.append((line, dict(_COLOURS.get(status, {}))))
    return lines


PHASES = {"api": ("API operations", "接口"), "export": ("exports", "导出文件")}


def phase_of(target: str) -> str:
    return "export" if target.startswith("export ") else "api"


def bar(done: int, total: int, width: int = 24) -> str:
    filled = width if total <= 0 else min(width, width * done // total)
    return "[" + "#" * filled + "." * (width - filled) + "]"


class PhaseProgress:
    """A progress bar per phase of a run (API operations, then exports), fed by engine events.

    A listener for :class:`conformance.engine.run.Run`: on a terminal it redraws one line per
    phase in place; elsewhere (CI logs) it prints one line per finished task.  It keeps only
    counters, so it stays small whatever the run's size.
    """

    def __init__(
        self, targets: list[str], write: Callable[[str], None], *, tty: bool, width: int = 24
    ) -> None:
        self.totals = Counter(phase_of(t) for t in targets)
        self.done: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.write = write
        self.tty = tty
        self.width = width

    def _line(self, phase: str, current: str) -> str:
        name = PHASES[phase][0]
        done, total = self.done[phase], self.totals[phase]
        failed = f", {self.failed[phase]} with failures" if self.failed[phase] else ""
        return f"{name:<14} {bar(done, total, self.width)} {done}/{total}{failed}  {current}"

    def __call__(self, event: object) -> None:
        if isinstance(event, TaskStarted):
            if self.tty:
                self.write("\r\x1b[K" + self._line(phase_of(event.target), event.target))
        elif isinstance(event, TaskFinished):
            phase = phase_of(event.target)
            self.done[phase] += 1
            if any(r.outcome.value in ("fail", "error") for r in event.results):
                self.failed[phase] += 1
            finished = self.done[phase] >= self.totals[phase]
            text = self._line(phase, f"{event.target} ({event.duration_s:.1f}s)")
            if self.tty:
                self.write("\r\x1b[K" + text + ("\n" if finished else ""))
            else:
                self.write(text + "\n")


class ExportProgress:
    """A progress line per export file read for more than a few seconds (engine events)."""

    def __init__(self, capture: Any = None, stream: TextIO | None = None) -> None:
        self.capture = capture  # pytest's capture manager: shown past output capture
        self.stream = stream
        self.shown: dict[str, TerminalProgress] = {}
        self._lock = threading.Lock()

    def __call__(self, event: object) -> None:
        if not isinstance(event, TaskProgress):
            return
        with self._lock:
            display = self.shown.get(event.target)
            if display is None:
                name = event.target.removeprefix("export ")
                display = TerminalProgress(name, stream=self.stream, capture=self.capture)
                self.shown[event.target] = display
        display(event.done, event.total)


def header_lines(event: RunStarted) -> list[str]:
    """What a run is, after the line with its seed: the standard, the candidate, the shard."""
    lines = [
        f"conformance: standard={event.standard} digest={event.digest}",
        f"conformance: candidate={event.candidate} ({event.base_url or 'no base_url'})",
    ]
    if event.shard:
        lines.append(f"conformance: shard {event.shard} of the run's tasks")
    return lines


def _where(result: Mapping[str, Any]) -> str:
    return f"{result['clause']} {result['check']} on {result['target']}"


def cause_lines(
    results: Sequence[Mapping[str, Any]], *, said: Sequence[str] = (), limit: int = MAX_CAUSES
) -> list[Line]:
    """The results that failed or erred, one line per distinct cause (their message), with a
    count and where the first was; a failure's own lines (with its curl) once per cause too.

    ``said``: messages already shown (the unreachable candidate's), left out here.
    """
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for result in results:
        status = result["status"]
        if status not in ("fail", "error") or result["message"] in said:
            continue
        groups.setdefault((status, result["message"]), []).append(result)
    lines: list[Line] = []
    for number, ((status, message), members) in enumerate(groups.items()):
        if number == limit:
            rest = sum(len(m) for m in list(groups.values())[limit:])
            more = f"  ... {len(groups) - limit} more cause(s), {rest} result(s)"
            lines.append((more + ": see results.json", {}))
            break
        count = f" x{len(members)}" if len(members) > 1 else ""
        more = f" (and {len(members) - 1} more)" if len(members) > 1 else ""
        colour = {"red": True, "bold": status == "error"}
        lines.append((f"{status.upper()}{count} {_where(members[0])}{more}: {message}", colour))
        failures: dict[tuple[str, str], Mapping[str, Any]] = {}
        for member in members:
            for failure in member.get("failures") or []:
                failures.setdefault((failure["title"], failure["message"]), failure)
        for failure in list(failures.values())[:MAX_FAILURES_PER_CAUSE]:
            lines.append(
                (f"    [x{failure['count']}] {failure['title']}: {failure['message']}", {})
            )
            curl = (failure.get("evidence") or {}).get("curl")
            if curl:
                lines.append((f"      reproduce: {curl}", {}))
    return lines


def summary_lines(data: Mapping[str, Any], run_dir: Path | None = None) -> list[Line]:
    """The end of a run, from results.json's dictionary: counts, causes, clauses, verdict."""
    s = data["summary"]
    lines: list[Line] = [
        (
            f"standard {data['standard']['ref']} ({data['standard']['digest'][:19]}...), "
            f"seed {data['seed']}, run {data['run_id']}",
            {},
        ),
        (f"results: {s['pass']} pass, {s['fail']} fail, {s['skip']} skip, {s['error']} error", {}),
    ]
    unreachable = data.get("unreachable")
    said = [f"candidate unreachable: {unreachable}"] if unreachable else []
    lines += cause_lines(data["results"], said=said)
    lines += clause_table(data)
    if unreachable:
        lines.append(
            (
                f"candidate unreachable: {unreachable} (exit code {int(ExitCode.UNREACHABLE)}; "
                "every API result is an error, details in results.json)",
                {"red": True, "bold": True},
            )
        )
    for reason in _collapsed(data["reasons"]):
        lines.append((f"  - {reason}", {"red": True}))
    for warning in data["warnings"]:
        lines.append((f"  - warning: {warning}", {"yellow": True}))
    passed = data["verdict"] == "pass"
    verdict = "CONFORMS" if passed else "DOES NOT CONFORM"
    lines.append((f"verdict: {verdict}", {"green": passed, "red": not passed, "bold": True}))
    if run_dir is not None:
        lines.append(
            (
                f"reports: {run_dir / 'results.json'}  {run_dir / 'junit.xml'}  "
                f"{run_dir / 'report.html'}",
                {},
            )
        )
    return lines


def _collapsed(reasons: Sequence[str]) -> list[str]:
    """ "MUST clause A: error", "MUST clause B: error" -> "MUST clauses A, B: error"."""
    groups: dict[str, list[str]] = {}
    order: list[str] = []
    for reason in reasons:
        head, sep, tail = reason.partition(": ")
        words = head.split(" ")
        if sep and len(words) == 3 and words[1] == "clause":
            key = f"{words[0]}|{tail}"
            if key not in groups:
                order.append(key)
            groups.setdefault(key, []).append(words[2])
        else:
            order.append(reason)
    lines = []
    for key in order:
        if key not in groups:
            lines.append(key)
            continue
        level, tail = key.split("|", 1)
        ids = groups[key]
        noun = "clause" if len(ids) == 1 else "clauses"
        lines.append(f"{level} {noun} {', '.join(ids)}: {tail}")
    return lines


class RunDisplay:
    """``conformance run``'s terminal: the header, progress per phase, and the summary.

    A listener of the engine's events; ``write`` gets text (lines end with a newline).
    """

    def __init__(
        self,
        write: Callable[[str], None] | None = None,
        *,
        tty: bool | None = None,
        quiet: bool = False,
    ) -> None:
        self.write = write or _stdout
        self.tty = sys.stdout.isatty() if tty is None else tty
        self.quiet = quiet  # no progress lines (the demo)
        self.phases: PhaseProgress | None = None
        self.exports = ExportProgress()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            for line in header_lines(event):
                self.write(line + "\n")
            if not self.quiet:
                self.phases = PhaseProgress(list(event.targets), self.write, tty=self.tty)
        elif isinstance(event, TaskProgress):
            self.exports(event)
        elif isinstance(event, (TaskStarted, TaskFinished)) and self.phases is not None:
            self.phases(event)
        elif isinstance(event, RunFinished):
            pass  # the summary follows the reports (it names them): see summary_lines

    def summary(self, data: Mapping[str, Any], run_dir: Path | None) -> None:
        self.write("\n")
        for line, _ in summary_lines(data, run_dir):
            self.write(line + "\n")


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
