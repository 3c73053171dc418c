"""The per-clause summary table printed at the end of a run (pytest's terminal summary)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conformance.i18n import DEFAULT_LANG, Message, message_from, render

__all__ = ["PhaseProgress", "bar", "clause_table", "summary"]

_COLOURS = {
    "pass": {"green": True},
    "attested": {"green": True},
    "waived": {"yellow": True},
    "fail": {"red": True},
    "error": {"red": True, "bold": True},
    "awaiting-attestation": {"yellow": True},
    "skip": {},
}


def _width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def _say(message_id: str, lang: str, **params: Any) -> str:
    return render(Message(message_id, params), lang)


def clause_table(
    data: Mapping[str, Any], lang: str = DEFAULT_LANG
) -> list[tuple[str, dict[str, bool]]]:
    """One line per clause: id, level, verification, status, and result counts per status."""
    counts: dict[str, Counter[str]] = {}
    for result in data["results"]:
        counts.setdefault(result["clause"], Counter())[result["status"]] += 1
    names = _say("term.columns", lang).split("|")
    rows = [
        [
            clause["id"],
            _say("level." + clause["level"], lang),
            _say("verification." + clause["verification"], lang),
            _say("status." + clause["status"], lang) if lang != "en" else clause["status"],
            *(str(counts.get(clause["id"], Counter())[k]) for k in STATUS_COLUMNS),
        ]
        for clause in data["clauses"]
    ]
    widths = [max([_width(names[i])] + [_width(r[i]) for r in rows]) for i in range(4)]
    widths[0], widths[1], widths[2] = max(widths[0], 6), max(widths[1], 6), max(widths[2], 9)
    widths[3] = max(widths[3], 20)
    widths += [max(5, _width(n)) for n in names[4:]]

    def line(cells: list[str]) -> str:
        left = "  ".join(_left(c, w) for c, w in zip(cells[:4], widths[:4], strict=True))
        right = " ".join(_right(c, w) for c, w in zip(cells[4:], widths[4:], strict=True))
        return f"{left}  {right}"

    lines: list[tuple[str, dict[str, bool]]] = [(line(names), {"bold": True})]
    for clause, row in zip(data["clauses"], rows, strict=True):
        lines.append((line(row), dict(_COLOURS.get(clause["status"], {}))))
    return lines


STATUS_COLUMNS = ("pass", "fail", "skip", "error")


def _stored(data: Mapping[str, Any], key: str) -> list[Message | None]:
    """The catalog messages of ``data[key]`` (reasons, warnings), None where there is none."""
    texts = data.get(key) or []
    said = [message_from(m) for m in (data.get("i18n") or {}).get(key) or []]
    return [said[i] if i < len(said) else None for i in range(len(texts))]


def summary(
    data: Mapping[str, Any], run_dir: Path, lang: str = DEFAULT_LANG
) -> list[tuple[str, dict[str, bool]]]:
    """The end-of-run summary in ``lang``: the run, the clause table, why not, the verdict."""
    s = data["summary"]
    standard = data["standard"]
    lines: list[tuple[str, dict[str, bool]]] = [
        (
            _say(
                "term.header",
                lang,
                standard=standard["ref"],
                digest=standard["digest"][:19],
                seed=data["seed"],
                run_id=data["run_id"],
            ),
            {},
        ),
        (_say("term.results", lang, **{k: s.get(k, 0) for k in STATUS_COLUMNS}), {}),
        *clause_table(data, lang),
    ]
    if data.get("unreachable"):
        lines.append(
            (
                _say("term.unreachable", lang, reason=data["unreachable"]),
                {"red": True, "bold": True},
            )
        )
    for text, message in zip(data["reasons"], _stored(data, "reasons"), strict=True):
        lines.append((f"  - {render(message, lang) if message else text}", {"red": True}))
    for text, message in zip(data["warnings"], _stored(data, "warnings"), strict=True):
        shown = render(message, lang) if message else text
        lines.append((f"  - {_say('term.warning', lang, warning=shown)}", {"yellow": True}))
    passed = data["verdict"] == "pass"
    lines.append(
        (
            _say("term.verdict_pass" if passed else "term.verdict_fail", lang),
            {"green": passed, "red": not passed, "bold": True},
        )
    )
    files = "  ".join(str(run_dir / n) for n in ("results.json", "junit.xml", "report.html"))
    lines.append((_say("term.reports", lang, files=files), {}))
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
