"""Versioning and lifecycle of standard versions (lint enforces them: conformance._lint_lifecycle).

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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.errors import UsageError
from conformance.standards._diff_model import Bump, Classification
from conformance.standards.loader import content_digest
from conformance.standards.model import Standard, Status
from conformance.standards.profiles import effective_of

if TYPE_CHECKING:
    from conformance.standards.diff import StandardDiff

MANIFEST = "standard.yaml"
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)\.(?P<patch>0|[1-9][0-9]*)"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?$"
)


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
    refs = [standard.ref]
    effective = effective_of(standard.folder)
    while effective is not None and len(refs) <= 8:
        refs.append(effective.base_ref)
        effective = effective_of(effective.base_folder)
    return refs


def base_of(standard: Standard) -> dict[str, str] | None:
    """A profile's base: its ref and the content digest of the base's own folder."""
    effective = effective_of(standard.folder)
    if effective is None:
        return None
    base = effective_of(effective.base_folder)
    folder = base.source if base is not None else effective.base_folder
    return {"ref": effective.base_ref, "digest": content_digest(folder)}
