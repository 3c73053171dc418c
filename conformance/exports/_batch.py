"""One shape for the records of a block: :class:`Batch`, and the acceptor interface.

A reader yields the records of one block of one export, in file order, as a :class:`Batch`:
the raw items (JSON Lines: the lines' bytes, without their line endings; CSV: the rows of a
run read at once, or records read one by one; JSON: records; XML: the record texts the
compiled scanner finds, their matches as values, or lxml's ``XmlRecord``s with their
``wrapper``), the values parsed from them
where a reader or an acceptor has them (:meth:`Batch.built`: built once for CSV rows), and,
for each, where it is (:meth:`Batch.place`).
An *acceptor* (``Accept``) is asked about a batch and answers with the indices of the records
it does NOT accept (ascending); it may only accept: what it refuses goes on to the next
acceptor as :meth:`Batch.subset` of the refused, and what none accepts to the format's one
exact checker, which alone reports. An acceptor may also name, in ``Batch.certain``, the
records it refused knowing them invalid: no later acceptor is asked about them, and they
reach the exact checker with the others, in block order. Places stay those of the block: a
subset's record ``i`` is the block's record ``at[i]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    from conformance.exports._readers import CsvRows, Record, XmlRecord


class Place(NamedTuple):
    """Where a record is: its line (1-based), CSV row, byte offset, XPath (None: not known)."""

    line: int | None
    row: int | None = None
    byte_offset: int | None = None
    xpath: str | None = None


class Batch:
    """The records of one block of one export, in file order (or some of them: a subset).

    ``items``: the raw records (JSON Lines: the lines, without line endings; CSV rows read
    at once: their cells; records read one by one: the ``Record``s); ``values``: the parsed
    values, one per item (``MISSING`` where not parsed), when a reader or an acceptor has
    them, else None. Where the items are: for JSON Lines, ``number`` (the line number before
    the block's first line), ``offset`` (the byte offset of that line) and ``lines`` (the
    block's lines: an item is ``lines[at[i]]``; ``at`` None: the items are the block's lines),
    and ``data`` and ``end`` (the block's bytes and where its last line ending is: whole
    blocks only); else ``rows`` (a run of CSV rows) or ``records`` (records read one by one),
    or ``where`` (the place of the block's ``i``-th record: XML). ``wrapper``: the detached
    copy of the XML records' parent holding them all (when whole), validated at once.
    ``keyed``: an acceptor keyed every record of the batch (CSV columns). ``certain``:
    set by an acceptor, the records it refused that are certainly invalid.
    """

    __slots__ = (
        "_starts",
        "at",
        "certain",
        "data",
        "end",
        "items",
        "keyed",
        "known",
        "lines",
        "number",
        "offset",
        "records",
        "rows",
        "values",
        "where",
        "wrapper",
    )

    def __init__(
        self,
        items: list[Any],
        number: int = 0,
        offset: int = 0,
        *,
        data: bytes | None = None,
        end: int = 0,
        lines: list[Any] | None = None,
        at: list[int] | None = None,
        values: list[Any] | None = None,
        starts: list[list[int]] | None = None,
        known: dict[int, int] | None = None,
        rows: CsvRows | None = None,
        records: list[Record] | None = None,
        where: Callable[[int], Place] | None = None,
        wrapper: Any = None,
    ) -> None:
        self.items = items
        self.number = number
        self.offset = offset
        self.data = data
        self.end = end
        self.lines = items if lines is None else lines
        self.at = at
        self.values = values
        self._starts = starts if starts is not None else []  # shared by subsets, built once
        # JSON Lines: byte offsets of some block lines an acceptor already knew (by index
        # in the block), sparing the prefix sums over a whole block; shared by subsets
        self.known = known if known is not None else {}
        self.rows = rows
        self.records = records
        self.where = where
        self.wrapper = wrapper
        self.keyed = False
        # what an acceptor refused knowing the record invalid (indices, ascending, among
        # those it refused): no later acceptor can take them, the exact step has them next
        self.certain: Sequence[int] = ()

    @classmethod
    def of_rows(cls, rows: CsvRows) -> Batch:
        """A run of CSV rows read at once (their cells, or their records when built)."""
        if rows.cells is not None:  # a view (FlatRows, say): rows are made when asked
            return cls(cast(list[Any], rows.cells), rows=rows)
        return cls(rows.values, rows=rows, values=rows.values)

    @classmethod
    def of_records(cls, records: list[Record]) -> Batch:
        """Records read one by one (their values parsed by the reader)."""
        return cls(records, records=records, values=[record.value for record in records])

    @classmethod
    def of_xml(cls, records: list[XmlRecord], wrapper: Any = None) -> Batch:
        """XML record elements, in file order (``wrapper``: the detached copy of their parent
        that holds them all and nothing else, when there is one)."""

        def where(at: int) -> Place:
            record = records[at]
            return Place(record.line, xpath=record.xpath)

        return cls(records, where=where, wrapper=wrapper)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def whole(self) -> bool:
        """Every line of the block (not a subset)."""
        return self.at is None

    def positions(self) -> Sequence[int]:
        """The index in the block of each item."""
        return range(len(self.items)) if self.at is None else self.at

    def starts(self) -> list[int]:
        """The offset of each block line from the block's start, without the line endings
        before it (line ``j`` starts at ``offset + starts[j] + j``); built once a block."""
        if not self._starts:
            self._starts.append(list(accumulate(map(len, self.lines), initial=0)))
        return self._starts[0]

    def place(self, index: int) -> Place:
        """Where the ``index``-th item is."""
        at = index if self.at is None else self.at[index]
        if self.where is not None:
            return self.where(at)
        if self.rows is not None:
            return Place(*self.rows.place(at))
        if self.records is not None:
            record = self.records[at]
            return Place(record.line, record.row, record.byte_offset)
        return Place(*self.line_at(index))

    def built(self) -> list[Any]:
        """The value of every item (CSV rows: their records, built once)."""
        if self.values is None:
            rows = self.rows
            assert rows is not None  # the other readers hand their values in
            if self.at is None:
                self.values = rows.built()
            else:
                self.values = [rows.record(at) for at in self.at]
        return self.values

    def line_at(self, index: int) -> tuple[int, None, int]:
        """The ``index``-th item's line number, row (none) and byte offset."""
        at = index if self.at is None else self.at[index]
        start = self.known.get(at)
        if start is None:
            start = self.offset + self.starts()[at] + at
        return self.number + 1 + at, None, start

    def joined(self, rest: Batch, sure: list[int]) -> Batch:
        """This whole batch's records that are in ``rest`` (a subset of it, with its values)
        or at the block indices ``sure``, in block order (values of ``sure``: this batch's,
        else ``MISSING``)."""
        from conformance.exports._keys import MISSING

        assert self.at is None
        held = dict(zip(rest.positions(), range(len(rest)), strict=True))
        at = sorted(held.keys() | set(sure))
        values = None
        if rest.values is not None or self.values is not None:
            own = self.values if self.values is not None else [MISSING] * len(self)
            theirs = rest.values
            values = [
                theirs[held[index]] if theirs is not None and index in held else own[index]
                for index in at
            ]
        joined = self.subset(at)
        joined.values = values
        return joined

    def subset(self, indices: Sequence[int]) -> Batch:
        """The items at ``indices`` (ascending), with their values and places."""
        items = self.items
        at = self.at
        values = self.values
        return Batch(
            [items[index] for index in indices],
            self.number,
            self.offset,
            lines=self.lines,
            at=list(indices) if at is None else [at[index] for index in indices],
            values=None if values is None else [values[index] for index in indices],
            starts=self._starts,
            known=self.known,
            rows=self.rows,
            records=self.records,
            where=self.where,
            wrapper=self.wrapper,
        )


Accept = Callable[[Batch], Sequence[int]]
"""An acceptor: the indices (ascending) of the records of a batch it does not accept."""


def decide(batch: Batch, acceptors: Sequence[Accept], exact: Callable[[Batch], int]) -> int:
    """Offer ``batch`` to each acceptor in order, each only shrinking the records not yet
    accepted, then what none accepted to ``exact``. Returns the records the batch counts:
    those accepted and what ``exact`` counts of the rest."""
    count = len(batch)
    first = batch
    sure: list[int] = []  # the block indices of records certainly refused (Batch.certain)
    for accept in acceptors:
        refused = accept(batch)
        certain = batch.certain
        if certain:
            batch.certain = ()
            positions = batch.positions()
            sure.extend(positions[index] for index in certain)
            skip = set(certain)
            refused = [index for index in refused if index not in skip]
        elif len(refused) == len(batch):
            continue
        if not refused and not sure:
            return count
        batch = batch.subset(refused)
        if not refused:
            break
    if sure:
        batch = first.joined(batch, sure)
    return count - len(batch) + exact(batch)
