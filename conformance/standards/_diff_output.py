"""Renderings of standard diffs: a terminal, a merge-request comment (Markdown), JUnit XML,
and GitHub workflow annotations.

Every rendering is zh-CN first, names each change's rule, id, location and clauses, and marks
the changes an ignore file accepted.  Text from the standards (subjects, values, paths) is
escaped for the format it goes into.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from conformance.standards._diff_ignore import Acceptance, IgnoreEntry
from conformance.standards._diff_model import Change, Classification, Loc

if TYPE_CHECKING:
    from conformance.standards.diff import StandardDiff
    from conformance.standards.model import Standard

__all__ = ["Rendering", "render_github", "render_junit", "render_markdown", "render_text"]

MAX_MARKDOWN_ROWS = 100  # per section: a merge-request comment has a size limit
MAX_MARKDOWN_CHARS = 60_000


@dataclass
class Rendering:
    """What every format needs besides the diffs."""

    failing: tuple[str, ...] = ("breaking",)  # classifications that fail the run
    acceptance: Acceptance = field(default_factory=Acceptance)
    bumps_made: dict[int, str] = field(default_factory=dict)  # id(diff) -> bump made
    notes: list[str] = field(default_factory=list)

    def fails(self, change: Change) -> bool:
        return (
            change.classification.value in self.failing
            and self.acceptance.entry_for(change) is None
        )


# -- text ---------------------------------------------------------------------------------------


def render_text(
    diff: StandardDiff, *, bump_made: str | None = None, rendering: Rendering | None = None
) -> str:
    """The diff for a terminal: zh-CN first, then English, one change per block."""
    rendering = rendering or Rendering()
    lines = [f"{diff.old.ref} → {diff.new.ref}"]
    lines.append(f"  {diff.old.digest}")
    lines.append(f"  {diff.new.digest}")
    counts = diff.counts()
    lines.append(
        f"破坏性 {counts['breaking']} · 可能破坏 {counts['possibly-breaking']} · "
        f"兼容 {counts['compatible']} / breaking {counts['breaking']}, possibly breaking "
        f"{counts['possibly-breaking']}, compatible {counts['compatible']}"
    )
    for (zh, en), changes in diff.sections():
        lines.append("")
        lines.append(f"{zh} / {en} ({len(changes)})")
        for change in changes:
            lines.append(f"  - [{change.rule}] {change.message_zh()}")
            lines.append(f"    {change.message_en()}")
            lines += [f"    {line}" for line in _where(diff, change)]
            if change.used_by:
                lines.append(f"    also used by: {', '.join(change.used_by)}")
            if change.clauses:
                lines.append(f"    条款 / clauses: {', '.join(change.clauses)}")
            lines.append(f"    id: {change.id}")
            entry = rendering.acceptance.entry_for(change)
            if entry is not None:
                lines.append(
                    f"    已接受，至 {entry.expires} / accepted until {entry.expires} "
                    f"({entry.where}): {entry.reason}"
                )
            expired = rendering.acceptance.expired_entry_for(change)
            if expired is not None:
                lines.append(
                    f"    接受已于 {expired.expires} 过期 / acceptance expired on "
                    f"{expired.expires} ({expired.where})"
                )
    if not diff.changes:
        lines.append("")
        lines.append("无变更 / No changes")
    elif diff.documentation_only():
        lines.append("")
        lines.append("仅文档变更，需修订号升级 / Documentation-only changes: a patch bump")
    lines.append("")
    required = diff.required_bump().value
    made = f"；实际 {bump_made} / made: {bump_made}" if bump_made else ""
    lines.append(f"所需最小版本升级 / Smallest bump needed: {required}{made}")
    return "\n".join(lines)


def ignore_notes(acceptance: Acceptance) -> list[str]:
    """Lines about the ignore file's stale entries (expired, or matching no change)."""
    lines = []
    for entry, change in acceptance.expired:
        what = f"[{change.rule}] {change.message_en()}" if change else "no change"
        lines.append(
            f"忽略条目已过期 / ignore entry expired: {entry.id} on {entry.expires} "
            f"({entry.where}); it no longer accepts: {what}"
        )
    for entry in acceptance.unused:
        lines.append(
            f"忽略条目未匹配任何变更 / ignore entry matches no change: {entry.id} ({entry.where})"
        )
    return lines


# -- Markdown ------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell: no HTML, no pipes, no line breaks, no emphasis."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in ("\\", "|", "*", "_", "`", "[", "]", "#"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _where(diff: StandardDiff, change: Change) -> list[str]:
    """``old REF: LOC`` and ``new REF: LOC`` lines; a location in a profile's effective folder
    is shown in the file its maintainers wrote (the profile's, or the base's it inherits)."""
    lines = []
    for name, standard, loc in (("old", diff.old, change.old), ("new", diff.new, change.new)):
        if loc is not None:
            lines.append(f"{name} {standard.ref}: {_shown_loc(standard, loc)}")
    return lines


def _shown_loc(standard: Standard, loc: Loc) -> str:
    from conformance.errors import Location
    from conformance.standards.profiles import source_location

    own = standard.folder / loc.file
    location = source_location(Location(own, loc.line, loc.pointer))
    if Path(location.path) == own:
        return str(loc)
    shown = Loc(_shown(Path(location.path)), location.pointer, loc.xpath, location.line)
    return str(shown)


_ICON = {
    Classification.BREAKING: "❌",
    Classification.POSSIBLY_BREAKING: "⚠️",
    Classification.COMPATIBLE: "✅",
}


def render_markdown(diffs: Sequence[StandardDiff], rendering: Rendering | None = None) -> str:
    """One Markdown document for a merge-request comment, every diff in it."""
    rendering = rendering or Rendering()
    out = ["## 标准差异 / Standards diff"]
    if not diffs:
        out += ["", "无需比较的版本 / No versions to compare."]
    for diff in diffs:
        out += _markdown_diff(diff, rendering)
    notes = [*ignore_notes(rendering.acceptance), *rendering.notes]
    if notes:
        out += ["", "### 说明 / Notes", ""]
        out += [f"- {_cell(line)}" for line in notes]
    text = "\n".join(out) + "\n"
    if len(text) > MAX_MARKDOWN_CHARS:
        cut = text.rfind("\n", 0, MAX_MARKDOWN_CHARS - 200)
        text = text[:cut] + (
            "\n\n…（已截断，完整结果见 JSON 输出）/ (truncated; the JSON output has it all)\n"
        )
    return text


def _markdown_diff(diff: StandardDiff, rendering: Rendering) -> list[str]:
    counts = diff.counts()
    docs = sum(1 for c in diff.changes if c.spec.group == "docs")
    accepted = sum(1 for c in diff.changes if rendering.acceptance.entry_for(c) is not None)
    failing = sum(1 for c in diff.changes if rendering.fails(c))
    made = rendering.bumps_made.get(id(diff))
    out = [
        "",
        f"### {_cell(diff.old.ref)} → {_cell(diff.new.ref)}",
        "",
        "| 破坏性 / breaking | 可能破坏 / possibly breaking | 兼容 / compatible "
        "| 其中仅文档 / of which documentation | 已接受 / accepted |",
        "|---:|---:|---:|---:|---:|",
        f"| {counts['breaking']} | {counts['possibly-breaking']} | {counts['compatible']} "
        f"| {docs} | {accepted} |",
        "",
        f"所需最小版本升级 / Smallest bump needed: **{diff.required_bump().value}**"
        + (f"；实际 / made: **{made}**" if made else ""),
    ]
    if failing:
        out.append("")
        out.append(f"**{failing}** 项变更未被接受 / change(s) not accepted fail this check.")
    if not diff.changes:
        out += ["", "无变更 / No changes."]
    for (zh, en), changes in diff.sections():
        out += [
            "",
            f"#### {zh} / {en} ({len(changes)})",
            "",
            "| | 规则 / rule | 变更 / change | 位置 / where | 条款 / clauses |",
            "|---|---|---|---|---|",
        ]
        for change in changes[:MAX_MARKDOWN_ROWS]:
            out.append(_markdown_row(diff, change, rendering))
        if len(changes) > MAX_MARKDOWN_ROWS:
            out.append(f"| | | … +{len(changes) - MAX_MARKDOWN_ROWS} | | |")
    return out


def _markdown_row(diff: StandardDiff, change: Change, rendering: Rendering) -> str:
    icon = _ICON[change.classification]
    message = f"{_cell(change.message_zh())}<br>{_cell(change.message_en())}"
    entry = rendering.acceptance.entry_for(change)
    if entry is not None:
        icon = "☑️"
        message += f"<br>已接受，至 {entry.expires} / accepted until {entry.expires}: " + _cell(
            entry.reason
        )
    expired = rendering.acceptance.expired_entry_for(change)
    if expired is not None:
        message += f"<br>接受已于 {expired.expires} 过期 / acceptance expired on {expired.expires}"
    if change.used_by:
        message += "<br>also used by: " + _cell(", ".join(change.used_by))
    where = "<br>".join(_cell(line) for line in _where(diff, change))
    clauses = _cell(", ".join(change.clauses)) or "-"
    return f"| {icon} | `{change.rule}`<br>{change.id} | {message} | {where} | {clauses} |"


# -- JUnit ---------------------------------------------------------------------------------------


def render_junit(diffs: Sequence[StandardDiff], rendering: Rendering | None = None) -> str:
    """JUnit XML: a test suite per diff, a test case per change; the changes that fail the
    run are failures, accepted ones are skipped with the reason."""
    rendering = rendering or Rendering()
    root = ET.Element("testsuites", name="conformance standards diff")
    total = failures = skipped = 0
    for diff in diffs:
        suite = ET.SubElement(root, "testsuite", name=f"{diff.old.ref} → {diff.new.ref}")
        suite_failures = suite_skipped = 0
        for change in diff.changes:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"standards-diff.{diff.new.id}.{change.rule}",
                name=f"{change.subject_en}{' ' + change.path if change.path else ''} [{change.id}]",
            )
            path, line = _source(diff, change)
            if path:
                case.set("file", path)
            if line:
                case.set("line", str(line))
            body = _junit_body(diff, change)
            entry = rendering.acceptance.entry_for(change)
            if entry is not None:
                ET.SubElement(
                    case,
                    "skipped",
                    message=f"accepted until {entry.expires} ({entry.where}): {entry.reason}",
                )
                suite_skipped += 1
            elif rendering.fails(change):
                failure = ET.SubElement(
                    case,
                    "failure",
                    type=change.classification.value,
                    message=f"{change.message_zh()} / {change.message_en()}",
                )
                expired = rendering.acceptance.expired_entry_for(change)
                if expired is not None:
                    body += f"\nacceptance expired on {expired.expires} ({expired.where})"
                failure.text = body
                suite_failures += 1
            ET.SubElement(case, "system-out").text = body
        if not diff.changes:
            ET.SubElement(suite, "testcase", classname="standards-diff", name="no changes")
        count = max(len(diff.changes), 1)
        suite.set("tests", str(count))
        suite.set("failures", str(suite_failures))
        suite.set("skipped", str(suite_skipped))
        suite.set("errors", "0")
        total += count
        failures += suite_failures
        skipped += suite_skipped
    notes = [*ignore_notes(rendering.acceptance), *rendering.notes]
    if notes:
        ET.SubElement(root, "system-err").text = "\n".join(notes)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("skipped", str(skipped))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _junit_body(diff: StandardDiff, change: Change) -> str:
    lines = [
        f"rule: {change.rule} ({change.classification.value}, "
        f"needs a {change.spec.bump.value} bump)",
        f"id: {change.id}",
        change.message_zh(),
        change.message_en(),
    ]
    lines += _where(diff, change)
    if change.clauses:
        lines.append(f"clauses: {', '.join(change.clauses)}")
    return "\n".join(lines)


# -- GitHub annotations ----------------------------------------------------------------------------


def _source(diff: StandardDiff, change: Change) -> tuple[str, int | None]:
    """The file a maintainer edits for a change (the new version's, else the old one's),
    relative to the working directory when below it, and its line."""
    from conformance.errors import Location
    from conformance.standards.profiles import source_location

    for standard, loc in ((diff.new, change.new), (diff.old, change.old)):
        if loc is None:
            continue
        location = source_location(Location(standard.folder / loc.file, loc.line, loc.pointer))
        return _shown(Path(location.path)), location.line
    return "", None


def _shown(path: Path) -> str:
    """A path relative to the working directory when it lies below it, else absolute."""
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive
        shown = str(path)
    if shown.startswith(".."):
        shown = str(path.absolute())
    return shown.replace(os.sep, "/")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(
    level: str, message: str, title: str, path: str = "", line: int | None = None
) -> str:
    props = []
    if path:
        props.append(f"file={_escape_property(path)}")
    if line:
        props.append(f"line={line}")
    props.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def render_github(diffs: Sequence[StandardDiff], rendering: Rendering | None = None) -> str:
    """GitHub workflow commands: ``::error`` for the changes that fail the run,
    ``::warning`` for the other breaking and possibly breaking ones and for expired ignore
    entries, ``::notice`` for the rest (accepted changes included)."""
    rendering = rendering or Rendering()
    lines = []
    for diff in diffs:
        for change in diff.changes:
            path, line = _source(diff, change)
            entry = rendering.acceptance.entry_for(change)
            if entry is not None:
                level = "notice"
            elif rendering.fails(change):
                level = "error"
            elif change.classification is Classification.COMPATIBLE:
                level = "notice"
            else:
                level = "warning"
            message = f"{change.message_zh()} / {change.message_en()} (id {change.id})"
            if change.clauses:
                message += f"; 条款 / clauses: {', '.join(change.clauses)}"
            if entry is not None:
                message += f"; accepted until {entry.expires}: {entry.reason}"
            title = f"{diff.new.ref}: {change.rule} ({change.classification.value})"
            lines.append(_annotation(level, message, title, path, line))
    lines += _ignore_annotations(rendering.acceptance.expired, rendering.acceptance.unused)
    return "\n".join(lines) + ("\n" if lines else "")


def _ignore_annotations(
    expired: list[tuple[IgnoreEntry, Change | None]], unused: list[IgnoreEntry]
) -> list[str]:
    lines = []
    for entry, change in expired:
        what = f"[{change.rule}] {change.message_en()}" if change else "no change"
        lines.append(
            _annotation(
                "warning",
                f"忽略条目已于 {entry.expires} 过期 / ignore entry {entry.id} expired on "
                f"{entry.expires}; it no longer accepts: {what}",
                "ignore entry expired",
                _shown(Path(entry.file)),
                entry.line,
            )
        )
    for entry in unused:
        lines.append(
            _annotation(
                "notice",
                f"忽略条目未匹配任何变更 / ignore entry {entry.id} matches no change",
                "ignore entry unused",
                _shown(Path(entry.file)),
                entry.line,
            )
        )
    return lines
