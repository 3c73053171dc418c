"""The CSV block path: the rows of a clean block made into records with C-level loops.

A clean block (see :meth:`CsvBlockLines.clean_text`: no quote character, NUL byte or stray
CR, decoded without a problem) holds one row per physical line, and splitting a line at the
delimiter gives exactly the cells csv.reader gives. Rows that need a word said about them
(blank lines, a wrong cell count, a cell that may be a formula) go through the line path's
own rules (:meth:`CsvReading.row`) in file order, so every report is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import repeat

import numpy as np

from conformance.exports._encoding import Endings
from conformance.exports._model import Sink
from conformance.exports._readers import (
    _SIGNED_NUMBER,
    CsvBlockLines,
    CsvLayout,
    CsvReading,
    CsvRows,
    FlatRows,
    Record,
    _CsvColumns,
    csv_items,
)

# A run of plain rows (see :func:`_rows`) checked at once spans at most this many windows.
SPAN = 2
_FORMULA_FIRST = "=+-@\t"  # CR too on the line path, but a clean block has none inside rows
_NULL: Callable[[str, str], str | None] = {"": None}.get  # an empty cell's value for "null"


def csv_blocks(
    lines: CsvBlockLines, sink: Sink, endings: Endings, layout: CsvLayout, window: int
) -> Iterator[Record | CsvRows]:
    """Records of a CSV file, clean blocks at once; an item ends at a multiple of
    ``window`` records or where the block does, and spans more than one window only when
    reading its rows says nothing (plain rows), so checking windows as they come reports
    in the order the line path's windows do."""
    delimiter = layout.delimiter
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n\x00':
        return csv_items(lines, sink, endings, layout)
    take = partial(_take, lines, endings, window, _marking(delimiter), _signed_cell(delimiter))
    return csv_items(lines, sink, endings, layout, take)


def _signed_cell(delimiter: str) -> Callable[[bytes, int], object]:
    """``match(raw, at)``: whether the cell starting at byte ``at`` is a sign alone or a
    signed number (``_SIGNED_NUMBER``), which :func:`_formula_cells` passes; its end is the
    delimiter, a line ending (CRLF in a clean block that has CR) or the block's end.

    Exact on the bytes: a sign, digit, point, e/E, CR or LF byte is itself in UTF-8 and in
    GB 18030 (a trail byte in the digits follows a lead byte, never one of these).
    """
    end = rb"(?=" + re.escape(delimiter.encode("ascii")) + rb"|\r?\n|\Z)"
    number = rb"(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)?"
    return re.compile(rb"[+-]" + number + end).match


def _marking(delimiter: str) -> bytes:
    """A bytes.translate table: cell starts (delimiter, newline) to 1, formula firsts to 0.

    The bytes are searched, not the text: ASCII bytes are themselves in UTF-8, and in
    GB 18030 a trail byte is never a newline or a formula first (a delimiter that can be a
    trail byte only adds candidates, each judged on its cells).
    """
    table = bytearray(range(256))
    table[0] = table[1] = 2  # neither may fake a mark
    for char in _FORMULA_FIRST:
        table[ord(char)] = 0
    table[ord(delimiter)] = table[ord("\n")] = 1
    return bytes(table)


def _take(
    source: CsvBlockLines,
    endings: Endings,
    window: int,
    marking: bytes,
    signed: Callable[[bytes, int], object],
    reading: CsvReading,
) -> Iterator[Record | CsvRows]:
    header = reading.header
    assert header is not None
    columns = reading.columns(header)
    if not columns.plain:  # duplicate column names: the line path's generic record
        return
    while (start := source.take()) is not None:
        lines = source.pending
        endings.add_many(source.suffix, len(lines) - start, source.first + start + 1)
        formulas = _formula_lines(source.raw, marking, start, signed)
        yield from _rows(lines, start, source.first, formulas, reading, columns, window)


def _formula_lines(
    raw: bytes,
    marking: bytes,
    start: int,
    signed: Callable[[bytes, int], object] | None = None,
) -> set[int]:
    """Indexes (from ``start``) of the lines holding a cell that starts like a formula;
    given ``signed`` (:func:`_signed_cell`), not counting a sign alone or a signed number
    (a column of negative numbers marks no line)."""
    first = marking[raw[0]] == 0 if raw else False
    found = {0} if first and start == 0 else set()
    if found and signed is not None and signed(raw, 0):
        found = set()
    line = previous = 0
    for at in _marks(raw, marking):  # counted on from the previous mark: linear
        if signed is None or not signed(raw, at + 1):
            line += raw.count(b"\n", previous, at + 1)
            previous = at + 1
            if line >= start:
                found.add(line)
    return found


def _marks(raw: bytes, marking: bytes) -> list[int]:
    """The offsets, ascending, of the bytes ``marking`` marks 1 (a delimiter, a newline)
    followed by one it marks 0 (a formula's first character): numpy compares the marks
    of every byte at once, faster than searching the pairs one after the other."""
    if len(raw) < 2:
        return []
    marked = np.frombuffer(raw.translate(marking), np.uint8)
    pairs = marked[:-1] == 1
    pairs &= marked[1:] == 0
    return list(np.flatnonzero(pairs).tolist())


def _rows(
    lines: list[str],
    start: int,
    first: int,
    formulas: set[int],
    reading: CsvReading,
    columns: _CsvColumns,
    window: int,
) -> Iterator[Record | CsvRows]:
    """The records of ``lines[start:]`` (line ``first + 1`` is ``lines[0]``), in runs that
    end at the window boundaries."""
    header = columns.header
    width = len(header)
    delimiter = reading.layout.delimiter
    if formulas:  # a signed number is data, not a formula: its row stays in the block
        formulas = {i for i in formulas if not _numbers_only(lines[i].split(delimiter))}
    position = start
    while position < len(lines):
        stop = min(position + window - reading.row_number % window, len(lines))
        # Plain rows are read without a word said, so a run of them may go on over the next
        # windows, whole ones (the rest of a window may hold a row to word, which the line
        # path words before checking any of the window): checked together, they report
        # what window after window reports, and the checks cost less a row.
        longer = stop + (SPAN - 1) * window
        if longer > len(lines):
            longer = stop
        chunk = lines[position:longer]
        plain = _plain_lines(chunk, position, width, delimiter, formulas)
        if plain:
            stop = longer
        elif longer > stop:
            chunk = chunk[: stop - position]
            plain = _plain_lines(chunk, position, width, delimiter, formulas)
        if plain:  # every line holds width cells: split at once, row after row
            flat = FlatRows(delimiter.join(chunk).split(delimiter), width)
            yield _plain(flat, first + position + 1, reading, columns)
        else:
            rows = list(map(str.split, chunk, repeat(delimiter)))
            yield from _mixed(chunk, rows, position, first, formulas, reading, columns)
        position = stop


def _plain_lines(
    chunk: list[str], position: int, width: int, delimiter: str, formulas: set[int]
) -> bool:
    """Whether each line of ``chunk`` (line ``position`` first) holds ``width`` cells and
    none starts a cell like a formula: rows the line path reads without a word."""
    return (
        "" not in chunk
        and list(map(str.count, chunk, repeat(delimiter))).count(width - 1) == len(chunk)
        and (not formulas or formulas.isdisjoint(range(position, position + len(chunk))))
    )


def _numbers_only(cells: list[str]) -> bool:
    """Whether every cell starting like a formula is a sign alone or a signed number, which
    :func:`_formula_cells` passes (the block has no CR, so no cell starts with one)."""
    return all(
        cell[:1] in "+-" and (len(cell) == 1 or _SIGNED_NUMBER.match(cell) is not None)
        for cell in cells
        if cell[:1] and cell[:1] in _FORMULA_FIRST
    )


def _mixed(
    chunk: list[str],
    rows: list[list[str]],
    position: int,
    first: int,
    formulas: set[int],
    reading: CsvReading,
    columns: _CsvColumns,
) -> Iterator[Record | CsvRows]:
    """A chunk with rows the line path must word: those one by one, the runs between at
    once."""
    width = len(columns.header)
    run = 0  # where the current run of plain rows began in the chunk
    for index, (text, cells) in enumerate(zip(chunk, rows, strict=True)):
        if text and len(cells) == width and position + index not in formulas:
            continue
        if run < index:
            yield _plain(rows[run:index], first + position + run + 1, reading, columns)
        run = index + 1
        record = reading.row(cells if text else [], first + position + index + 1)
        if record is not None:
            yield record
    if run < len(rows):
        yield _plain(rows[run:], first + position + run + 1, reading, columns)


def _plain(
    rows: Sequence[list[str]], line: int, reading: CsvReading, columns: _CsvColumns
) -> CsvRows:
    """Records of rows with one cell per column, built as :func:`_csv_record` builds them."""
    reading.flush_blanks()  # blank lines before these rows are reported now, as in order
    header = columns.header
    empty = reading.layout.empty
    row = reading.row_number + 1
    # the checker checks the cells a column at a time and builds the records it needs
    reading.row_number += len(rows)
    return CsvRows([], line, row, rows, header, empty, tuple(columns.typed))
