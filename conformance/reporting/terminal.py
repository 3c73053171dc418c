"""The per-clause summary table printed at the end of a run (pytest's terminal summary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["PhaseProgress", "bar", "clause_table"]

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
        from conformance.engine.events import TaskFinished, TaskStarted

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
