"""Standards lifecycle commands for maintainers.

- ``conformance standards diff A B``: what changed between two versions, and whether it breaks
  (``--previous PATH...``: each changed version against the release before it);
- ``conformance standards changelog ID``: write ``<root>/<id>/CHANGELOG.md`` from the diffs;
- ``conformance standards new-version ID --from X [--bump minor]``: scaffold the next version;
- ``conformance standards lint-changed FILE...``: lint the versions some files belong to (for
  pre-commit hooks and CI).

A version is named as ``ID@VERSION`` or by a path (a version folder or a file inside one).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.errors import ConformanceError, StandardError, UsageError

if TYPE_CHECKING:
    from conformance.standards._diff_ignore import IgnoreFile
    from conformance.standards._diff_output import Rendering
    from conformance.standards.diff import StandardDiff

EXIT_OK = 0
EXIT_FAIL = 1
MANIFEST = "standard.yaml"
MAX_PARENT_LEVELS = 12


def _dirs(args: argparse.Namespace) -> list[Path] | None:
    return [Path(p) for p in args.standards_dir] or None


def version_folder_of(path: Path) -> Path | None:
    """The version folder a path lies in (the nearest ancestor with standard.yaml)."""
    path = path.absolute()
    candidates = [path] if path.is_dir() else []
    candidates += list(path.parents)[:MAX_PARENT_LEVELS]
    for candidate in candidates:
        if (candidate / MANIFEST).is_file():
            return candidate.resolve()
    return None


def _folder(arg: str, dirs: list[Path] | None) -> Path:
    from conformance.standards.loader import StandardsRepository

    path = Path(arg)
    if "@" in arg and not path.exists():
        return StandardsRepository(dirs).folder(arg)
    if not path.exists():
        raise UsageError(f"{arg!r} is neither ID@VERSION nor an existing path")
    folder = version_folder_of(path)
    if folder is None:
        raise UsageError(f"path={arg!r} is not inside a standard version folder (no {MANIFEST})")
    return folder


def _changed_folders(paths: list[str]) -> list[Path]:
    folders: list[Path] = []
    for name in paths:
        folder = version_folder_of(Path(name))
        if folder is not None and folder not in folders:
            folders.append(folder)
    return folders


_FAIL_ON = {
    "never": (),
    "breaking": ("breaking",),
    "possibly-breaking": ("breaking", "possibly-breaking"),
}


def cmd_diff(args: argparse.Namespace) -> int:
    from conformance.standards._diff_ignore import load_ignore_file
    from conformance.standards._diff_output import (
        Rendering,
        ignore_notes,
        render_github,
        render_junit,
        render_markdown,
    )
    from conformance.standards.diff import diff_standards, render_text
    from conformance.standards.loader import load_standard
    from conformance.standards.versioning import Version, bump_between, previous_release

    dirs = _dirs(args)
    today = _as_of(args.as_of)
    if args.deprecation_notice_days < 0:
        raise UsageError(
            f"--deprecation-notice-days={args.deprecation_notice_days}: expected 0 or more days"
        )
    reports = [_report_option(value) for value in args.report]
    ignore = load_ignore_file(Path(args.ignore)) if args.ignore else None
    pairs: list[tuple[Path, Path]] = []
    notes: list[str] = []
    if args.previous:
        folders = _changed_folders(args.versions)
        for folder in folders:
            previous = previous_release(folder)
            if previous is None:
                notes.append(
                    f"{folder.parent.name}@{folder.name}: 无更早的发布版本 / "
                    "no earlier release to compare with"
                )
            else:
                pairs.append((previous, folder))
        if not folders:
            notes.append("未涉及任何标准版本 / no standard version among the paths given")
    else:
        if len(args.versions) != 2:
            raise UsageError(
                f"expected two versions (OLD NEW), got {len(args.versions)}; "
                "or use --previous PATH... to compare with the release before each"
            )
        pairs.append((_folder(args.versions[0], dirs), _folder(args.versions[1], dirs)))
    diffs: list[StandardDiff] = []
    for old_folder, new_folder in pairs:
        diffs.append(
            diff_standards(
                load_standard(old_folder),
                load_standard(new_folder),
                today=today,
                notice_days=args.deprecation_notice_days,
            )
        )
    failing = _FAIL_ON[args.fail_on]
    rendering = Rendering(failing=failing or ("breaking",), notes=notes)
    if ignore is not None:
        rendering.acceptance = ignore.apply([(d.new.id, d.changes) for d in diffs], today)
    for diff in diffs:
        old_v, new_v = Version.parse(diff.old.version), Version.parse(diff.new.version)
        if diff.old.id == diff.new.id and old_v and new_v:
            rendering.bumps_made[id(diff)] = bump_between(old_v, new_v).value

    def render(kind: str) -> str:
        if kind == "json":
            return (
                json.dumps(
                    _json(diffs, rendering, args.previous, ignore), ensure_ascii=False, indent=2
                )
                + "\n"
            )
        if kind == "markdown":
            return render_markdown(diffs, rendering)
        if kind == "junit":
            return render_junit(diffs, rendering)
        if kind == "github":
            return render_github(diffs, rendering)
        blocks = [
            render_text(d, bump_made=rendering.bumps_made.get(id(d)), rendering=rendering)
            for d in diffs
        ]
        return "\n\n".join(blocks + ignore_notes(rendering.acceptance) + notes) + "\n"

    for kind, path in reports:
        _write_report(path, render(kind))
    print(render(args.format), end="")
    if failing and any(rendering.fails(c) for d in diffs for c in d.changes):
        return EXIT_FAIL
    return EXIT_OK


_REPORT_FORMATS = ("text", "json", "markdown", "junit", "github")


def _report_option(value: str) -> tuple[str, Path]:
    kind, sep, path = value.partition("=")
    if not sep or kind not in _REPORT_FORMATS or not path:
        raise UsageError(
            f"--report {value!r}: expected FORMAT=PATH with FORMAT one of "
            f"{', '.join(_REPORT_FORMATS)}"
        )
    return kind, Path(path)


def _as_of(value: str | None) -> datetime.date:
    if value is None:
        return datetime.datetime.now(datetime.UTC).date()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of {value!r}: expected a date YYYY-MM-DD") from None


def _write_report(path: Path, text: str) -> None:
    """Write a report file whole (a temporary file renamed over it)."""
    if path.is_dir():
        raise UsageError(f"--report path={str(path)!r} is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"--report path={str(path)!r}: folder {path.parent} does not exist")
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _json(
    diffs: list[StandardDiff], rendering: Rendering, previous: bool, ignore: IgnoreFile | None
) -> dict[str, Any]:
    def one(diff: StandardDiff) -> dict[str, Any]:
        data = diff.as_dict()
        for change, item in zip(diff.changes, data["changes"], strict=True):
            entry = rendering.acceptance.entry_for(change)
            item["accepted"] = entry.as_dict() if entry is not None else None
        data["accepted"] = sum(1 for c in diff.changes if rendering.acceptance.entry_for(c))
        return data

    payload: dict[str, Any] = (
        {"diffs": [one(d) for d in diffs], "notes": rendering.notes} if previous else one(diffs[0])
    )
    if ignore is not None:
        payload["ignore"] = {
            "file": str(ignore.path),
            "expired": [
                {**entry.as_dict(), "change": change.id if change else None}
                for entry, change in rendering.acceptance.expired
            ],
            "unused": [entry.as_dict() for entry in rendering.acceptance.unused],
        }
    return payload


def cmd_changelog(args: argparse.Namespace) -> int:
    from conformance.standards.changelog import FILENAME, changelog_for, write_changelog
    from conformance.standards.loader import StandardsRepository

    repository = StandardsRepository(_dirs(args))
    folders = [p for i, _, p in repository.versions() if i == args.id]
    if not folders:
        raise UsageError(f"no standard with id={args.id!r}; searched {repository.roots}")
    standard_folder = folders[-1].parent  # the root that holds the latest version
    if args.check:
        path = standard_folder / FILENAME
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != changelog_for(standard_folder):
            print(
                f"{path} 不是最新的 / is out of date; run: conformance standards changelog "
                f"{args.id}"
            )
            return EXIT_FAIL
        print(f"{path} 是最新的 / is up to date")
        return EXIT_OK
    if args.stdout:
        print(changelog_for(standard_folder), end="")
        return EXIT_OK
    path = write_changelog(standard_folder, force=args.force)
    print(f"wrote {path}")
    return EXIT_OK


_TOP_LEVEL = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:")


def _rewrite_manifest(text: str, version: str) -> str:
    """Set version, status: draft and dates: {} in a manifest, keeping everything else."""
    out: list[str] = []
    lines = text.splitlines(keepends=True)
    index = 0
    seen = set()
    while index < len(lines):
        line = lines[index]
        match = _TOP_LEVEL.match(line)
        key = match["key"] if match else None
        if key in ("version", "status", "dates"):
            seen.add(key)
            index += 1
            # drop the block's continuation lines (indented or blank)
            while index < len(lines) and (
                lines[index].startswith((" ", "\t")) or not lines[index].strip()
            ):
                if (
                    not lines[index].strip()
                    and index + 1 < len(lines)
                    and _TOP_LEVEL.match(lines[index + 1])
                ):
                    break
                index += 1
            value = {"version": version, "status": "draft", "dates": "{}"}[key]
            out.append(f"{key}: {value}\n")
            continue
        out.append(line)
        index += 1
    if seen != {"version", "status", "dates"}:
        raise StandardError(
            f"cannot find top-level {', '.join(sorted({'version', 'status', 'dates'} - seen))} "
            "in standard.yaml; edit it by hand"
        )
    return "".join(out)


def _rewrite_openapi(path: Path, old: str, new: str) -> None:
    from conformance.standards._documents import load_document

    try:
        doc = load_document(path)
    except ConformanceError:
        return
    info = doc.data.get("info") if isinstance(doc.data, dict) else None
    if not isinstance(info, dict) or str(info.get("version")) != old:
        return
    line = doc.lines.get("/info/version")
    if line is None:
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def cmd_new_version(args: argparse.Namespace) -> int:
    from conformance._lint_lifecycle import REVIEW_FILE
    from conformance.standards._documents import load_document
    from conformance.standards.loader import StandardsRepository, load_standard
    from conformance.standards.versioning import Version

    repository = StandardsRepository(_dirs(args))
    source = repository.folder(f"{args.id}@{args.source}")
    current = Version.parse(args.source)
    if current is None:
        raise UsageError(f"--from {args.source!r} is not a semantic version")
    if args.version:
        target = Version.parse(args.version)
        if target is None or target.sort_key() <= current.sort_key():
            raise UsageError(
                f"--version {args.version!r}: expected a semantic version after {current}"
            )
    elif args.bump == "major":
        target = Version(current.major + 1, 0, 0)
    elif args.bump == "minor":
        target = Version(current.major, current.minor + 1, 0)
    else:
        target = Version(current.major, current.minor, current.patch + 1)
    destination = source.parent / str(target)
    if destination.exists():
        raise UsageError(f"{destination} already exists; it is never overwritten")
    staging = Path(tempfile.mkdtemp(prefix=f".{target}-", dir=source.parent))
    try:
        work = staging / str(target)
        # the review of the source's changes (review.yaml) is not the new version's
        shutil.copytree(
            source,
            work,
            symlinks=False,
            ignore=lambda at, names: [REVIEW_FILE] if Path(at) == source else [],
        )
        manifest = work / MANIFEST
        manifest.write_text(
            _rewrite_manifest(manifest.read_text(encoding="utf-8"), str(target)), encoding="utf-8"
        )
        data = load_document(manifest).data
        if (data.get("version"), data.get("status"), data.get("dates")) != (
            str(target),
            "draft",
            {},
        ):
            raise StandardError("could not rewrite version, status and dates; edit by hand")
        api = data.get("api")
        if isinstance(api, dict) and isinstance(api.get("openapi"), str):
            openapi = (work / api["openapi"]).resolve()
            if openapi.is_relative_to(work.resolve()) and openapi.is_file():
                _rewrite_openapi(openapi, str(current), str(target))
        if destination.exists():
            raise UsageError(f"{destination} already exists; it is never overwritten")
        os.rename(work, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    load_standard(destination)  # proves the copy loads
    print(f"created {destination} (status draft, dates reset) from {args.id}@{current}")
    print("next / 下一步:")
    print(f"  edit the files in {destination}")
    print(f"  conformance standards diff {args.id}@{current} {args.id}@{target}")
    print(f"  conformance standards lint {destination}")
    print(f"  conformance standards changelog {args.id}")
    return EXIT_OK


def cmd_lint_changed(args: argparse.Namespace) -> int:
    from conformance.lint import lint_paths, lint_summary

    folders = _changed_folders(args.paths)
    if not folders:
        print("未涉及任何标准版本 / no standard version among the paths given")
        return EXIT_OK
    issues, linted = lint_paths(folders)
    for issue in issues:
        print(issue.format())
    errors = sum(1 for i in issues if i.severity == "error")
    print(lint_summary(issues, linted))
    return EXIT_FAIL if errors else EXIT_OK


def _standards_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--standards-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="folder holding <id>/<version>/ standards (repeatable)",
    )


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    del sub
    p = standards_sub.add_parser(
        "diff",
        help="what changed between two versions, and whether it breaks",
        description="Compare two versions (ID@VERSION or a version folder). Exit 0, or 1 when "
        "--fail-on finds a change of that class that no ignore-file entry accepts, 2 on bad "
        "usage or a malformed ignore file.",
    )
    p.add_argument(
        "versions", nargs="+", metavar="VERSION", help="OLD NEW, or with --previous: paths"
    )
    p.add_argument(
        "--previous",
        action="store_true",
        help="compare each version named (or holding a file named) with the release before it",
    )
    p.add_argument(
        "--format",
        choices=_REPORT_FORMATS,
        default="text",
        help="what to print: text, json, markdown (a merge-request comment), junit, or "
        "github (workflow annotations)",
    )
    p.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="also write this format to PATH (repeatable), e.g. junit=diff.xml",
    )
    p.add_argument(
        "--fail-on",
        choices=tuple(_FAIL_ON),
        default="never",
        help="exit 1 when a change of this class (or worse) is found (default: never)",
    )
    p.add_argument(
        "--ignore",
        metavar="FILE",
        help="accepted breaks (YAML: id, reason, expires per entry); an accepted change does "
        "not fail --fail-on until its entry expires",
    )
    p.add_argument(
        "--deprecation-notice-days",
        type=int,
        default=0,
        metavar="N",
        help="require deprecations to announce an x-sunset date at least N days after the "
        "version takes effect (on top of the standard's x-deprecation-notice-days)",
    )
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="judge ignore-file expiry, and the sunsets of draft versions, at this date "
        "(YYYY-MM-DD; default: today, UTC)",
    )
    _standards_dir(p)
    p.set_defaults(func=cmd_diff)

    p = standards_sub.add_parser(
        "changelog", help="write <id>/CHANGELOG.md from the diffs between consecutive versions"
    )
    p.add_argument("id", metavar="ID")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="exit 1 when CHANGELOG.md is stale")
    group.add_argument("--stdout", action="store_true", help="print instead of writing")
    p.add_argument("--force", action="store_true", help="replace a CHANGELOG.md not generated here")
    _standards_dir(p)
    p.set_defaults(func=cmd_changelog)

    p = standards_sub.add_parser(
        "new-version", help="scaffold the next version folder (status draft, dates reset)"
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("--from", dest="source", required=True, metavar="VERSION")
    p.add_argument("--bump", choices=("major", "minor", "patch"), default="minor")
    p.add_argument("--version", metavar="VERSION", help="the new version, instead of --bump")
    _standards_dir(p)
    p.set_defaults(func=cmd_new_version)

    p = standards_sub.add_parser(
        "lint-changed", help="lint the standard versions that hold the files given (hooks, CI)"
    )
    p.add_argument("paths", nargs="*", metavar="FILE")
    p.set_defaults(func=cmd_lint_changed)
