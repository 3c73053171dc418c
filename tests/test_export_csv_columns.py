"""The CSV column path's shortcuts give exactly what the record path gives: number columns
converted at once (orjson over a column's joined cells) hold the values ``convert_cell``
gives cell by cell, and a cell that is a signed number marks no formula candidate."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance.exports import RECORDS, ExportReport, validate_export
from conformance.exports._readers import convert_cell, convert_column
from conformance.standards.model import CsvOptions, ExportSpec, Text

_TYPES = [
    ("integer",),
    ("number",),
    ("integer", "string"),
    ("number", "null"),
    ("integer", "boolean"),
    ("string",),
]
_EDGES = [
    "0",
    "-0",
    "-0.0",
    "01",
    "1.",
    ".5",
    "+1",
    "1_0",
    " 1",
    "1 ",
    "١",
    "inf",
    "NaN",
    "Infinity",
    "true",
    "null",
    '"1"',
    "[1]",
    "1,2",
    "1e5",
    "1E5",
    "1e999",
    "-1e999",
    "1.0e-400",
    "1.50",
    "0.1",
    str(2**63),
    str(2**64 - 1),
    str(2**64),
    str(-(2**63)),
    str(-(2**63) - 1),
    "9" * 3999,
    "9" * 4100,
    "-",
]


def _as_float(value: Any) -> Any:
    if type(value) is not int:
        return value
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _same(got: list[Any], cells: list[str], types: tuple[str, ...], floats: bool) -> None:
    expected = [convert_cell(cell, types) for cell in cells]
    if floats and types == ("number",):  # the caller's check gives 1 and 1.0 one verdict
        assert list(map(_as_float, got)) == list(map(_as_float, expected)), cells
        return
    assert list(map(type, got)) == list(map(type, expected)), cells
    assert list(map(repr, got)) == list(map(repr, expected)), cells


@pytest.mark.parametrize("types", _TYPES)
def test_a_column_converts_as_its_cells_do(types: tuple[str, ...]) -> None:
    columns = [[edge] for edge in _EDGES]
    columns += [["1", edge, "2"] for edge in _EDGES]
    columns += [["1.5", edge] for edge in _EDGES]
    columns += [["1", "-2", "30"], ["1.25", "-2.5", "3e2"], ["1", "2.5"], ["2.5", "1"]]
    for cells in columns:
        for floats in (True, False):
            _same(convert_column(cells, types, floats), cells, types, floats)


_CELL = st.one_of(
    st.text(alphabet="0123456789-.eE+ ,", min_size=1, max_size=8),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"{f:.3f}"),
    st.sampled_from(_EDGES),
)


@given(st.lists(_CELL, min_size=1, max_size=12), st.sampled_from(_TYPES), st.booleans())
def test_any_column_converts_as_its_cells_do(
    cells: list[str], types: tuple[str, ...], floats: bool
) -> None:
    _same(convert_column(cells, types, floats), cells, types, floats)


def _spec(folder: Path, properties: dict[str, Any], encoding: str) -> ExportSpec:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["id"],
        "properties": properties,
        "additionalProperties": False,
    }
    schema_path = folder / "rows.schema.json"
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    return ExportSpec(
        name="rows",
        title=Text("行", "Rows"),
        format="csv",
        schema_path=schema_path,
        clauses=("ROW-001",),
        key=("id",),
        encoding=encoding,
        csv=CsvOptions(empty="absent"),
    )


def _summary(report: ExportReport) -> tuple[Any, ...]:
    issues = [
        (i.check, i.kind, i.line, i.row, i.pointer, i.value, i.message) for i in report.issues
    ]
    return report.records, dict(report.counts), issues


_ODD = ["-0", "01", "1.50", "1e5", "1E400", "-", "+1", "-5x", "=1+2", "-.5", "+1.5e3", "-1e"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_signed_numbers_and_odd_cells_agree_on_every_path(
    tmp_path: Path, encoding: str, ending: str
) -> None:
    """Negative numbers (at a line's start and end too), signs alone, real formulas and
    numbers written oddly: the block and column paths report what the exact path does,
    whatever block size cuts the file."""
    from conformance.exports import read_limits

    properties = {
        "id": {"type": "string"},
        "count": {"type": "integer", "minimum": -1000},
        "rate": {"type": "number", "maximum": 1e6},
        "note": {"type": ["string", "number"]},
    }
    spec = _spec(tmp_path, properties, encoding)
    lines = ["id,count,rate,note"]
    for n in range(1, 1001):
        odd = _ODD[n % len(_ODD)] if n % 7 == 0 else f"-{n}.25"
        count = _ODD[n % len(_ODD)] if n % 11 == 0 else str(-n)
        lines.append(f"R{n:05d},{count},{odd},{-n if n % 2 else '说明'}")
    lines[300] = "-R00300,-5,-1.5,-"  # a line starting with a sign
    path = tmp_path / "rows.csv"
    path.write_bytes(ending.join([*lines, ""]).encode(encoding))
    exact = _summary(validate_export(spec, path, paths=()))
    assert exact[0] == 1000
    assert exact[1][(RECORDS, "formula-cell")] >= 4
    for size in (1024 * 1024, 4096, 777):
        with read_limits(csv_block_bytes=size):
            report = validate_export(spec, path)
        assert report.paths["csv-blocks"] > 0, report.paths
        assert report.paths["columns"] > 0, report.paths
        assert _summary(report) == exact, size


_BOUNDED = {
    "id": {"type": "string"},
    "share": {"type": "integer", "minimum": 0, "maximum": 100, "title": "份额"},
    "rate": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "level": {"type": "integer", "exclusiveMinimum": -5, "exclusiveMaximum": 5},
    "total": {"type": "number", "minimum": -2.5, "maximum": 2**60},  # beyond 2^53: no shortcut
    "whole": {"type": "integer"},
}


def _bounded_row(n: int) -> tuple[str, bool]:
    """Row ``n`` and whether it is valid."""
    share = [0, 100, 50, 101, -1][n // 130 % 5] if n % 130 == 0 else n % 101
    rate = ["0", "1", "0.5", "1e-300", "0.9999999999999999"][n // 129 % 5]
    rate = rate if n % 129 == 0 else "0.25"
    level = [4, -4, 5, -5, 0][n // 131 % 5] if n % 131 == 0 else n % 5
    total: Any = ["-2.5", "-2.6", str(2**60), str(2**60 + 1), "1e18"][n // 127 % 5]
    total = total if n % 127 == 0 else n
    whole: Any = ["2.0", "2.5", "-0", "1e2", str(2**63)][n // 133 % 5] if n % 133 == 0 else -n
    valid = (
        0 <= share <= 100
        and 0 < Decimal(rate) < 1
        and -5 < level < 5
        and Decimal("-2.5") <= Decimal(str(total)) <= 2**60
        and str(whole).lstrip("-").isdigit()  # "2.0" is text to an integer column
    )
    return f"R{n:05d},{share},{rate},{level},{total},{whole}", valid


def test_number_columns_checked_by_their_bounds_agree_with_the_validator(tmp_path: Path) -> None:
    """A number column read at once is found valid from its least and greatest only when
    every value satisfies the leaf: bounds met exactly, exclusive bounds, an integer leaf
    given fractions, magnitudes beyond 2^53 all report what the exact path reports."""
    spec = _spec(tmp_path, _BOUNDED, "utf-8")
    rows = [_bounded_row(n) for n in range(1, 3001)]
    lines = ["id,share,rate,level,total,whole", *(row for row, _ in rows)]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([*lines, ""]), encoding="utf-8")
    exact = _summary(validate_export(spec, path, paths=()))
    report = validate_export(spec, path)
    assert report.paths["columns"] > 2000, report.paths
    assert _summary(report) == exact
    refused = {issue[3] for issue in exact[2] if issue[0] == RECORDS}
    expected = {n for n, (_, valid) in enumerate(rows, start=1) if not valid}
    assert len(expected) > 20
    assert refused == expected, sorted(refused ^ expected)


def _id_number(n: int) -> str:
    """A valid resident ID number (Beijing, born 1990-03-07, sequence ``n``)."""
    from conformance.formats._check_characters import ID_CHECK, ID_WEIGHTS

    body = f"11010119900307{n % 1000:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _person_row(n: int) -> str:
    """Row ``n``: an ID number or a passport and its country, some rows faulty (a wrong
    check character, a value of letters, both branches, neither, half a branch)."""
    id_number, passport, country = _id_number(n), "", ""
    if n % 3 == 0:
        id_number, passport, country = "", f"E{n:08d}", "GBR"
    if n % 37 == 0:
        right = _id_number(n)
        id_number = right[:17] + ("0" if right[17] != "0" else "1")  # a wrong check
    if n % 41 == 0:
        id_number = "11010119900307ABCX"  # 18 characters, no ID number
    if n % 43 == 0:
        id_number, passport, country = _id_number(n), "E00000001", "CHN"  # both
    if n % 47 == 0:
        id_number = passport = country = ""  # neither
    if n % 53 == 0:
        id_number, passport, country = "", "G00000053", ""  # half the passport branch
    if n % 59 == 0:
        id_number = _id_number(n)[:16] + "X" + _id_number(n)[17:]  # an X inside
    return f"P{n:05d},{id_number},{passport},{country}"


@pytest.mark.parametrize("block", [1024 * 1024, 4096, 900])
def test_a_oneof_of_id_numbers_or_passports_agrees_with_the_exact_path(
    tmp_path: Path, block: int
) -> None:
    """The person schema's shape: ID numbers checked a column at a time (their check
    characters too), a oneOf of an ID number or a passport and its country: the column path
    reports what the exact path does, whatever block size cuts the file."""
    from conformance.exports import read_limits

    properties = {
        "id": {"type": "string"},
        "id_number": {"type": "string", "format": "cn-id-number"},
        "passport": {"type": "string", "pattern": "^[EG][0-9]{8}$"},
        "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
    }
    spec = _spec(tmp_path, properties, "utf-8")
    schema = json.loads(spec.schema_path.read_text(encoding="utf-8"))
    schema["oneOf"] = [{"required": ["id_number"]}, {"required": ["passport", "country"]}]
    spec.schema_path.write_text(json.dumps(schema), encoding="utf-8")
    path = tmp_path / "rows.csv"
    lines = ["id,id_number,passport,country", *map(_person_row, range(1, 3001))]
    path.write_text("\n".join([*lines, ""]), encoding="utf-8")
    exact = _summary(validate_export(spec, path, paths=()))
    with read_limits(csv_block_bytes=block):
        report = validate_export(spec, path)
    assert report.paths["columns"] > 2000, report.paths
    assert _summary(report) == exact
    counts = exact[1]
    assert counts[(RECORDS, "oneOf")] > 100  # both branches, neither, half a branch
    assert counts[(RECORDS, "format:cn-id-number")] > 100  # wrong check, letters, X inside


# Columns of strings under empty "absent", checked whole (holes and all): a required column
# refuses its empty cells, an optional one passes them even where its leaf refuses "".
_HOLED = {
    "id": {"type": "string", "pattern": "^R[0-9]{5}$"},
    "code": {"type": "string", "minLength": 2, "maxLength": 4},  # required below
    "kind": {"type": "string", "enum": ["a", "b", ""]},
    "note": {"type": "string", "minLength": 2},  # "" present would be refused
    "tag": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "alt": {"type": "string", "pattern": "^[EG][0-9]{2}$"},
}
_ONE_OFS: list[list[list[str]]] = [
    [],
    [["tag"]],  # one branch: it must hold
    [["tag"], ["alt", "note"]],  # two branches
    [["tag"], ["alt"], ["note"]],  # three
    [["id"], ["tag"]],  # a branch every row holds: the other must not
    [["tag"], ["missing"]],  # a branch no column holds
    [["id"], ["id", "code"]],  # two branches every row of a block may hold
]
_CELLS = {
    "code": ["", "x", "ab", "abcd", "abcde", "中文"],
    "kind": ["", "a", "b", "c"],
    "note": ["", "n", "note"],
    "tag": ["", "ABC", "abc", "ABCD"],
    "alt": ["", "E12", "G99", "X12"],
}


def _holed_rows(seed: int, count: int) -> list[list[str]]:
    import random

    draw = random.Random(seed)
    rows = []
    for n in range(1, count + 1):
        cells = {name: draw.choice(values) for name, values in _CELLS.items()}
        if draw.random() < 0.6:  # mostly clean rows, as real files are
            cells = {**cells, "code": "ab", "kind": "a", "note": "", "tag": "ABC", "alt": ""}
        ident = f"R{n:05d}" if draw.random() < 0.97 else draw.choice(["", "R1", "x"])
        rows.append([ident, *cells.values()])
    return rows


def _holed_schema(folder: Path, one_of: list[list[str]]) -> Path:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["id", "code"],
        "properties": {**_HOLED, "missing": {"type": "string"}},
        "additionalProperties": False,
    }
    if one_of:
        schema["oneOf"] = [{"required": branch} for branch in one_of]
    path = folder / "rows.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


@pytest.mark.parametrize("one_of", _ONE_OFS)
@pytest.mark.parametrize("empty", ["absent", "null", "empty-string"])
def test_string_columns_with_holes_refuse_exactly_the_invalid_rows(
    tmp_path: Path, one_of: list[list[str]], empty: str
) -> None:
    """The column checks refuse exactly the rows whose record the schema refuses (holes in
    required and optional columns, a oneOf of one, two or three branches, one held on every
    row, one no column holds), not one more: the rows refused are worded one by one."""
    from jsonschema import Draft202012Validator

    from conformance.exports._readers import FlatRows
    from conformance.exports._typed import build_csv_checks

    schema_path = _holed_schema(tmp_path, one_of)
    header = list(_HOLED)
    checks = build_csv_checks(schema_path, tmp_path, header, empty, ("id",))
    assert checks is not None
    validator = Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    for seed in range(6):
        rows = _holed_rows(seed, 300)
        if empty == "absent":
            records = [{k: v for k, v in zip(header, row, strict=True) if v} for row in rows]
        elif empty == "null":
            records = [{k: v or None for k, v in zip(header, row, strict=True)} for row in rows]
        else:
            records = [dict(zip(header, row, strict=True)) for row in rows]
        invalid = {i for i, record in enumerate(records) if not validator.is_valid(record)}
        assert len(invalid) > 10
        flat = FlatRows([cell for row in rows for cell in row], len(header))
        for given_rows in (rows, flat):
            refused, _ = checks.refused(given_rows)
            assert refused == invalid, (seed, sorted(refused ^ invalid)[:5])
        for start in range(0, len(rows), 8):  # small blocks: some without a hole in a column
            refused, _ = checks.refused(rows[start : start + 8])
            expected = {i - start for i in invalid if start <= i < start + 8}
            assert refused == expected, (seed, start)


@pytest.mark.parametrize("one_of", _ONE_OFS[:3])
@pytest.mark.parametrize("empty", ["absent", "null"])
def test_string_columns_with_holes_report_what_the_exact_path_does(
    tmp_path: Path, one_of: list[list[str]], empty: str
) -> None:
    """End to end, whatever block size cuts the file: the default paths report what the
    exact path reports on string columns with holes."""
    from conformance.exports import read_limits

    _holed_schema(tmp_path, one_of)
    spec = _spec(tmp_path, _HOLED, "utf-8")  # rewrites the schema: write ours again
    _holed_schema(tmp_path, one_of)
    spec = dataclasses.replace(spec, csv=CsvOptions(empty=empty))
    path = tmp_path / "rows.csv"
    lines = [",".join(_HOLED), *(",".join(row) for row in _holed_rows(7, 2000))]
    path.write_text("\n".join([*lines, ""]), encoding="utf-8")
    exact = _summary(validate_export(spec, path, paths=()))
    assert sum(n for (check, _), n in exact[1].items() if check == RECORDS) > 100
    for block in (1024 * 1024, 3000):
        with read_limits(csv_block_bytes=block):
            report = validate_export(spec, path)
        assert report.paths["csv-blocks"] == 2000, report.paths
        assert empty != "absent" or report.paths["columns"] > 1000, report.paths
        assert _summary(report) == exact, block


@pytest.mark.parametrize("at", [127, 128, 129, 255, 256, 257, 300, 384, 385, 511])
@pytest.mark.parametrize("fault", ["blank", "short", "formula"])
def test_runs_of_plain_rows_over_windows_keep_the_report_order(
    tmp_path: Path, at: int, fault: str
) -> None:
    """Plain rows are checked over more than one window at a time: a row to word while
    reading (a blank line, a row short of a cell, a formula) just before, at or after a
    window's edge keeps its place among the records' errors, whatever the block size."""
    from conformance.exports import read_limits

    properties = {"id": {"type": "string"}, "code": {"type": "string", "pattern": "^[A-Z]{2}$"}}
    spec = _spec(tmp_path, properties, "utf-8")
    lines = ["id,code", *(f"R{n:05d},{'AB' if n % 5 else 'x'}" for n in range(1, 801))]
    lines[at] = {"blank": "", "short": f"R{at:05d}", "formula": f"R{at:05d},=1+2"}[fault]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([*lines, ""]), encoding="utf-8")
    exact = _summary(validate_export(spec, path, paths=()))
    assert exact[1][(RECORDS, "pattern")] > 100
    for block in (1024 * 1024, 5000, 4200):
        with read_limits(csv_block_bytes=block):
            report = validate_export(spec, path)
        assert report.paths["csv-blocks"] > 700, report.paths
        assert _summary(report) == exact, block


@pytest.mark.parametrize("empty", ["absent", "null", "empty-string"])
def test_number_columns_with_holes_in_some_blocks_agree_with_the_exact_path(
    tmp_path: Path, empty: str
) -> None:
    """Number columns read at once, empty cells in some stretches of rows and not in
    others (the column path remembers which columns had them): what the exact path says."""
    properties = {
        "id": {"type": "string"},
        "share": {"type": "integer", "minimum": 0, "maximum": 100},
        "rate": {"type": ["number", "null"], "maximum": 1},
    }
    spec = dataclasses.replace(_spec(tmp_path, properties, "utf-8"), csv=CsvOptions(empty=empty))
    lines = ["id,share,rate"]
    for n in range(1, 2001):
        holed = 300 <= n < 700 or 1200 <= n < 1250
        share = "" if holed and n % 9 == 0 else str(n % 103)  # 101, 102: above the maximum
        rate = "" if holed and n % 7 == 0 else ("1.5" if n % 211 == 0 else "0.25")
        lines.append(f"R{n:05d},{share},{rate}")
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([*lines, ""]), encoding="utf-8")
    exact = _summary(validate_export(spec, path, paths=()))
    assert exact[1][(RECORDS, "maximum")] > 20
    report = validate_export(spec, path)
    assert report.paths["columns"] > 1500, report.paths
    assert _summary(report) == exact


def _formula_lines_by_search(
    raw: bytes, marking: bytes, start: int, signed: Any = None
) -> set[int]:
    """The lines with a cell starting like a formula, found the slow way: the bytes
    translated, then the marked pairs searched one after the other."""
    marked = raw.translate(marking)
    found = {0} if marked[:1] == b"\x00" and start == 0 else set()
    if found and signed is not None and signed(raw, 0):
        found = set()
    line = previous = 0
    at = marked.find(b"\x01\x00")
    while at >= 0:
        if signed is None or not signed(raw, at + 1):
            line += raw.count(b"\n", previous, at + 1)
            previous = at + 1
            if line >= start:
                found.add(line)
        at = marked.find(b"\x01\x00", at + 2)
    return found


@given(
    st.lists(
        st.sampled_from(
            [
                b",",
                b";",
                b"\t",
                b"\n",
                b"\r\n",
                b"=",
                b"+",
                b"-",
                b"@",
                b"1",
                b"2.5",
                b"e5",
                b"x",
                b"\x00",
                b"\x01",
                "中".encode(),
                "中".encode("gb18030"),
            ]
        ),
        max_size=60,
    ),
    st.sampled_from([",", ";", "\t", "|"]),
    st.integers(min_value=0, max_value=4),
    st.booleans(),
)
@example([b"a", b"\t", b"b", b"\n", b"\t", b"c"], "\t", 0, False)  # a tab delimits here
@example([b"\t", b"\t", b"-", b"1", b"\n", b"=", b"\n", b";", b"@"], ";", 1, True)
@settings(max_examples=300, deadline=None)
def test_formula_lines_are_the_lines_a_search_finds(
    parts: list[bytes], delimiter: str, start: int, with_signed: bool
) -> None:
    """The marked pairs found at once (numpy) are those a search of the translated bytes
    finds, whatever the delimiter (a tab is a formula's first character too)."""
    from conformance.exports._csv_blocks import _formula_lines, _marking, _signed_cell

    raw = b"".join(parts)
    marking = _marking(delimiter)
    signed = _signed_cell(delimiter) if with_signed else None
    assert _formula_lines(raw, marking, start, signed) == _formula_lines_by_search(
        raw, marking, start, signed
    )
