"""Finding, digesting and loading standard version folders."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from conformance.errors import Location, StandardError, StandardNotFound, UsageError
from conformance.samples import sample_standards_folder
from conformance.standards._documents import Document, join_pointer, load_document
from conformance.standards.model import (
    Binding,
    Clause,
    CsvOptions,
    ExportSpec,
    Level,
    Standard,
    Status,
    Text,
    Verification,
    XmlRoot,
)
from conformance.standards.profiles import loading_base, materialised

MANIFEST = "standard.yaml"
STANDARDS_PATH_ENV = "CONFORMANCE_STANDARDS_PATH"
_REF = re.compile(r"^(?P<id>[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*)@(?P<version>[0-9][0-9A-Za-z.+-]*)$")


@cache
def manifest_validator() -> Draft202012Validator:
    text = resources.files("conformance").joinpath("schemas/standard.schema.json").read_text()
    return Draft202012Validator(json.loads(text))


def manifest_errors(doc: Document) -> Iterator[StandardError]:
    """Meta-schema violations of a manifest, each located by line and JSON pointer."""
    if not isinstance(doc.data, dict):
        yield StandardError("expected a mapping at the top of standard.yaml", doc.location(""))
        return
    errors = sorted(manifest_validator().iter_errors(doc.data), key=lambda e: list(e.path))
    for error in errors:
        pointer = join_pointer("", *error.absolute_path)
        yield StandardError(f"{error.message} (rule {error.validator})", doc.location(pointer))


def resolve_inside(folder: Path, relative: str, where: Location) -> Path:
    """Resolve a manifest path; refuse one that leaves the version folder."""
    folder = folder.resolve()
    candidate = (folder / relative).resolve()
    if not candidate.is_relative_to(folder):
        raise StandardError(f"path={relative!r} leaves the version folder {folder}", where)
    if not candidate.is_file():
        raise StandardError(f"path={relative!r} does not exist in {folder}", where)
    return candidate


_UNREAD: Any = object()  # the manifest is to be read


def content_digest(folder: Path, manifest: Any = _UNREAD, base_digest: str | None = None) -> str:
    """sha256 over the canonical listing of the version folder.

    The listing has one line per regular file, sorted by the UTF-8 bytes of its
    POSIX path relative to the folder: ``<sha256 hex of the bytes>  <path>\n``.
    The digest is ``sha256:`` and the hex sha256 of that listing.

    One exception: ``standard.yaml`` is hashed as its canonical JSON (keys sorted, no
    whitespace, UTF-8) without ``status`` and ``dates``.  Moving a version through its
    lifecycle (published, deprecated, retired) changes neither what it requires nor the
    certificates that pin it; any other change to any file changes the digest.
    ``manifest``: the manifest's data when the caller has just read it.
    ``base_digest``: for a profile, its base's digest, listed as one more line
    (``<base digest>  extends:``): a profile loads its base's files, so a change to any of
    them changes the profile's digest too, and a certificate pinning it no longer matches.
    """
    folder = folder.resolve()
    entries: list[tuple[bytes, str]] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in [*files, *dirs]:
            path = Path(root) / name
            if path.is_symlink():
                raise StandardError(
                    "symbolic links are not allowed in a standard version folder", Location(path)
                )
        for name in files:
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if relative == MANIFEST:
                digest = hashlib.sha256(_manifest_content(path, manifest)).hexdigest()
            else:
                digest = _file_digest(path)
            entries.append((relative.encode("utf-8"), digest))
    if base_digest is not None:
        entries.append((b"extends:", base_digest))
    listing = "".join(f"{digest}  {rel.decode('utf-8')}\n" for rel, digest in sorted(entries))
    return "sha256:" + hashlib.sha256(listing.encode("utf-8")).hexdigest()


LIFECYCLE_FIELDS = ("status", "dates")


def _file_digest(path: Path) -> str:
    """sha256 of a file, read in blocks: a large file in the folder costs no memory."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _manifest_content(path: Path, data: Any = _UNREAD) -> bytes:
    if data is _UNREAD:
        data = load_document(path).data
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in LIFECYCLE_FIELDS}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return canonical.encode("utf-8")


def _exports(folder: Path, doc: Document, data: dict[str, Any]) -> tuple[ExportSpec, ...]:
    specs = []
    for index, raw in enumerate(data.get("exports", [])):
        pointer = f"/exports/{index}"
        csv_raw = raw.get("csv", {})
        root_raw = raw.get("root", {})
        specs.append(
            ExportSpec(
                name=raw["name"],
                title=Text.from_dict(raw["title"]),
                format=raw["format"],
                schema_path=resolve_inside(
                    folder, raw["schema"], doc.location(pointer + "/schema")
                ),
                clauses=tuple(raw["clauses"]),
                encoding=raw.get("encoding", "utf-8"),
                key=tuple(raw.get("key", ())),
                record_element=raw.get("record_element"),
                field_formats=dict(raw.get("field_formats", {})),
                csv=CsvOptions(
                    delimiter=csv_raw.get("delimiter", ","), empty=csv_raw.get("empty", "absent")
                ),
                examples=tuple(
                    resolve_inside(folder, rel, doc.location(f"{pointer}/examples/{i}"))
                    for i, rel in enumerate(raw.get("examples", []))
                ),
                root=XmlRoot(
                    element=root_raw.get("element"),
                    namespace=root_raw.get("namespace"),
                    count=root_raw.get("count"),
                ),
            )
        )
    return tuple(specs)


def duplicate_clause_errors(doc: Document) -> Iterator[StandardError]:
    seen: dict[str, int] = {}
    for index, clause in enumerate(doc.data.get("requirements", [])):
        clause_id = clause.get("id") if isinstance(clause, dict) else None
        if not isinstance(clause_id, str):
            continue
        if clause_id in seen:
            yield StandardError(
                f"duplicate clause id={clause_id!r}, "
                f"first defined at /requirements/{seen[clause_id]}",
                doc.location(f"/requirements/{index}/id"),
            )
        else:
            seen[clause_id] = index


def load_standard(folder: Path) -> Standard:
    """Load and check the structure of one version folder; raise on the first problem."""
    folder = folder.resolve()
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise StandardError(f"no {MANIFEST} in {folder}", Location(folder))
    doc = load_document(manifest)
    for error in manifest_errors(doc):
        raise error
    for error in duplicate_clause_errors(doc):
        raise error
    if doc.data.get("extends"):
        return _load_profile(folder, doc)  # a profile: the base with the profile laid over it
    data: dict[str, Any] = doc.data
    openapi_path = None
    if "api" in data:
        openapi_path = resolve_inside(folder, data["api"]["openapi"], doc.location("/api/openapi"))
    clauses = tuple(
        Clause(
            id=raw["id"],
            level=Level(raw["level"]),
            verification=Verification(raw["verification"]),
            text=Text.from_dict(raw["text"]),
            checks=tuple(raw.get("checks", ())),
            binds=tuple(Binding.from_dict(b) for b in raw.get("binds", ())),
        )
        for raw in data["requirements"]
    )
    return Standard(
        id=data["id"],
        version=data["version"],
        title=Text.from_dict(data["title"]),
        summary=Text.from_dict(data["summary"]),
        status=Status(data["status"]),
        dates=dict(data["dates"]),
        owner=dict(data["owner"]),
        extends=data.get("extends"),
        clauses=clauses,
        exports=_exports(folder, doc, data),
        folder=folder,
        manifest_path=manifest,
        openapi_path=openapi_path,
        digest=content_digest(folder, data),
        unverified_must=data.get("policy", {}).get("unverified_must", "fail"),
    )


def parse_ref(ref: str) -> tuple[str, str]:
    match = _REF.match(ref)
    if match is None:
        raise UsageError(
            f"standard={ref!r} is not of the form ID@VERSION, e.g. gov.e-licence@1.1.0"
        )
    return match["id"], match["version"]


def _semver_key(version: str) -> tuple[Any, ...]:
    core, _, pre = version.partition("-")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    return (*numbers, pre == "", pre)


LOOKUP_ORDER = (
    "--standards (folders or bundles; only these when given)",
    f"${STANDARDS_PATH_ENV} (folders or bundles, separated by {os.pathsep!r})",
    "./standards (the working folder)",
    "the sample standards shipped in the package",
)


@dataclass(frozen=True)
class StandardsSource:
    """A folder holding ``<id>/<version>/`` standards, and where it came from."""

    folder: Path
    origin: str  # "option", "environment", "working folder" or "package data"
    given: str  # what was given: the folder, or the bundle file it was unpacked from
    bundle: str | None = None  # a bundle's description: digest, signer

    def describe(self) -> str:
        where = f"{self.origin} {self.given}" if self.origin != "package data" else self.origin
        return f"{where} [bundle {self.bundle}]" if self.bundle else where


# Opens a bundle file (verified) as a source; set by ``conformance.bundles``, which sits above
# this layer (it verifies signatures with the certificates' keys).
BundleOpener = Callable[[Path, str], StandardsSource]
_bundle_opener: BundleOpener | None = None


def set_bundle_opener(opener: BundleOpener) -> None:
    global _bundle_opener
    _bundle_opener = opener


def source_of(path: Path | StandardsSource, origin: str) -> StandardsSource:
    """A folder as it is; a bundle file verified and unpacked (exit 2 when it is refused)."""
    if isinstance(path, StandardsSource):
        return path
    if path.is_file():
        if _bundle_opener is None:
            raise UsageError(f"{path}: a file, not a standards folder (bundles need the CLI)")
        return _bundle_opener(path, origin)
    return StandardsSource(path.resolve() if path.is_dir() else path, origin, str(path))


def default_sources() -> list[StandardsSource]:
    """Where standards are looked for when no --standards is given; first match wins.

    ``$CONFORMANCE_STANDARDS_PATH`` (os.pathsep-separated folders or bundles), then
    ``./standards``, then the sample standards shipped in the package.
    """
    sources = [
        source_of(Path(p), "environment")
        for p in os.environ.get(STANDARDS_PATH_ENV, "").split(os.pathsep)
        if p and Path(p).exists()
    ]
    working = Path.cwd() / "standards"
    if working.is_dir():
        sources.append(StandardsSource(working.resolve(), "working folder", "./standards"))
    samples = sample_standards_folder()
    if samples is not None:
        sources.append(StandardsSource(samples, "package data", str(samples)))
    unique: list[StandardsSource] = []
    for source in sources:
        if source.folder.is_dir() and all(u.folder != source.folder for u in unique):
            unique.append(source)
    return unique


def default_roots() -> list[Path]:
    """The folders of :func:`default_sources`, in lookup order."""
    return [source.folder for source in default_sources()]


class StandardsRepository:
    """Standard versions laid out as ``<root>/<id>/<version>/standard.yaml``.

    ``roots``: the folders or bundles given with --standards (only these are searched);
    None: the default lookup order (:data:`LOOKUP_ORDER`).
    """

    def __init__(self, roots: Sequence[Path | StandardsSource] | None = None) -> None:
        if roots is None:
            self.sources = default_sources()
        else:
            self.sources = [source_of(root, "option") for root in roots]
        self.roots = [source.folder for source in self.sources]

    def found(self) -> list[tuple[str, str, Path, StandardsSource]]:
        """Every standard version found, with its folder and source; the first source wins."""
        found: dict[tuple[str, str], tuple[Path, StandardsSource]] = {}
        for source in self.sources:
            for manifest in sorted(source.folder.glob(f"*/*/{MANIFEST}")):
                folder = manifest.parent
                found.setdefault((folder.parent.name, folder.name), (folder, source))
        return sorted(
            ((i, v, p, s) for (i, v), (p, s) in found.items()),
            key=lambda t: (t[0], _semver_key(t[1])),
        )

    def versions(self) -> list[tuple[str, str, Path]]:
        return [(i, v, p) for i, v, p, _ in self.found()]

    def folder(self, ref: str) -> Path:
        standard_id, version = parse_ref(ref)
        known = [v for i, v, _ in self.versions() if i == standard_id]
        for i, v, path in self.versions():
            if (i, v) == (standard_id, version):
                return path
        searched = ", ".join(str(r) for r in self.roots) or "(no standards folder found)"
        if known:
            hint = f"known versions of {standard_id}: {', '.join(known)}"
        else:
            hint = f"no standard with id={standard_id!r}"
        raise StandardNotFound(f"standard={ref!r} not found; {hint}; searched {searched}")

    def load(self, ref: str) -> Standard:
        return load_standard(self.folder(ref))


# -- profiles (conformance.standards.profiles builds their effective folders) ------------


def base_roots(folder: Path) -> list[Path]:
    """Where a profile's base is looked for: the profile's own standards root first."""
    roots = [folder.resolve().parent.parent]
    roots += [r for r in default_roots() if r not in roots]
    return roots


def find_base(folder: Path, ref: str, doc: Document) -> Path:
    """The version folder of the base a profile extends (``extends: ref``)."""
    try:
        return StandardsRepository(base_roots(folder)).folder(ref)
    except StandardError as exc:
        raise StandardError(f"extends={ref!r}: {exc.message}", doc.location("/extends")) from None


def _load_profile(folder: Path, doc: Document) -> Standard:
    """A profile folder as its effective Standard (see conformance.standards.profiles)."""
    ref = str(doc.data["extends"])
    base_folder = find_base(folder, ref, doc)
    with loading_base(folder, doc):
        base = load_standard(base_folder)
    digest = content_digest(folder, doc.data, base_digest=base.digest)
    effective = materialised(folder, doc, base, ref, digest)
    standard = load_standard(effective.folder)
    return replace(standard, extends=ref, manifest_path=folder / MANIFEST, digest=digest)
