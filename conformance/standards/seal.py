"""A standard is sealed: every file it can load lies inside its version folder.

One rule serves every kind of reference a standard can hold: a JSON ``$ref`` (resolved
against the file's URI and any ``$id`` above it), and an XSD's ``xs:include``,
``xs:import``, ``xs:redefine``, ``xs:override`` and ``xsi:schemaLocation``.  A reference is
resolved the way the loaders resolve it (RFC 3986 against its base, percent-decoded, then
through the file system), and it is kept only when it names a regular file inside the
version folder, reached without a symbolic link.  Anything else (a URL, an absolute path
elsewhere, ``..`` or ``%2e%2e`` segments climbing out, a link) is refused with the reason;
lint reports it located, and the loaders never open it.

XSDs are compiled through :func:`load_xsd`: the include graph is walked and checked first,
then libxml2 reads every document through a resolver that hands it only the files of that
graph, read by Python with the document size cap.  libxml2's own loaders (files, catalogs,
network) are never reached, whatever its version.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from conformance.errors import Location, StandardError
from conformance.standards._documents import MAX_DOCUMENT_BYTES

__all__ = [
    "MAX_XSD_FILES",
    "Target",
    "XsdReference",
    "load_xsd",
    "resolve_in_folder",
    "version_folder",
    "xsd_closure",
    "xsd_parser",
    "xsd_references",
]

MANIFEST = "standard.yaml"
XS = "{http://www.w3.org/2001/XMLSchema}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
# The XSDs one export may pull in through includes and imports.
MAX_XSD_FILES = 256
_XSD_DIRECTIVES = {f"{XS}{name}": f"xs:{name}" for name in ("include", "import", "redefine")}
_XSD_DIRECTIVES[f"{XS}override"] = "xs:override"


def version_folder(path: Path) -> Path:
    """The nearest ancestor holding standard.yaml, else the file's own folder."""
    for parent in path.resolve().parents:
        if (parent / MANIFEST).is_file():
            return parent
    return path.resolve().parent


@dataclass(frozen=True)
class Target:
    """Where a reference leads: its absolute URI (no fragment), and the file inside the
    folder it names, or why it names none."""

    uri: str
    path: Path | None
    reason: str | None = None
    outside: bool = False  # a URL, or a file outside the folder (not merely missing)


def resolve_in_folder(folder: Path, base: str, reference: str) -> Target:
    """Resolve ``reference`` against ``base`` (a URI); keep it only inside ``folder``."""
    folder = folder.resolve()
    try:
        full = urljoin(base, reference)
        parts = urlsplit(full)
    except ValueError as exc:  # e.g. an invalid IPv6 host
        return Target(reference, None, f"is not a URI reference ({exc})", outside=True)
    uri = full.partition("#")[0]
    if parts.scheme != "file":
        return Target(uri, None, f"resolves to the {parts.scheme or 'relative'} URL {uri!r}", True)
    if parts.netloc not in ("", "localhost"):
        return Target(uri, None, f"names a file on host {parts.netloc!r}", outside=True)
    raw = unquote(parts.path)
    if "\x00" in raw:
        return Target(uri, None, "holds a NUL character", outside=True)
    lexical = Path(os.path.normpath(raw))
    try:
        resolved = lexical.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        return Target(uri, None, f"cannot be resolved ({exc})", outside=True)
    if not lexical.is_relative_to(folder):
        return Target(uri, None, f"leaves the version folder (it names {raw})", outside=True)
    if resolved != lexical:
        return Target(uri, None, f"goes through a symbolic link (to {resolved})", outside=True)
    if not resolved.is_file():
        return Target(uri, None, f"names {resolved.relative_to(folder)}, which does not exist")
    return Target(uri, resolved)


# ---------------------------------------------------------------------------- XSDs


@dataclass(frozen=True)
class XsdReference:
    """One schema location an XSD names, and where."""

    path: Path  # the XSD holding it
    line: int | None
    construct: str  # "xs:include", "xs:import", ..., "xsi:schemaLocation"
    location: str  # as written
    base: str  # the URI it is resolved against

    @property
    def where(self) -> Location:
        return Location(self.path, self.line)

    def describe(self) -> str:
        return f"{self.construct} schemaLocation={self.location!r}"


def xsd_parser(resolver: etree.Resolver | None = None) -> etree.XMLParser:
    """The one parser for XSDs: no DTD, no entities, no network, no huge trees."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    if resolver is not None:
        parser.resolvers.add(resolver)
    return parser


def _read(path: Path) -> bytes:
    with path.open("rb") as stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise StandardError(
            f"file too large: more than {MAX_DOCUMENT_BYTES} bytes, expected at most that",
            Location(path),
        )
    return data


def _parse(path: Path, parser: etree.XMLParser) -> Any:
    try:
        data = _read(path)
    except OSError as exc:
        raise StandardError(f"unreadable: {exc.strerror or exc}", Location(path)) from None
    try:
        return etree.parse(io.BytesIO(data), parser, base_url=path.as_uri())
    except etree.XMLSyntaxError as exc:
        raise StandardError(f"not well-formed XML: {exc.msg}", Location(path, exc.lineno)) from None


def xsd_references(path: Path, tree: Any) -> Iterator[XsdReference]:
    """Every schema location ``tree`` (the parsed XSD at ``path``) names."""
    for element in tree.iter(etree.Element):
        base = element.base or path.as_uri()
        construct = _XSD_DIRECTIVES.get(element.tag)
        location = element.get("schemaLocation") if construct else None
        if construct and location is not None:
            yield XsdReference(path, element.sourceline, construct, location.strip(), base)
        pairs = (element.get(f"{XSI}schemaLocation") or "").split()
        for value in pairs[1::2]:
            yield XsdReference(path, element.sourceline, "xsi:schemaLocation", value, base)
        single = element.get(f"{XSI}noNamespaceSchemaLocation")
        if single is not None:
            construct = "xsi:noNamespaceSchemaLocation"
            yield XsdReference(path, element.sourceline, construct, single.strip(), base)


def xsd_closure(
    root: Path, folder: Path | None = None
) -> tuple[dict[Path, Any], list[tuple[XsdReference, Target]]]:
    """The XSDs ``root`` pulls in (parsed, by path) and every reference that does not stay
    in the folder, with where it leads.  Raises StandardError on a file that does not parse."""
    folder = (folder or version_folder(root)).resolve()
    root = root.resolve()
    parser = xsd_parser()
    trees: dict[Path, Any] = {}
    refused: list[tuple[XsdReference, Target]] = []
    queue = [root]
    while queue:
        path = queue.pop(0)
        if path in trees:
            continue
        if len(trees) >= MAX_XSD_FILES:
            raise StandardError(
                f"more than {MAX_XSD_FILES} XSD files through includes and imports; expected fewer",
                Location(root),
            )
        tree = trees[path] = _parse(path, parser)
        for reference in xsd_references(path, tree):
            target = resolve_in_folder(folder, reference.base, reference.location)
            if target.path is None:
                refused.append((reference, target))
            elif reference.construct.startswith("xs:") and target.path not in trees:
                queue.append(target.path)  # xsi: hints are checked, never loaded
    return trees, refused


class _FolderResolver(etree.Resolver):
    """Hands libxml2 the allowed files (read here, capped); refuses everything else."""

    def __init__(self, allowed: dict[Path, Any]) -> None:
        super().__init__()
        self.allowed = allowed

    # lxml-stubs leave out the context argument lxml passes
    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:  # type: ignore[override]
        path: Path | None = None
        if url:
            parts = urlsplit(url)
            raw = unquote(parts.path) if parts.scheme == "file" else url
            if parts.scheme in ("", "file") and "\x00" not in raw:
                path = Path(os.path.normpath(raw))
        if path is None or path not in self.allowed:
            # An empty document: libxml2 reports "failed to parse" and loads nothing.
            return self.resolve_string(b"", context, base_url=None)
        return self.resolve_string(_read(path), context, base_url=path.as_uri())


def load_xsd(path: Path, folder: Path | None = None) -> tuple[etree.XMLSchema, Any]:
    """The compiled XSD at ``path`` and its parsed document, every file it includes or
    imports inside ``folder`` (default: the version folder holding it).

    Raises StandardError, located, for a reference that leaves the folder or names no
    file, for XML that does not parse and for an XSD that does not compile.
    """
    trees, refused = xsd_closure(path, folder)
    for reference, target in refused:
        raise StandardError(f"{reference.describe()} {target.reason}", reference.where)
    root = path.resolve()
    parser = xsd_parser(_FolderResolver(trees))
    tree = etree.parse(io.BytesIO(_read(root)), parser, base_url=root.as_uri())
    try:
        return etree.XMLSchema(tree), tree.getroot()
    except etree.XMLSchemaParseError as exc:
        entry = exc.error_log.last_error if exc.error_log else None
        where = Location(_source(entry.filename, root), entry.line) if entry else Location(root)
        raise StandardError(f"not a valid XSD: {exc}", where) from None


def _source(filename: str | None, default: Path) -> Path:
    """The file a libxml2 error names (a path or a file URI), else ``default``."""
    if not filename:
        return default
    parts = urlsplit(filename)
    raw = unquote(parts.path) if parts.scheme == "file" else filename
    return Path(raw) if Path(raw).is_absolute() else default
