"""The registered validation paths of export records: acceptors, and one batch reader.

One pipeline. A reader yields the records of one block of one export, in file order, as a
:class:`~conformance.exports._batch.Batch` (the raw items, the values where a reader or an
acceptor has them, and each record's place through ``Batch.place``): JSON Lines a block's
lines (UTF-8, after the first record), CSV a run of rows read at once or a run of records
read one by one, JSON arrays a run of records, XML the record texts the compiled scanner
finds ahead of lxml, then lxml's record elements. *Acceptors* are asked about it in the order
of :data:`REGISTRY`; each answers with the indices of the records it does not accept and
may only accept (this record is valid) or say nothing: what it refuses goes on to the next
one (``Batch.subset``), and what none accepts to the one exact checker of the format
(``_batch.decide``), which decides every record and words every error (python-jsonschema,
or lxml's XSD and the format checks, record by record). The acceptors are callables the
validator builds once per reading from these names (``exports/_validate.py``:
``_jsonl_acceptors``, ``_table_acceptors``); this module stays free of them so that it can
be imported alone. (When ``records`` is offered, the exact checker words a record's errors
from jsonschema-rs's located errors, which ``tests/test_exports_fast.py`` shows equal
python-jsonschema's wording; with ``paths=()`` python-jsonschema alone decides and words.)
JSON Lines lines that are blank, not UTF-8, not JSON or too deep are no reading path of
their own: the acceptors refuse them and the exact step hands them to the line-by-line
handling, reported in line order with the other refused lines. XML goes through two
stages of that shape (``exports/_validate.py``: ``_read_xml``): the scanner's batches of
record texts are offered to a caller's acceptors then ``compiled``
(``RecordScanner._accept``), and what they refuse stays in the text lxml parses; lxml's
batches of record elements (in a wrapper, placed by line and XPath) are offered to a
caller's acceptors (about the records the scanner never found) then ``batches``
(``_xml_batches_acceptor``: one XSD call a batch), and what they leave to the exact step
(``_xml_exact``: lxml's XSD record by record, then the field formats), in record order.

The registry lists them in the order the validator asks them. ``builds_on`` names the
acceptor whose compiled schema another one reuses (it is only offered with that one). The
one registered *reader* path (``csv-blocks``) reads clean CSV blocks whole instead of row
by row; it yields the same records in the same shape.

Which ones run is chosen once per validation (:func:`select`): by default all of them;
``validate_export(..., paths=...)`` names the ones to offer (``()``: the exact checker and
the line-by-line readers alone), and may add a caller's :class:`Acceptor` (a test's probe,
asked first about every batch); ``CONFORMANCE_EXACT_ONLY=1`` (``conformance run
--exact-only``) is ``paths=()`` for a whole run. Tests prove the paths equal through this
seam, never by replacing private names (``tests/test_export_batches.py``: an acceptor that
accepts nothing sees every record once and changes no finding). Each report says which
paths took how many records (``ExportReport.paths``) and, in words, in ``validation_path``
(results.json).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from conformance.exports._batch import Accept
from conformance.exports._fast import EXACT_ONLY_ENV, exact_only


@dataclass(frozen=True)
class RegisteredPath:
    name: str
    formats: tuple[str, ...]
    what: str  # how validation_path names it
    kind: Literal["acceptor", "reader"] = "acceptor"
    builds_on: str | None = None


REGISTRY: tuple[RegisteredPath, ...] = (
    RegisteredPath("typed", ("jsonl",), "msgspec typed records", builds_on="records"),
    RegisteredPath(
        "blocks", ("jsonl",), "orjson and jsonschema-rs a block at a time", builds_on="records"
    ),
    RegisteredPath("columns", ("csv",), "CSV column checks", builds_on="records"),
    RegisteredPath("records", ("jsonl", "json", "csv"), "jsonschema-rs"),
    RegisteredPath("compiled", ("xml",), "compiled records", builds_on="batches"),
    RegisteredPath("batches", ("xml",), "XSD batches"),
    RegisteredPath("csv-blocks", ("csv",), "clean CSV blocks", kind="reader"),
)
NAMES: tuple[str, ...] = tuple(path.name for path in REGISTRY)


@dataclass(frozen=True)
class Acceptor:
    """A caller's acceptor, offered through ``paths=`` (tests' probes): ``accept`` is asked
    about every batch of an export before the registered acceptors and answers with the
    indices of the records it does not accept. What it accepts is taken off the exact
    checker's hands (not checked, not always keyed); in process only (not with
    ``--jobs``). XML records are asked about once each: as the texts the compiled scanner
    finds (``items`` strings), or, after it stopped or when it does not run, as lxml's
    record elements (``XmlRecord``s)."""

    name: str
    accept: Accept


_BY_NAME: Mapping[str, RegisteredPath] = {path.name: path for path in REGISTRY}


@dataclass(frozen=True)
class Selection:
    """The paths offered in one validation, and why (shown when not all of them)."""

    names: frozenset[str]
    origin: str = ""  # "" (the default: all), "CONFORMANCE_EXACT_ONLY=1", "paths=..."
    extra: tuple[Acceptor, ...] = ()  # a caller's acceptors, asked first

    def __contains__(self, name: object) -> bool:
        return name in self.names


ALL = Selection(frozenset(NAMES))


def select(paths: Iterable[str | Acceptor] | Selection | None = None) -> Selection:
    """The selection for ``paths`` (names of :data:`REGISTRY`, and any caller's
    :class:`Acceptor`), or, when None, the one the environment asks for (all of them unless
    ``CONFORMANCE_EXACT_ONLY=1``).

    ValueError names an unknown path, or one offered without the path it builds on.
    """
    if isinstance(paths, Selection):
        return paths
    if paths is None:
        return Selection(frozenset(), f"{EXACT_ONLY_ENV}=1") if exact_only() else ALL
    given = list(paths)
    extra = tuple(path for path in given if isinstance(path, Acceptor))
    names = frozenset(path for path in given if not isinstance(path, Acceptor))
    unknown = sorted(names - set(NAMES))
    if unknown:
        raise ValueError(
            f"unknown export validation path {unknown[0]!r}; expected some of {', '.join(NAMES)}"
        )
    for name in sorted(names):
        needed = _BY_NAME[name].builds_on
        if needed is not None and needed not in names:
            raise ValueError(f"export validation path {name!r} builds on {needed!r}; name both")
    if names == ALL.names and not extra:
        return ALL
    shown = ", ".join([*(name for name in NAMES if name in names), *(a.name for a in extra)])
    return Selection(names, f"paths={shown}" if shown else "paths=none", extra)


def describe(fmt: str, selection: Selection, taken: Mapping[str, int]) -> str:
    """``validation_path`` in words: how many records each path took, in registry order."""

    def listed(kind: str) -> str:
        return ", ".join(
            f"{path.what} ({path.name}) {taken[path.name]}"
            for path in REGISTRY
            if path.kind == kind and fmt in path.formats and taken.get(path.name)
        )

    accepted, read = listed("acceptor"), listed("reader")
    text = f"accepted by {accepted or 'no acceptor'}; the exact checker decides the rest"
    if read:
        text += f"; read whole: {read}"
    return f"{text} ({selection.origin})" if selection.origin else text
