"""Accepted breaks: an ignore file for ``conformance standards diff``.

A standards team sometimes ships a breaking change on purpose (a security fix, a field no
system ever filled).  The ignore file records each accepted change, with an id (the change's
stable id, shown by the diff), the reason it was accepted, and the date the acceptance
expires.  An accepted change is still reported, marked as accepted, and does not make
``--fail-on`` fail; once the date has passed the entry no longer suppresses anything and is
reported as expired.  An entry that matches no change is reported too.

Format (YAML)::

    accepted:
      - id: "3f9a1b2c4d5e"                # the change's id (12 hex digits, quoted)
        reason: consumers agreed in the 2026-04 review
        expires: 2026-12-31               # last day the acceptance holds
        rule: output-enum-value-added     # optional: the change's rule, as a check
        standard: gov.e-licence           # optional: only in diffs of this standard
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError, Location, UsageError
from conformance.standards._diff_model import RULES, Change
from conformance.standards._documents import Document, load_document

__all__ = ["Acceptance", "IgnoreEntry", "IgnoreFile", "load_ignore_file"]

MAX_ENTRIES = 10_000
_ID = re.compile(r"^[0-9a-f]{12}$")
_KEYS = frozenset({"id", "reason", "expires", "rule", "standard"})


@dataclass(frozen=True)
class IgnoreEntry:
    id: str
    reason: str
    expires: dt.date
    rule: str | None
    standard: str | None
    file: str
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def matches(self, change: Change, standard_id: str) -> bool:
        return (
            change.id == self.id
            and (self.rule is None or self.rule == change.rule)
            and (self.standard is None or self.standard == standard_id)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "file": self.file,
            "line": self.line,
        }


@dataclass
class Acceptance:
    """What an ignore file did to one run: the changes it accepted, and its stale entries."""

    accepted: dict[int, IgnoreEntry] = field(default_factory=dict)  # id(change) -> entry
    expired: list[tuple[IgnoreEntry, Change | None]] = field(default_factory=list)
    unused: list[IgnoreEntry] = field(default_factory=list)

    def entry_for(self, change: Change) -> IgnoreEntry | None:
        return self.accepted.get(id(change))

    def expired_entry_for(self, change: Change) -> IgnoreEntry | None:
        for entry, matched in self.expired:
            if matched is change:
                return entry
        return None


@dataclass(frozen=True)
class IgnoreFile:
    path: Path
    entries: tuple[IgnoreEntry, ...]

    def apply(self, diffs: Iterable[tuple[str, list[Change]]], today: dt.date) -> Acceptance:
        """Match the entries against the changes of each diff (standard id, changes)."""
        result = Acceptance()
        used: set[int] = set()
        for standard_id, changes in diffs:
            for change in changes:
                for index, entry in enumerate(self.entries):
                    if not entry.matches(change, standard_id):
                        continue
                    used.add(index)
                    if entry.expires < today:
                        result.expired.append((entry, change))
                    else:
                        result.accepted[id(change)] = entry
                    break
        for index, entry in enumerate(self.entries):
            if index in used:
                continue
            if entry.expires < today:
                result.expired.append((entry, None))
            else:
                result.unused.append(entry)
        return result


def _error(doc: Document, pointer: str, message: str) -> UsageError:
    return UsageError(message, Location(doc.path, doc.line(pointer), pointer))


def load_ignore_file(path: Path) -> IgnoreFile:
    """Read and check an ignore file; a malformed one raises UsageError naming the line."""
    if not path.is_file():
        raise UsageError(f"ignore file {path} does not exist")
    try:
        doc = load_document(path)
    except ConformanceError as exc:
        raise UsageError(f"ignore file: {exc.message}", exc.location) from None
    data = doc.data
    if not isinstance(data, dict) or set(data) != {"accepted"}:
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise _error(doc, "", f"expected a mapping with the one key 'accepted', got {found}")
    listed = data["accepted"]
    if listed is None:
        listed = []
    if not isinstance(listed, list):
        raise _error(doc, "/accepted", "accepted: expected a list of entries")
    if len(listed) > MAX_ENTRIES:
        raise _error(doc, "/accepted", f"accepted: {len(listed)} entries, at most {MAX_ENTRIES}")
    entries: list[IgnoreEntry] = []
    seen: dict[tuple[str, str | None], int] = {}
    for index, raw in enumerate(listed):
        pointer = f"/accepted/{index}"
        entry = _entry(doc, pointer, raw, index)
        key = (entry.id, entry.standard)
        if key in seen:
            raise _error(
                doc,
                pointer,
                f"accepted[{index}].id={entry.id!r} is listed twice (also accepted[{seen[key]}])",
            )
        seen[key] = index
        entries.append(entry)
    return IgnoreFile(path, tuple(entries))


def _entry(doc: Document, pointer: str, raw: Any, index: int) -> IgnoreEntry:
    name = f"accepted[{index}]"
    if not isinstance(raw, dict):
        raise _error(doc, pointer, f"{name}: expected a mapping with id, reason and expires")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _error(
            doc,
            f"{pointer}/{unknown[0]}",
            f"{name}: unknown key {unknown[0]!r}; expected {', '.join(sorted(_KEYS))}",
        )
    for key in ("id", "reason", "expires"):
        if key not in raw:
            raise _error(doc, pointer, f"{name}: missing {key!r}")
    change_id = raw["id"]
    if not isinstance(change_id, str) or not _ID.match(change_id):
        raise _error(
            doc,
            f"{pointer}/id",
            f"{name}.id={change_id!r}: expected a change id of 12 hex digits, as the diff "
            "shows it, in quotes",
        )
    reason = raw["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise _error(doc, f"{pointer}/reason", f"{name}.reason: expected a non-empty text")
    expires = raw["expires"]
    date = None
    if isinstance(expires, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires):
        try:
            date = dt.date.fromisoformat(expires)
        except ValueError:
            date = None
    if date is None:
        raise _error(
            doc, f"{pointer}/expires", f"{name}.expires={expires!r}: expected a date YYYY-MM-DD"
        )
    rule = raw.get("rule")
    if rule is not None and (not isinstance(rule, str) or rule not in RULES):
        raise _error(
            doc,
            f"{pointer}/rule",
            f"{name}.rule={rule!r} is not a rule id (docs/breaking-change-rules.md)",
        )
    standard = raw.get("standard")
    if standard is not None and (not isinstance(standard, str) or not standard):
        raise _error(doc, f"{pointer}/standard", f"{name}.standard: expected a standard id")
    return IgnoreEntry(
        id=change_id,
        reason=" ".join(reason.split()),
        expires=date,
        rule=rule,
        standard=standard,
        file=str(doc.path),
        line=doc.line(pointer),
    )
