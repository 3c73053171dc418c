"""Lint of a version's lifecycle: versioning against the previous release, lifecycle dates,
and profiles (linted through their effective standard, mapped back to the files their
maintainers wrote).  The rules themselves are in :mod:`conformance.standards.versioning`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

from conformance.errors import ConformanceError, Location
from conformance.results import LintIssue
from conformance.standards._diff_ignore import IgnoreFile, load_ignore_file
from conformance.standards._diff_model import Bump, Change, Classification
from conformance.standards._diff_openapi import standard_date
from conformance.standards._documents import Document, load_document
from conformance.standards.diff import StandardDiff, diff_standards
from conformance.standards.loader import find_base, load_standard
from conformance.standards.model import Standard, Status
from conformance.standards.profiles import effective_of, source_file, source_location
from conformance.standards.versioning import (
    MANIFEST,
    Version,
    bump_between,
    needed_bump,
    previous_release,
)

__all__ = ["REVIEW_FILE", "lint_lifecycle"]

# The maintainers' review of a version's possibly-breaking changes, in its own folder (and so
# in its content digest): the format of `standards diff --ignore FILE`.
REVIEW_FILE = "review.yaml"

_inner_lint: ContextVar[bool] = ContextVar("inner_profile_lint", default=False)


LintFolder = Callable[[Path], list[LintIssue]]


def lint_lifecycle(
    folder: Path,
    issues: list[LintIssue],
    lint_inner: LintFolder,
    standard: Standard | None = None,
) -> bool:
    """Versioning, lifecycle dates, and profiles, for ``conformance standards lint``.

    Appends to ``issues``.  Returns True when the folder was linted completely here (a
    profile, whose effective standard is linted with ``lint_inner`` and mapped back to the
    files its maintainers wrote), so the caller stops; False to let the usual lint go on.
    ``standard``: the folder's standard when the caller has loaded it already.
    """
    if _inner_lint.get():
        return False  # the effective folder of a profile, linted on the profile's behalf
    folder = folder.resolve()
    effective = effective_of(folder)
    if effective is not None:
        folder = effective.source
    try:
        doc = load_document(folder / MANIFEST)
    except ConformanceError:
        return False
    if not isinstance(doc.data, dict):
        return False
    _lifecycle_dates(doc, issues)
    if doc.data.get("extends"):
        _lint_profile(folder, doc, issues, lint_inner, standard)
        return True
    _versioning(folder, doc, issues, standard)
    return False


def _issue(rule: str, message: str, location: Location, severity: str = "error") -> LintIssue:
    return LintIssue(rule, message, location, severity)


def _lifecycle_dates(doc: Document, issues: list[LintIssue]) -> None:
    data = doc.data
    status = data.get("status")
    dates = data.get("dates") if isinstance(data.get("dates"), dict) else {}
    assert isinstance(dates, dict)
    needs = {
        "published": ["published"],
        "deprecated": ["published", "deprecated"],
        "retired": ["published", "sunset"],
    }.get(str(status), [])
    for name in needs:
        if name not in dates:
            issues.append(
                _issue(
                    "lifecycle-dates",
                    f"status={status!r} needs dates.{name} (YYYY-MM-DD)",
                    doc.location("/dates"),
                )
            )
    if status == "draft" and "published" in dates:
        issues.append(
            _issue(
                "lifecycle-dates",
                "status='draft' with dates.published: a draft is not published yet; "
                "set the date when the status becomes published",
                doc.location("/dates/published"),
                "warning",
            )
        )
    for earlier, later in (
        ("published", "effective"),
        ("published", "deprecated"),
        ("deprecated", "sunset"),
        ("published", "sunset"),
    ):
        a, b = dates.get(earlier), dates.get(later)
        if isinstance(a, str) and isinstance(b, str) and b < a:
            issues.append(
                _issue(
                    "lifecycle-dates",
                    f"dates.{later}={b} is before dates.{earlier}={a}",
                    doc.location(f"/dates/{later}"),
                )
            )


def _versioning(
    folder: Path, doc: Document, issues: list[LintIssue], standard: Standard | None = None
) -> None:
    this = Version.parse(str(doc.data.get("version", "")))
    previous_folder = previous_release(folder)
    review = _load_review(folder, issues)
    if this is None or previous_folder is None:
        if review is not None and review.entries:
            issues.append(
                _issue(
                    "version-review-unused",
                    f"{REVIEW_FILE} reviews the changes since the previous release, but "
                    "there is none to compare with",
                    _entry_location(review, 0),
                )
            )
        return
    previous = Version.parse(previous_folder.name)
    assert previous is not None
    try:
        old = load_standard(previous_folder)
        new = standard if standard is not None else load_standard(folder)
        diff = diff_standards(old, new)
    except ConformanceError:
        return  # the usual lint reports what keeps this version from loading
    made = bump_between(previous, this)
    hard, soft = needed_bump(diff, previous)
    where = doc.location("/version")
    command = f"conformance standards diff {old.ref} {new.ref}"
    possibly = diff.by_classification(Classification.POSSIBLY_BREAKING)
    judged_at = standard_date(new) or dt.datetime.now(dt.UTC).date()
    reviewed = _apply_review(review, diff, possibly, judged_at, issues) if review else {}
    if made.rank < hard.rank:
        reasons = _reasons(diff, hard)
        issues.append(
            _issue(
                "version-bump",
                f"version {this} is a {made.value} bump over {previous}, but the changes since "
                f"need a {hard.value} bump{' (before 1.0.0)' if previous.major == 0 else ''}: "
                f"{reasons}; see: {command}",
                where,
            )
        )
    elif made.rank < soft.rank:
        unreviewed = [c for c in possibly if id(c) not in reviewed]
        if not unreviewed and review is not None:
            listed = "; ".join(f"[{c.rule}] {c.id} ({reviewed[id(c)]})" for c in possibly[:3]) + (
                f" (and {len(possibly) - 3} more)" if len(possibly) > 3 else ""
            )
            issues.append(
                _issue(
                    "version-bump-reviewed",
                    f"version {this} is a {made.value} bump over {previous} with "
                    f"{len(possibly)} possibly-breaking change(s), each reviewed as not "
                    f"breaking in {review.path}: {listed}; see: {command}",
                    where,
                    "info",
                )
            )
            return
        listed = "; ".join(f"[{c.rule}] {c.id} {c.message_en()}" for c in unreviewed[:3])
        more = f" (and {len(unreviewed) - 3} more)" if len(unreviewed) > 3 else ""
        done = f", {len(possibly) - len(unreviewed)} reviewed in {REVIEW_FILE}" if reviewed else ""
        issues.append(
            _issue(
                "version-bump-review",
                f"version {this} is a {made.value} bump over {previous} with "
                f"{len(unreviewed)} possibly-breaking change(s) not reviewed{done}: "
                f"{listed}{more}; record in {folder / REVIEW_FILE} why none breaks (id, "
                f"reason, expires per change), or make it a {soft.value} bump; see: {command}",
                where,
                "warning",
            )
        )


def _load_review(folder: Path, issues: list[LintIssue]) -> IgnoreFile | None:
    """The version folder's review file, or None (absent, or invalid: an error, located)."""
    path = folder / REVIEW_FILE
    if not path.exists() and not path.is_symlink():
        return None
    try:
        return load_ignore_file(path)
    except ConformanceError as exc:
        message = exc.message.removeprefix("ignore file: ")
        issues.append(
            _issue(
                "version-review-invalid",
                f"{REVIEW_FILE}: {message} (the format of `standards diff --ignore`: "
                "docs/standards-lifecycle.md)",
                exc.location or Location(path),
            )
        )
        return None


def _entry_location(review: IgnoreFile, index: int) -> Location:
    entry = review.entries[index]
    return Location(review.path, entry.line, f"/accepted/{index}")


def _apply_review(
    review: IgnoreFile,
    diff: StandardDiff,
    possibly: list[Change],
    judged_at: dt.date,
    issues: list[LintIssue],
) -> dict[int, str]:
    """id(change) -> the reason it was reviewed as not breaking, for each possibly-breaking
    change an entry of the review names (expired ones excepted); every entry that reviews
    nothing is an error at its line."""
    acceptance = review.apply([(diff.new.id, possibly)], judged_at)
    reviewed = {
        id(change): entry.reason
        for change in possibly
        if (entry := acceptance.entry_for(change)) is not None
    }
    others = {
        c.id: c for c in diff.changes if c.classification is not Classification.POSSIBLY_BREAKING
    }
    stale = [(entry, "") for entry in acceptance.unused]
    stale += [
        (entry, f"it expired on {entry.expires}, before the version takes effect ({judged_at})")
        for entry, _ in acceptance.expired
    ]
    for entry, why in stale:
        index = review.entries.index(entry)
        if not why:
            other = others.get(entry.id)
            why = (
                f"it names a {other.classification.value} change ([{other.rule}] "
                f"{other.message_en()}), which a review does not settle"
                if other is not None
                else f"no possibly-breaking change since the previous release has id {entry.id}"
                + (f" in {entry.standard}" if entry.standard else "")
            )
        issues.append(
            _issue(
                "version-review-unused",
                f"{REVIEW_FILE} accepted[{index}] reviews nothing: {why}",
                _entry_location(review, index),
            )
        )
    return reviewed


def _reasons(diff: StandardDiff, needed: Bump) -> str:
    relevant = [
        c
        for c in diff.changes
        if c.spec.bump.rank >= needed.rank
        or (c.classification is Classification.POSSIBLY_BREAKING and needed is Bump.MINOR)
    ] or diff.changes
    shown = "; ".join(f"[{c.rule}] {c.message_en()}" for c in relevant[:3])
    more = f" (and {len(relevant) - 3} more)" if len(relevant) > 3 else ""
    return f"{len(relevant)} change(s): {shown}{more}"


# -- profiles ----------------------------------------------------------------------------


def _lint_profile(
    folder: Path,
    doc: Document,
    issues: list[LintIssue],
    lint_inner: LintFolder,
    standard: Standard | None = None,
) -> None:
    ref = str(doc.data["extends"])
    try:
        base_folder = find_base(folder, ref, doc)
    except ConformanceError as exc:
        issues.append(_issue("profile-base-missing", exc.message, exc.location or Location(folder)))
        return
    try:
        profile = standard if standard is not None else load_standard(folder)
        base = load_standard(base_folder)
    except ConformanceError as exc:
        location = source_location(exc.location) if exc.location else Location(folder)
        issues.append(_issue("profile-invalid", exc.message, location))
        return
    if base.status in (Status.DRAFT, Status.RETIRED):
        issues.append(
            _issue(
                "profile-base-status",
                f"extends {ref}, whose status is {base.status.value}",
                doc.location("/extends"),
                "warning",
            )
        )
    effective = effective_of(profile.folder)
    assert effective is not None
    token = _inner_lint.set(True)
    try:
        inner = lint_inner(profile.folder)
    finally:
        _inner_lint.reset(token)
    for issue in inner:
        location = source_location(issue.location)
        inherited = not Path(location.path).resolve().is_relative_to(folder)
        suffix = f" (in a file inherited from {ref})" if inherited else ""
        message = _source_paths(issue.message, effective.folder) + suffix
        issues.append(_issue(issue.rule, message, location, issue.severity))
    diff = diff_standards(base, profile)
    for change in diff.changes:
        if change.spec.profile_ok:
            continue
        loc = change.new or change.old
        path = effective.folder / loc.file if loc else folder / MANIFEST
        location = source_location(
            Location(path, loc.line if loc else None, loc.pointer or loc.xpath if loc else None)
        )
        issues.append(
            _issue(
                "profile-not-narrowing",
                f"a profile may only narrow what a candidate emits and must leave what it accepts "
                f"unchanged, so that a system conforming to {profile.ref} conforms to {ref}; "
                f"this change is not allowed: [{change.rule}] {change.message_en()}",
                location,
            )
        )
    _versioning(folder, doc, issues, profile)


def _source_paths(text: str, folder: Path) -> str:
    """Paths into an effective profile folder, in a message, replaced by the files users wrote."""
    prefix = re.escape(str(folder)) + r"(/[^\s:'\"]*)?"
    return re.sub(prefix, lambda m: str(source_file(Path(m.group(0)))), text)
