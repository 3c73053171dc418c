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

import re
import sys
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from conformance.controls import visible
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
from conformance.i18n import DEFAULT_LANG, Message, message_from, render
from conformance.redaction import redact

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


def terminal_text(text: str) -> str:
    """A terminal line as it may be shown: secrets redacted, control and bidirectional
    characters escaped (a candidate's text never drives the terminal; issue 15)."""
    return visible(redact(text))


def _shown(lines: list[Line]) -> list[Line]:
    return [(terminal_text(text), markup) for text, markup in lines]


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


def _width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def _say(message_id: str, lang: str, **params: Any) -> str:
    return render(Message(message_id, params), lang)


STATUS_COLUMNS = ("pass", "fail", "skip", "error")


def clause_table(data: Mapping[str, Any], lang: str = DEFAULT_LANG) -> list[Line]:
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

    lines: list[Line] = [(line(names), {"bold": True})]
    for clause, row in zip(data["clauses"], rows, strict=True):
        lines.append((line(row), dict(_COLOURS.get(clause["status"], {}))))
    return lines


def _stored(data: Mapping[str, Any], key: str) -> list[Message | None]:
    """The catalog messages of ``data[key]`` (reasons, warnings), None where there is none."""
    texts = data.get(key) or []
    said = [message_from(m) for m in (data.get("i18n") or {}).get(key) or []]
    return [said[i] if i < len(said) else None for i in range(len(texts))]


def _text(item: Mapping[str, Any], lang: str) -> str:
    """A result's or failure's message in ``lang`` (its catalog message), else its English."""
    said = message_from((item.get("i18n") or {}).get("message"))
    return render(said, lang) if said is not None and lang != "en" else str(item["message"])


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
        shown = terminal_text(current)
        return f"{name:<14} {bar(done, total, self.width)} {done}/{total}{failed}  {shown}"

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
    return [terminal_text(line) for line in lines]


def _where(result: Mapping[str, Any], lang: str) -> str:
    return _say(
        "term.where", lang, clause=result["clause"], check=result["check"], target=result["target"]
    )


def cause_lines(
    results: Sequence[Mapping[str, Any]],
    *,
    said: Sequence[str] = (),
    limit: int = MAX_CAUSES,
    lang: str = "en",
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
    for number, ((status, _message), members) in enumerate(groups.items()):
        if number == limit:
            rest = sum(len(m) for m in list(groups.values())[limit:])
            lines.append(
                (_say("term.more_causes", lang, causes=len(groups) - limit, results=rest), {})
            )
            break
        first = members[0]
        label = status.upper() if lang == "en" else _say(f"status.{status}", lang)
        count = f" x{len(members)}" if len(members) > 1 else ""
        more = _say("term.and_more", lang, more=len(members) - 1) if len(members) > 1 else ""
        colour = {"red": True, "bold": status == "error"}
        where = _where(first, lang)
        lines.append((f"{label}{count} {where}{more}: {_text(first, lang)}", colour))
        failures: dict[tuple[str, str], Mapping[str, Any]] = {}
        for member in members:
            for failure in member.get("failures") or []:
                failures.setdefault((failure["title"], failure["message"]), failure)
        for failure in list(failures.values())[:MAX_FAILURES_PER_CAUSE]:
            lines.append((f"    [x{failure['count']}] {_failure_text(failure, lang)}", {}))
            curl = (failure.get("evidence") or {}).get("curl")
            if curl:
                lines.append((f"      {_say('term.reproduce', lang, curl=curl)}", {}))
    return _shown(lines)


def _failure_text(failure: Mapping[str, Any], lang: str) -> str:
    said = message_from((failure.get("i18n") or {}).get("message"))
    if said is None or lang == "en":
        return f"{failure['title']}: {failure['message']}"
    # the failure's own title message where it has one (an export finding's names the
    # finding, and "export.at" has no title of its own)
    titled = message_from((failure.get("i18n") or {}).get("title"))
    title = render(titled if titled is not None else Message(f"{said.id}.title"), lang)
    return f"{title}: {render(said, lang)}"


def summary_lines(
    data: Mapping[str, Any], run_dir: Path | None = None, lang: str = DEFAULT_LANG
) -> list[Line]:
    """The end of a run in ``lang``, from results.json's dictionary: counts, causes, clauses,
    why not, the verdict."""
    s = data["summary"]
    standard = data["standard"]
    lines: list[Line] = [
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
    ]
    unreachable = data.get("unreachable")
    said = [f"candidate unreachable: {unreachable}"] if unreachable else []
    lines += cause_lines(data["results"], said=said, lang=lang)
    lines += clause_table(data, lang)
    if unreachable:
        code = int(ExitCode.UNREACHABLE)
        text = _say("term.unreachable_exit", lang, reason=unreachable, code=code)
        lines.append((text, {"red": True, "bold": True}))
    for reason in _collapsed(data["reasons"], _stored(data, "reasons"), lang):
        lines.append((f"  - {reason}", {"red": True}))
    for text, message in zip(data["warnings"], _stored(data, "warnings"), strict=True):
        shown = render(message, lang) if message else text
        lines.append((f"  - {_say('term.warning', lang, warning=shown)}", {"yellow": True}))
    passed = data["verdict"] == "pass"
    automated = data.get("automated") or {}
    pending = automated.get("pending_attestations") or []
    awaiting = not passed and automated.get("verdict") == "pass" and bool(pending)
    if awaiting:
        # what CI gates on passed; certification waits for the reviewer's attestations
        text = _say("term.automated_pass_pending", lang, clauses=", ".join(pending))
        lines.append((text, {"yellow": True, "bold": True}))
    verdict_id = {"pass": "term.verdict_pass", "inconclusive": "term.verdict_inconclusive"}
    if awaiting:  # nothing automated failed: "does not conform" would say more than is known
        verdict_id["fail"] = "term.verdict_awaiting_attestation"
    lines.append(
        (
            _say(verdict_id.get(data["verdict"], "term.verdict_fail"), lang),
            {"green": passed, "red": not passed, "bold": True},
        )
    )
    if run_dir is not None:
        files = "  ".join(str(run_dir / n) for n in ("results.json", "junit.xml", "report.html"))
        lines.append((_say("term.reports", lang, files=files), {}))
    return _shown(lines)


def _collapsed(
    reasons: Sequence[str], messages: Sequence[Message | None], lang: str = "en"
) -> list[str]:
    """Reasons that differ only by their clause, said once: "MUST clause A: error" and "MUST
    clause B: error" are "MUST clauses A, B: error" (an unreachable candidate errs them all)."""
    groups: dict[tuple[object, ...], list[str]] = {}
    order: list[tuple[object, ...]] = []
    shown: dict[tuple[object, ...], Message | str] = {}
    for text, message in zip(reasons, messages, strict=True):
        if message is not None and message.id in _PER_CLAUSE and "clause" in message.params:
            rest = tuple(sorted((k, repr(v)) for k, v in message.params.items() if k != "clause"))
            key: tuple[object, ...] = (message.id, rest)
            if key not in groups:
                order.append(key)
                shown[key] = message
            groups.setdefault(key, []).append(str(message.params["clause"]))
        elif message is None and _CLAUSE_REASON.fullmatch(text):
            # an English reason without its message (results.json of an older suite)
            level, clause, tail = _CLAUSE_REASON.fullmatch(text).groups()  # type: ignore[union-attr]
            key = ("text", level, tail)
            if key not in groups:
                order.append(key)
                shown[key] = text
            groups.setdefault(key, []).append(clause)
        else:
            key = ("text", text)
            order.append(key)
            shown[key] = message if message is not None else text
    lines = []
    for key in order:
        first = shown[key]
        if isinstance(first, str):
            ids = groups.get(key)
            if ids is not None and len(ids) > 1:
                first = f"{key[1]} clauses {', '.join(ids)}: {key[2]}"
            lines.append(first)
            continue
        ids = groups.get(key)
        if ids is None or len(ids) == 1:
            lines.append(render(first, lang))
            continue
        params = {**first.params, "clause": ", ".join(ids)}
        lines.append(render(Message(f"{first.id}.many", params), lang))
    return lines


_CLAUSE_REASON = re.compile(r"(MUST|SHOULD|MAY) clause (\S+): (.+)")
# Verdict reasons about one clause; each has a ".many" form naming several.
_PER_CLAUSE = frozenset(
    {"verdict.must_status", "verdict.must_not_exercised", "verdict.must_awaiting"}
)


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
        lang: str = DEFAULT_LANG,
    ) -> None:
        self.write = write or _stdout
        self.lang = lang  # the summary's language (--lang)
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
        for line, _ in summary_lines(data, run_dir, self.lang):
            self.write(line + "\n")


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
