"""Profiles: a standard version that ``extends: base@version`` and only narrows it.

A profile folder holds its own ``standard.yaml`` and any files it overrides.  Its effective
standard is the base's folder with the profile's files laid over it (same relative path
replaces the base's file; new paths are added), and a manifest that merges the two:

- the profile's id, version, title, summary, status, dates and owner;
- the base's clauses, then the profile's: a profile clause with a base clause's id replaces it
  (lint then proves the replacement only strengthens it), other profile clauses are added;
- the base's ``api`` unless the profile names its own, and the base's exports, where a profile
  export with a base export's name replaces it and other profile exports are added.

The loader (:func:`conformance.standards.loader.load_standard`) finds the base and loads it;
this module builds the effective folder, once per process, in a private temporary folder
removed at exit,
so the rest of the suite (schema sets, the engine, export readers, lint) reads a profile like
any other standard.  The loaded :class:`Standard` keeps the profile's own manifest path and
content digest (its folder's, per the digest rule), and names its base in ``extends``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError, Location, StandardError
from conformance.standards._documents import Document, load_document
from conformance.standards.model import Standard

MANIFEST = "standard.yaml"
MAX_CHAIN = 8
_INHERITED_KEYS = ("id", "version", "title", "summary", "status", "dates", "owner")


@dataclass(frozen=True)
class Effective:
    """A materialised profile: where it lives, where it came from, and what it extends."""

    folder: Path  # the effective version folder (temporary)
    source: Path  # the profile's own version folder
    base_folder: Path  # the base's version folder as loaded (itself effective for a profile)
    base_ref: str
    pointers: dict[str, tuple[Path, str]]  # merged-manifest pointer prefix -> source file, ptr


_lock = threading.Lock()
_tmp_root: Path | None = None
_cache: dict[tuple[str, str, str], Effective] = {}
_by_folder: dict[Path, Effective] = {}
_loading: ContextVar[tuple[Path, ...]] = ContextVar("profile_loading", default=())


def _root() -> Path:
    global _tmp_root
    if _tmp_root is None:
        _tmp_root = Path(tempfile.mkdtemp(prefix="conformance-profiles-"))
        atexit.register(shutil.rmtree, _tmp_root, True)
    return _tmp_root


def effective_of(folder: Path) -> Effective | None:
    """The profile materialised at ``folder``, if ``folder`` is an effective profile folder."""
    return _by_folder.get(folder.resolve())


@contextmanager
def loading_base(folder: Path, doc: Document) -> Iterator[None]:
    """While the base of the profile at ``folder`` loads: refuse a loop or a long chain."""
    folder = folder.resolve()
    chain = _loading.get()
    if folder in chain:
        names = " → ".join(f"{p.parent.name}@{p.name}" for p in (*chain, folder))
        raise StandardError(f"extends loops: {names}", doc.location("/extends"))
    if len(chain) >= MAX_CHAIN:
        raise StandardError(
            f"extends chain longer than {MAX_CHAIN} profiles", doc.location("/extends")
        )
    token = _loading.set((*chain, folder))
    try:
        yield
    finally:
        _loading.reset(token)


def materialised(folder: Path, doc: Document, base: Standard, ref: str, digest: str) -> Effective:
    """The effective folder of the profile at ``folder`` over ``base`` (built once per process
    for the same profile and base contents)."""
    folder = folder.resolve()
    data: dict[str, Any] = doc.data
    if base.id == data["id"]:
        raise StandardError(
            f"a profile has its own id; id={data['id']!r} is the id of the base it extends",
            doc.location("/id"),
        )
    key = (str(folder), digest, base.digest)
    with _lock:
        effective = _cache.get(key)
        if effective is None or not effective.folder.is_dir():
            effective = _materialise(folder, data, base.folder, ref, doc)
            _cache[key] = effective
            _by_folder[effective.folder] = effective
    return effective


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            yield path.relative_to(folder).as_posix(), path


def _merge(
    base: list[Any], own: list[Any], key: str, section: str, base_manifest: Path, manifest: Path
) -> tuple[list[Any], dict[str, tuple[Path, str]]]:
    merged = list(base)
    pointers = {f"/{section}/{i}": (base_manifest, f"/{section}/{i}") for i in range(len(base))}
    index = {item.get(key): i for i, item in enumerate(merged) if isinstance(item, dict)}
    for j, item in enumerate(own):
        name = item.get(key) if isinstance(item, dict) else None
        if name in index:
            merged[index[name]] = item
            pointers[f"/{section}/{index[name]}"] = (manifest, f"/{section}/{j}")
        else:
            pointers[f"/{section}/{len(merged)}"] = (manifest, f"/{section}/{j}")
            merged.append(item)
    return merged, pointers


def _materialise(
    folder: Path, data: dict[str, Any], base_folder: Path, ref: str, doc: Document
) -> Effective:
    target = _root() / f"{len(_cache)}" / str(data["id"]) / str(data["version"])
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True)
    base_manifest = base_folder / MANIFEST
    base_data = load_document(base_manifest).data
    try:
        shutil.copytree(base_folder, target, symlinks=False)
        for rel, path in _files(folder):
            if rel == MANIFEST:
                continue
            destination = target / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    except OSError as exc:
        raise StandardError(
            f"cannot assemble the profile over {ref}: {exc.strerror or exc}", Location(folder)
        ) from None
    merged: dict[str, Any] = {k: v for k, v in base_data.items() if k != "extends"}
    for key in _INHERITED_KEYS:
        merged[key] = data[key]
    manifest = folder / MANIFEST
    merged["requirements"], pointers = _merge(
        list(base_data.get("requirements") or []),
        list(data.get("requirements") or []),
        "id",
        "requirements",
        base_manifest,
        manifest,
    )
    exports, export_pointers = _merge(
        list(base_data.get("exports") or []),
        list(data.get("exports") or []),
        "name",
        "exports",
        base_manifest,
        manifest,
    )
    if exports:
        merged["exports"] = exports
    pointers.update(export_pointers)
    if "api" in data:
        merged["api"] = data["api"]
    text = "# The effective manifest of a profile, assembled by the suite; never edited.\n"
    text += yaml.safe_dump(merged, allow_unicode=True, sort_keys=False, width=100)
    (target / MANIFEST).write_text(text, encoding="utf-8")
    return Effective(target, folder, base_folder, ref, pointers)


def source_file(path: Path) -> Path:
    """The file a user wrote for ``path`` (which may lie in an effective profile folder)."""
    path = path.resolve() if path.is_absolute() else path
    for folder, effective in list(_by_folder.items()):
        if path.is_relative_to(folder):
            rel = path.relative_to(folder)
            own = effective.source / rel
            if rel.as_posix() == MANIFEST:
                return own
            if own.is_file():
                return own
            return source_file(effective.base_folder / rel)
    return path


def source_location(location: Location) -> Location:
    """A location in an effective profile folder, mapped to the file a user wrote."""
    path = Path(location.path)
    for folder, effective in list(_by_folder.items()):
        if not (path.is_absolute() and path.resolve().is_relative_to(folder)):
            continue
        rel = path.resolve().relative_to(folder).as_posix()
        if rel == MANIFEST:
            pointer = location.pointer or ""
            for prefix in sorted(effective.pointers, key=len, reverse=True):
                if pointer == prefix or pointer.startswith(prefix + "/"):
                    file, mapped = effective.pointers[prefix]
                    new_pointer = mapped + pointer[len(prefix) :]
                    return source_location(Location(file, _line(file, new_pointer), new_pointer))
            return Location(effective.source / MANIFEST, None, location.pointer)
        return Location(source_file(path), location.line, location.pointer)
    return location


def _line(path: Path, pointer: str) -> int | None:
    try:
        return load_document(path).line(pointer)
    except ConformanceError:
        return None
