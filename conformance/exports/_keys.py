"""Unique keys in flat memory: hashes while reading, exact comparison only for candidates.

While a file is read, :class:`KeyHashes` keeps one 64-bit hash per record in one flat array
(8 bytes a record, no Python object per key). At the end, sorted, the hashes seen twice are
the *candidate* hashes; only when there are some is the file read a second time
(:class:`KeyCollector`), keeping the exact key text of candidate records, so duplicates are
reported with both places and their values, and a hash collision is never reported.

The hash is Python's ``hash()`` of a token (the value itself for a single string key, its
canonical JSON otherwise). It is salted per process: every process that hashes one file's
records must share ``PYTHONHASHSEED`` (the parallel runner arranges that).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np

from conformance.exports._model import UNIQUE_KEYS, Sink, clip

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


def key_hash(values: list[Any]) -> int:
    """The hash that names candidates: of the value itself when a single one is hashable.

    Equal keys always hash alike (1, 1.0 and True too: the exact tokens tell them apart).
    """
    if len(values) == 1:
        try:
            return hash(values[0])
        except TypeError:
            pass
    return hash(key_token(values))


class KeyHashes:
    """One hash per record, in one flat array; mergeable across byte ranges of one file."""

    def __init__(self) -> None:
        self.flat = array("q")  # appended to directly by the fast paths

    def add(self, values: list[Any]) -> None:
        self.flat.append(key_hash(values))

    def add_texts(self, texts: list[str]) -> None:
        """Single string keys: ``add([text])`` for each, in one C-level loop."""
        self.flat.extend(map(hash, texts))

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
        return frozenset(np.unique(repeated).tolist())


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
