"""Unique keys in flat memory: hashes while reading, exact comparison only for candidates.

While a file is read, :class:`KeyHashes` keeps one 64-bit hash per record in one flat array
(8 bytes a record, no Python object per key). At the end, sorted, the hashes seen twice are
the *candidate* hashes; only when there are some is the file read a second time
(:class:`KeyCollector`), keeping the exact key text of candidate records, so duplicates are
reported with both places and their values, and a hash collision is never reported.

The hash is Python's ``hash()`` of the value for a single hashable key, of the tuple of the
values for a key of several hashable fields (so a column path hashes a column-tuple at a
time: :func:`hash_key_rows`), and of the key's canonical JSON token otherwise. It is
salted per process: every process that hashes one file's records must share
``PYTHONHASHSEED`` (the parallel runner arranges that).

This module is the one place where keys are taken from records, normalised, hashed and
compared: every reader and validation path (JSON Lines blocks, typed records, CSV columns,
XML batches and compiled records, the exact path, the second reading) and the cross-export
reference check call it. Integers beyond 64 bits are compared as the float orjson reads,
by the hash and by the token alike, whichever parser read them.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from conformance.exports._model import UNIQUE_KEYS, Sink, clip
from conformance.exports._readers import Record, XmlRecord, local_name

_INT64 = (-(2**63), 2**64)


def _norm(value: Any) -> Any:
    """Big integers as floats, as orjson reads them, so both readers agree on a token."""
    if type(value) is int and not _INT64[0] <= value < _INT64[1]:
        try:
            return float(value)
        except OverflowError:
            return value
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def key_token(values: list[Any]) -> str:
    """The comparison token of a key: equal tokens exactly when the key values are equal."""
    if len(values) == 1 and type(values[0]) is str:
        return values[0]
    return "\x00" + json.dumps(_norm(values), ensure_ascii=False, sort_keys=True, default=str)


def single_hash(value: Any) -> int:
    """The hash of a single-field key's value; TypeError when it is unhashable (a list or
    an object: :func:`key_hash` then hashes its token). Big integers as orjson reads them."""
    if type(value) is int and not _INT64[0] <= value < _INT64[1]:
        value = _norm(value)
    return hash(value)


def hash_keys(values: Iterable[Any]) -> list[int]:
    """:func:`single_hash` of each value, in C-level loops when no integer is beyond 64 bits;
    TypeError when one is unhashable (the caller then keys the values one by one)."""
    found = values if isinstance(values, list) else list(values)
    if int in set(map(type, found)):
        ints = [value for value in found if type(value) is int]
        if min(ints) < _INT64[0] or max(ints) >= _INT64[1]:
            return list(map(single_hash, found))
    return list(map(hash, found))


def key_hash(values: list[Any]) -> int:
    """The hash that names candidates: of the value itself when a single one is hashable,
    of the tuple of the values (big integers as orjson reads them) when several are.

    Equal keys always hash alike (1, 1.0 and True too: the exact tokens tell them apart).
    """
    if len(values) == 1:
        try:
            return single_hash(values[0])
        except TypeError:
            pass
    else:
        try:
            return hash(tuple(map(_norm_scalar, values)))
        except TypeError:  # a list or an object among the values
            pass
    return hash(key_token(values))


def _norm_scalar(value: Any) -> Any:
    """A key value as :func:`_norm` makes it when it is hashable (a big integer as a float)."""
    if type(value) is int and not _INT64[0] <= value < _INT64[1]:
        return _norm(value)
    return value


def _normed_column(column: Sequence[Any]) -> Sequence[Any]:
    """A column of key values, its integers beyond 64 bits as :func:`_norm_scalar` makes
    them (the column itself when it has none)."""
    kinds = set(map(type, column))
    if int in kinds:
        ints = column if len(kinds) == 1 else [value for value in column if type(value) is int]
        if min(ints) < _INT64[0] or max(ints) >= _INT64[1]:
            return list(map(_norm_scalar, column))
    return column


def hash_key_rows(columns: Sequence[Sequence[Any]]) -> list[int]:
    """:func:`key_hash` of every row of key columns (one sequence of values per key field,
    all as long), a column at a time in C-level loops; TypeError when a value is
    unhashable (the caller then keys the rows one by one)."""
    if len(columns) == 1:
        return hash_keys(columns[0])
    normed = [_normed_column(column) for column in columns]
    return list(map(hash, zip(*normed, strict=True)))


class KeyHashes:
    """One hash per record, in one flat array; mergeable across byte ranges of one file."""

    def __init__(self) -> None:
        self.flat = array("q")  # one hash per record (RecordKeys appends to it directly)

    def add(self, values: list[Any]) -> None:
        self.flat.append(key_hash(values))

    def add_texts(self, texts: Sequence[str]) -> None:
        """Single string keys: ``add([text])`` for each, in one C-level loop (numpy's,
        its length known: array's own extend from an iterator costs half as much again)."""
        if texts:
            self.flat.frombytes(np.fromiter(map(hash, texts), np.int64, len(texts)).tobytes())

    def extend(self, values: Iterable[Any]) -> None:
        """Single-field keys: ``add([value])`` for each; TypeError (nothing added) when one
        is unhashable."""
        self.flat.extend(hash_keys(values))

    def merge(self, other: KeyHashes) -> None:
        self.flat.extend(other.flat)

    def to_bytes(self) -> bytes:
        return self.flat.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyHashes:
        hashes = cls()
        hashes.flat.frombytes(data)
        return hashes

    def candidates(self) -> frozenset[int]:
        """Hashes seen more than once (a duplicate, or rarely a collision).

        Sorts the hashes in place: no second copy of 8 bytes a record at the peak.
        """
        if len(self.flat) < 2:
            return frozenset()
        ordered = np.frombuffer(self.flat, dtype=np.int64)
        ordered.sort()
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        del ordered  # the array may grow again once no view holds its buffer
        # the set drops the repeats itself (np.unique would import numpy.ma, ~5 ms)
        return frozenset(repeated.tolist())


def where_text(where: int | str) -> str:
    return f"line {where}" if isinstance(where, int) else where


class KeyCollector:
    """Second reading: the records whose key hash is a candidate, in file order."""

    def __init__(self, candidates: frozenset[int]) -> None:
        self.candidates = candidates
        self.found: list[tuple[str, list[Any], int | str, dict[str, Any]]] = []

    def add(self, values: list[Any], where: int | str, location: dict[str, Any]) -> None:
        if key_hash(values) in self.candidates:
            self.found.append((key_token(values), values, where, location))


def report_duplicates(
    sink: Sink,
    fields: tuple[str, ...],
    found: Iterable[tuple[str, list[Any], int | str, dict[str, Any]]],
) -> None:
    """Report every candidate record whose exact key was seen before, naming both places."""
    first: dict[str, int | str] = {}
    for token, values, where, location in found:
        seen = first.get(token)
        if seen is None:
            first[token] = where
            continue
        shown = ", ".join(
            f"{name}={clip(repr(value), 40)}" for name, value in zip(fields, values, strict=True)
        )
        sink.add(
            UNIQUE_KEYS,
            "duplicate-key",
            f"duplicate key {shown} at {where_text(where)}, first at {where_text(seen)}; "
            "expected each key once per file",
            value=clip(shown),
            params={"first": where_text(seen)},
            **location,
        )


MISSING: Any = object()  # a value left out of a batch, or a key field a record lacks
Places = Callable[[int], tuple[int | None, int | None]]


class RecordKeys:
    """The key of each record of one reading: hashed (first reading) or collected (second).

    Every validation path hands its records' keys here, in whatever shape it holds them: a
    JSON value, a batch of them, the keys a typed or column path already took out, an XML
    record. ``hashing_single`` tells the fast paths that single-field keys may be given
    as bare values (:meth:`add_found`).
    """

    def __init__(
        self,
        fields: tuple[str, ...],
        hashes: KeyHashes | None,
        collector: KeyCollector | None,
    ) -> None:
        self.fields = fields
        self.single = fields[0] if len(fields) == 1 else None
        self.hashes = hashes if fields else None
        self.collector = collector if fields else None
        if self.hashes is None and self.collector is None:
            self.single = None
            self.fields = ()

    @property
    def hashing(self) -> bool:
        """A key, being hashed: :meth:`add_columns` takes batches."""
        return self.hashes is not None and bool(self.fields)

    @property
    def hashing_single(self) -> bool:
        """One key field, being hashed: :meth:`add_found` and :meth:`add_many` take batches."""
        return self.single is not None and self.hashes is not None

    def add_values(self, values: list[Any], where: int | str, location: dict[str, Any]) -> None:
        if self.hashes is not None:
            self.hashes.add(values)
        elif self.collector is not None:
            self.collector.add(values, where, location)

    def add_found(self, found: Iterable[Any]) -> None:
        """Single-field keys some path took out of valid records, in file order (hashing
        only: see :attr:`hashing_single`; keys that are absent are left out by the caller)."""
        assert self.hashes is not None
        self.hashes.extend(found)

    def add_texts(self, texts: Sequence[str]) -> None:
        """Single-field keys that are all strings, in file order (hashing only)."""
        assert self.hashes is not None
        self.hashes.add_texts(texts)

    def add_columns(self, columns: Sequence[Sequence[Any]]) -> None:
        """The keys some path took out of records a column at a time, in file order (hashing
        only: see :attr:`hashing`): one sequence per key field, the i-th key made of the
        i-th value of each (keys that are absent are left out by the caller). Hashed as
        :func:`key_hash` hashes each key's values."""
        assert self.hashes is not None
        assert len(columns) == len(self.fields)
        try:
            self.hashes.flat.extend(hash_key_rows(columns))
        except TypeError:  # an unhashable value: one key at a time (its token's hash)
            self.hashes.flat.extend(map(key_hash, map(list, zip(*columns, strict=True))))

    def add_value(self, value: Any, line: int, byte_offset: int | None = None) -> None:
        """The key of one JSON value read from line ``line``."""
        if not self.fields or type(value) is not dict:
            return
        if self.single is not None:
            key = value.get(self.single, MISSING)
            if key is MISSING:
                return
            if self.hashes is not None:
                try:
                    self.hashes.flat.append(single_hash(key))
                    return
                except TypeError:
                    pass
            where = {"line": line, "row": None, "pointer": "/" + self.single}
            self.add_values([key], line, where)
            return
        self.add_json(Record(value, line=line, byte_offset=byte_offset))

    def add_json(self, record: Record) -> None:
        value = record.value
        if not self.fields or not isinstance(value, dict):
            return
        if self.hashes is not None and self.single is not None:  # hashing, one field
            key = value.get(self.single, MISSING)
            if key is MISSING:
                return
            try:
                self.hashes.flat.append(single_hash(key))
            except TypeError:
                pass
            else:
                return
        if any(name not in value for name in self.fields):
            return  # the missing field is a schema error already
        where: int | str = f"row {record.row}" if record.row is not None else record.line or 0
        location = {
            "line": record.line,
            "row": record.row,
            "pointer": "/" + self.fields[0] if len(self.fields) == 1 else "",
        }
        self.add_values([value[name] for name in self.fields], where, location)

    def add_many(self, values: list[Any], where: Places) -> None:
        """Key the JSON values of a batch (``MISSING``: left out); ``where(i)`` is the
        (line, row) of the i-th."""
        name = self.single
        if name is None or self.hashes is None:
            for index, value in enumerate(values):
                if value is not MISSING:
                    line, row = where(index)
                    self.add_json(Record(value, line=line, row=row))
            return
        found = [v.get(name, MISSING) if type(v) is dict else MISSING for v in values]
        try:
            self.hashes.extend([key for key in found if key is not MISSING])
        except TypeError:  # an unhashable key somewhere: one by one
            for index, value in enumerate(values):
                if found[index] is not MISSING:
                    line, row = where(index)
                    self.add_json(Record(value, line=line, row=row))

    def add_xml(self, record: XmlRecord) -> None:
        if not self.fields:
            return
        values: list[Any] = []
        for name in self.fields:
            child = next((c for c in record.element if local_name(c.tag) == name), None)
            if child is None:
                return
            values.append(child.text or "")
        self.add_values(values, record.xpath, {"line": record.line, "xpath": record.xpath})
