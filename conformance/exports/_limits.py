"""The sizes the export readers work with: one public seam (issue 17 item 3).

Every byte size a reader bounds or reads by is a field of :class:`ReadLimits`, with its
default here and nowhere else. The readers ask :func:`current` when a call or a block
starts (one global read, kept in a local for the loop), never copy a size at import, so
:func:`read_limits` changes what the next reading uses: tests lower a bound to reach it
with small files, and debugging may too, without replacing any private name. ``--jobs``
workers are handed the limits of the process that started them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace

_KIB = 1024
_MIB = 1024 * _KIB


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Byte sizes of export reading; every field a positive number of bytes."""

    record_bytes: int = 16 * _MIB
    """One line or record at most; a larger one is ``record-too-large`` and skipped."""
    chunk_bytes: int = 256 * _KIB
    """Read and decoded at once by the chunked readers (JSON arrays, XML)."""
    jsonl_block_bytes: int = 512 * _KIB
    """Read at once by the JSON Lines fast path (a block of whole lines)."""
    csv_block_bytes: int = 128 * _KIB
    """Read at once by the CSV clean-block reader (``csv-blocks``). Small enough that the
    block's text, lines and cells reuse freed memory instead of faulting fresh pages in:
    CSV ran faster than with 1 MiB on each of the six corpus schemas (bench/README.md)."""
    min_range_bytes: int = 8 * _MIB
    """``--jobs``: the smallest byte range a JSON Lines file is cut into."""
    max_decompressed_bytes: int = 1024 * _MIB
    """Bytes one gzip'd export may expand to; past it, ``decompression-limit``."""

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if type(value) is not int or value <= 0:
                raise ValueError(f"ReadLimits.{spec.name} must be a positive int, not {value!r}")


DEFAULTS = ReadLimits()
NAMES = frozenset(spec.name for spec in fields(ReadLimits))

_current = DEFAULTS


def current() -> ReadLimits:
    """The limits readings started now use."""
    return _current


def adopt(limits: ReadLimits) -> None:
    """Use ``limits`` from now on in this process (a ``--jobs`` worker's initializer)."""
    global _current
    _current = limits


@contextmanager
def read_limits(**changes: int) -> Iterator[ReadLimits]:
    """Readings started inside use the current limits with ``changes``; restored after.

    Process-wide (the readers of every thread see it), so meant for tests and debugging
    rather than for runs side by side. An unknown name is a ``TypeError`` naming it.
    """
    global _current
    unknown = sorted(set(changes) - NAMES)
    if unknown:
        raise TypeError(
            f"read_limits() got unknown limit(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(NAMES))}"
        )
    saved = _current
    _current = replace(saved, **changes)
    try:
        yield _current
    finally:
        _current = saved
