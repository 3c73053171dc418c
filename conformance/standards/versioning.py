"""Versioning, lifecycle and profile rules that ``conformance standards lint`` enforces.

Versioning: a version's bump over the previous release of the same standard (in the same
standards root) must be at least what the diff between them needs (see ``RULES``):

- any breaking change needs a major bump; a possibly-breaking one needs at least a minor
  bump, and a warning asks a reviewer to confirm when it is not major;
- compatible additions (clauses, operations, exports, optional inputs, tightened outputs)
  need a minor bump; editorial changes (clause wording, checks) a patch bump.
- Before 1.0.0 (semantic versioning's initial development) every need shifts down one
  level: breaking changes need a minor bump (0.1.x to 0.2.0), additions a patch bump.
- A pre-release (``2.0.0-rc.1``) is compared with the latest release before it, like the
  release it precedes; pre-releases are never "the previous version" of anything.

Lifecycle: ``status`` moves draft -> published -> deprecated -> retired, and the dates say
when: a published, deprecated or retired version has ``dates.published``; a deprecated one
``dates.deprecated``; a retired one ``dates.sunset``; and published <= effective,
published <= deprecated <= sunset.  ``conformance run`` refuses to certify against a draft
or retired version unless forced, and a deprecated one carries a warning.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.errors import ConformanceError, Location, UsageError
from conformance.standards._diff_model import Bump, Classification
from conformance.standards._documents import Document, load_document
from conformance.standards.model import Standard, Status

if TYPE_CHECKING:
    from conformance.lint import LintIssue
    from conformance.standards.diff import StandardDiff

MANIFEST = "standard.yaml"
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)\.(?P<patch>0|[1-9][0-9]*)"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?$"
)
_inner_lint: ContextVar[bool] = ContextVar("inner_profile_lint", default=False)


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str = ""

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = _SEMVER.match(text)
        if match is None:
            return None
        return cls(
            int(match["major"]), int(match["minor"]), int(match["patch"]), match["pre"] or ""
        )

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def sort_key(self) -> tuple[int, int, int, bool, str]:
        return (*self.core, self.pre == "", self.pre)

    def __str__(self) -> str:
        return ".".join(map(str, self.core)) + (f"-{self.pre}" if self.pre else "")


def bump_between(old: Version, new: Version) -> Bump:
    """The bump ``new`` makes over ``old`` (by the release core of each)."""
    if new.major != old.major:
        return Bump.MAJOR if new.major > old.major else Bump.NONE
    if new.minor != old.minor:
        return Bump.MINOR if new.minor > old.minor else Bump.NONE
    if new.patch != old.patch:
        return Bump.PATCH if new.patch > old.patch else Bump.NONE
    return Bump.NONE


def needed_bump(diff: StandardDiff, old: Version) -> tuple[Bump, Bump]:
    """(the bump an error is raised below, the bump below which a reviewer is asked).

    Breaking changes need major; possibly-breaking ones need minor (error) and major
    (warning); other changes need their rule's bump.  Before 1.0.0, each shifts down one.
    """
    hard = Bump.NONE
    soft = Bump.NONE
    for change in diff.changes:
        bump = change.spec.bump
        if change.classification is Classification.POSSIBLY_BREAKING:
            hard = max(hard, Bump.MINOR, key=lambda b: b.rank)
            soft = max(soft, Bump.MAJOR, key=lambda b: b.rank)
        else:
            hard = max(hard, bump, key=lambda b: b.rank)
    soft = max(soft, hard, key=lambda b: b.rank)
    if old.major == 0:
        return _shift_down(hard), _shift_down(soft)
    return hard, soft


def _shift_down(bump: Bump) -> Bump:
    return {Bump.MAJOR: Bump.MINOR, Bump.MINOR: Bump.PATCH}.get(bump, bump)


def previous_release(folder: Path) -> Path | None:
    """The latest release (not pre-release) version folder before ``folder``, same root."""
    this = Version.parse(folder.name)
    if this is None or not folder.parent.is_dir():
        return None
    best: tuple[Version, Path] | None = None
    for sibling in folder.parent.iterdir():
        version = Version.parse(sibling.name)
        if version is None or version.pre or not (sibling / MANIFEST).is_file():
            continue
        if version.sort_key() >= this.sort_key() or version.core == this.core:
            continue
        if best is None or version.sort_key() > best[0].sort_key():
            best = (version, sibling)
    return best[1] if best else None


# -- lint --------------------------------------------------------------------------------


def lint_lifecycle(folder: Path, issues: list[LintIssue]) -> bool:
    """Versioning, lifecycle dates, and profiles, for ``conformance standards lint``.

    Appends to ``issues``.  Returns True when the folder was linted completely here (a
    profile, whose effective standard is linted and mapped back to the files its maintainers
    wrote), so the caller stops; False to let the usual lint go on.
    """
    from conformance.standards.profiles import effective_of

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
        _lint_profile(folder, doc, issues)
        return True
    _versioning(folder, doc, issues)
    return False


def _issue(rule: str, message: str, location: Location, severity: str = "error") -> LintIssue:
    from conformance.lint import LintIssue

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


def _versioning(folder: Path, doc: Document, issues: list[LintIssue]) -> None:
    from conformance.standards.diff import diff_standards
    from conformance.standards.loader import load_standard

    this = Version.parse(str(doc.data.get("version", "")))
    previous_folder = previous_release(folder)
    if this is None or previous_folder is None:
        return
    previous = Version.parse(previous_folder.name)
    assert previous is not None
    try:
        old = load_standard(previous_folder)
        new = load_standard(folder)
        diff = diff_standards(old, new)
    except ConformanceError:
        return  # the usual lint reports what keeps this version from loading
    made = bump_between(previous, this)
    hard, soft = needed_bump(diff, previous)
    where = doc.location("/version")
    command = f"conformance standards diff {old.ref} {new.ref}"
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
        possibly = diff.by_classification(Classification.POSSIBLY_BREAKING)
        listed = "; ".join(f"[{c.rule}] {c.message_en()}" for c in possibly[:3])
        issues.append(
            _issue(
                "version-bump-review",
                f"version {this} is a {made.value} bump over {previous} with "
                f"{len(possibly)} possibly-breaking change(s): {listed}; confirm none breaks, "
                f"or make it a {soft.value} bump; see: {command}",
                where,
                "warning",
            )
        )


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


def _lint_profile(folder: Path, doc: Document, issues: list[LintIssue]) -> None:
    from conformance.lint import lint_folder
    from conformance.standards.diff import diff_standards
    from conformance.standards.loader import load_standard
    from conformance.standards.profiles import effective_of, find_base, source_location

    ref = str(doc.data["extends"])
    try:
        base_folder = find_base(folder, ref, doc)
    except ConformanceError as exc:
        issues.append(_issue("profile-base-missing", exc.message, exc.location or Location(folder)))
        return
    try:
        profile = load_standard(folder)
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
        inner = lint_folder(profile.folder)
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
    _versioning(folder, doc, issues)


def _source_paths(text: str, folder: Path) -> str:
    """Paths into an effective profile folder, in a message, replaced by the files users wrote."""
    from conformance.standards.profiles import source_file

    prefix = re.escape(str(folder)) + r"(/[^\s:'\"]*)?"
    return re.sub(prefix, lambda m: str(source_file(Path(m.group(0)))), text)


# -- runs --------------------------------------------------------------------------------


def refusal(standard: Standard) -> str | None:
    """Why a run may not certify against this version (draft or retired), or None."""
    if standard.status is Status.DRAFT:
        return (
            f"{standard.ref} 是草案（draft），不能据此认证 / {standard.ref} is a draft: "
            "certification against it is refused"
        )
    if standard.status is Status.RETIRED:
        sunset = standard.dates.get("sunset", "?")
        return (
            f"{standard.ref} 已于 {sunset} 停止使用（retired），不能据此认证 / {standard.ref} was "
            f"retired on {sunset}: certification against it is refused"
        )
    return None


def check_certifiable(standard: Standard, *, force: bool) -> None:
    """Raise a usage error (exit 2) for a draft or retired version unless forced."""
    reason = refusal(standard)
    if reason is not None and not force:
        raise UsageError(f"{reason}; pass --force to run anyway (the report will say so)")


def lifecycle_warnings(standard: Standard) -> list[str]:
    """Bilingual warnings a run's report carries for the version's lifecycle status."""
    warnings = []
    reason = refusal(standard)
    if reason is not None:
        warnings.append(f"强制运行 / forced run: {reason}")
    if standard.status is Status.DEPRECATED:
        since = standard.dates.get("deprecated", "?")
        sunset = standard.dates.get("sunset")
        until = f"，将于 {sunset} 停止使用" if sunset else ""
        until_en = f"; it will be retired on {sunset}" if sunset else ""
        warnings.append(
            f"{standard.ref} 已于 {since} 废止（deprecated）{until}，请迁移到新版本 / "
            f"{standard.ref} is deprecated since {since}{until_en}; move to a newer version"
        )
    return warnings


def extends_chain(standard: Standard) -> list[str]:
    """The refs a conforming candidate also conforms to: the standard, then its bases."""
    from conformance.standards.profiles import effective_of

    refs = [standard.ref]
    effective = effective_of(standard.folder)
    while effective is not None and len(refs) <= 8:
        refs.append(effective.base_ref)
        effective = effective_of(effective.base_folder)
    return refs


def base_of(standard: Standard) -> dict[str, str] | None:
    """A profile's base: its ref and the content digest of the base's own folder."""
    from conformance.standards.loader import content_digest
    from conformance.standards.profiles import effective_of

    effective = effective_of(standard.folder)
    if effective is None:
        return None
    base = effective_of(effective.base_folder)
    folder = base.source if base is not None else effective.base_folder
    return {"ref": effective.base_ref, "digest": content_digest(folder)}
