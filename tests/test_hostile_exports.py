"""Hostile export files: each a real file, each bounded, flagged, never a crash.

Cases already proved in tests/test_exports.py are not repeated here (billion laughs,
internal entities, closed deep nesting, a UTF-8 BOM, invalid bytes): this file adds external
DTDs and entities, XInclude, unclosed and XML nesting, lines of 300 MB with the peak memory of
a real process, NUL bytes and foreign byte order marks, mixed encodings, spreadsheet-formula
cells and gzip'd exports (a bomb among them), and runs `conformance run` end to end on them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.exports import (
    ENCODING,
    RECORDS,
    NotRegularFile,
    Severity,
    _parallel,
    open_regular,
    validate_export,
)
from conformance.standards.model import ExportFormat, ExportSpec
from tests.conftest import (
    FIXTURE,
    HANG_TIMEOUT_S,
    OWN_PEAK_KIB,
    ROOT,
    TOKEN_ENV,
    SetReadLimits,
    finishes,
    run_cli,
)
from tests.test_exports import id_number, jsonl, make_spec, only, rec, write, xml_doc, xml_rows

MIB = 1024 * 1024
MARKER = "HOSTILE-MARKER-7f3a9c"


def _texts(report: Any) -> str:
    """Everything a report says, for searching leaked content."""
    return "\n".join(f"{i.message} {i.value} {i.location()}" for i in report.issues)


# ---------------------------------------------------------------- XML: entities, DTDs, XInclude


@pytest.fixture
def marker_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(MARKER, encoding="utf-8")
    return path


def _xml_with(prolog: str, first_no: str = "L0001") -> str:
    body = xml_doc(xml_rows(3)).split("\n", 1)[1]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + prolog
        + "\n"
        + body.replace("<No>L0001</No>", f"<No>{first_no}</No>")
    )


@pytest.mark.parametrize("target", ["passwd", "marker"])
def test_external_dtd_is_flagged_and_never_loaded(
    tmp_path: Path, marker_file: Path, target: str
) -> None:
    # A DTD that would put the marker into a record if it were ever loaded.
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY m SYSTEM "{marker_file.as_uri()}">', encoding="utf-8")
    uri = "file:///etc/passwd" if target == "passwd" else dtd.as_uri()
    spec = make_spec(tmp_path / "std", "xml")
    path = write(tmp_path / "a.xml", _xml_with(f'<!DOCTYPE Licences SYSTEM "{uri}">'))
    report = finishes(lambda: validate_export(spec, path))  # the DTD's target is never read
    issue = only(report, RECORDS, "doctype-external")
    assert issue.severity is Severity.ERROR
    assert issue.line == 2
    assert "never loaded" in issue.message
    assert uri in issue.message
    assert report.records == 3  # the records themselves are still checked
    assert MARKER not in _texts(report)
    assert "root:" not in _texts(report)


@pytest.mark.parametrize("jobs", [1, 2])
def test_entity_of_an_external_dtd_is_a_named_finding_never_a_crash(
    tmp_path: Path, marker_file: Path, jobs: int
) -> None:
    # libxml2's XSD code raised "Internal error" on the unexpanded reference (issue 15
    # item 1): the export then vanished from the results. Now a finding, with its line.
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY m SYSTEM "{marker_file.as_uri()}"><!ENTITY n "x">', "utf-8")
    spec = make_spec(tmp_path / "std", "xml")
    body = xml_doc(xml_rows(300)).split("\n", 1)[1]
    body = body.replace("<No>L0200</No>", "<No>&m;</No>").replace(
        "<Name>持证人7</Name>", "<Name>a&n;b</Name>"
    )
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Licences SYSTEM "{dtd.as_uri()}">\n'
    path = write(tmp_path / "a.xml", text + body)
    plain = write(tmp_path / "b.xml", xml_doc(xml_rows(5)))
    if jobs == 1:
        report = finishes(lambda: validate_export(spec, path))
    else:  # side by side in worker processes, as --jobs 2 runs them
        report = finishes(
            lambda: _parallel.validate_many([(spec, path), (spec, plain)], max_per_type=10, jobs=2)
        )[0]
    found = [i for i in report.issues if i.kind == "entity-reference"]
    lines = text.count("\n") + 1
    assert [(i.line, i.xpath, i.value) for i in found] == [
        (lines + 7, "/Licences/Licence[7]", "&n;"),
        (lines + 200, "/Licences/Licence[200]", "&m;"),
    ]
    assert all(i.severity is Severity.ERROR for i in found)
    assert "never loaded" in found[0].message
    assert report.failed(RECORDS)
    assert report.records == 300
    assert not [i for i in report.issues if "Internal error" in i.message]
    assert MARKER not in _texts(report)


class _Unpicklable(Exception):
    """An exception holding what pickle refuses (as lxml's hold C objects)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.handle = lambda: None


def _raise_unpicklable(_args: Any) -> None:
    raise _Unpicklable("boom at /Licences/Licence[3]")


def test_a_worker_exception_always_reaches_the_parent() -> None:
    # Unguarded, pool.map fails to send this exception back (issue 15 item 1, --jobs 2).
    with _parallel._pool(2) as pool, pytest.raises(_parallel.WorkerError) as raised:
        finishes(lambda: pool.map(_parallel._guarded, [(_raise_unpicklable, None)]))
    assert "_Unpicklable in an export worker process: boom at /Licences/Licence[3]" in str(
        raised.value
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "socket"])
@pytest.mark.parametrize("fmt", ["jsonl", "xml"])
def test_a_path_that_is_not_a_regular_file_is_never_opened(
    tmp_path: Path, kind: str, fmt: str
) -> None:
    import socket

    from conformance.engine.exporting import file_sha256

    spec = make_spec(tmp_path / "std", fmt)
    path = tmp_path / f"x.{fmt}"
    words = {
        "fifo": "a FIFO (named pipe)",
        "dev-zero": "a character device",
        "directory": "a directory",
        "socket": "a socket",
    }[kind]
    held = None
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    else:
        held = socket.socket(socket.AF_UNIX)
        held.bind(str(path))
    try:
        for jobs in (1, 2):
            report = finishes(lambda jobs=jobs: validate_export(spec, path, jobs=jobs))
            issue = only(report, RECORDS, "not-a-file")
            assert f"is {words}, not a regular file" in issue.message
            assert not report.complete
        assert finishes(lambda: file_sha256(path)) is None  # never digested
        with pytest.raises(NotRegularFile):
            open_regular(path)
    finally:
        if held is not None:
            held.close()


@pytest.mark.parametrize(
    "subset",
    [
        '<!ENTITY x SYSTEM "file:///etc/passwd">',
        '<!ENTITY x SYSTEM "{marker}">',
        '<!ENTITY % p SYSTEM "{marker}"> %p;',
        "<!ENTITY % p \"<!ENTITY x SYSTEM '{marker}'>\"> %p;",
        '<!ENTITY x PUBLIC "-//hostile//x" "http://127.0.0.1:9/x">',
        # 10 levels of 10: 10^10 copies if expanded (the 7-level case is in test_exports)
        '<!ENTITY l0 "ha">'
        + "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 11))
        + '<!ENTITY x "&l10;">',
    ],
    ids=["file-passwd", "file-marker", "parameter", "nested-parameter", "http", "laughs-10"],
)
def test_entities_of_every_kind_are_flagged_never_expanded(
    tmp_path: Path, marker_file: Path, subset: str
) -> None:
    spec = make_spec(tmp_path / "std", "xml")
    prolog = f"<!DOCTYPE Licences [{subset.format(marker=marker_file.as_uri())}]>"
    path = write(tmp_path / "a.xml", _xml_with(prolog, "&x;"))
    report = finishes(lambda: validate_export(spec, path))  # 10^10 copies would never finish
    assert only(report, RECORDS, "doctype-entities").line == 2
    assert report.records == 0
    assert not report.complete
    assert MARKER not in _texts(report)
    assert "root:" not in _texts(report)


def test_external_dtd_after_a_long_prolog_is_flagged(tmp_path: Path, marker_file: Path) -> None:
    spec = make_spec(tmp_path / "std", "xml")
    comment = "<!--" + "c" * (MIB + 100) + "-->"  # past the prolog look-ahead
    path = write(
        tmp_path / "a.xml",
        _xml_with(f'{comment}\n<!DOCTYPE Licences SYSTEM "{marker_file.as_uri()}">'),
    )
    report = validate_export(spec, path)
    assert marker_file.as_uri() in only(report, RECORDS, "doctype-external").message
    assert report.records == 3
    assert MARKER not in _texts(report)


def test_xinclude_is_never_processed(tmp_path: Path, marker_file: Path) -> None:
    spec = make_spec(tmp_path / "std", "xml")
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        f'href="{marker_file.as_uri()}" parse="text"/>'
    )
    text = xml_doc(xml_rows(3)).replace("<No>L0002</No>", f"<No>L0002</No>{include}")
    report = validate_export(spec, write(tmp_path / "a.xml", text))
    issue = only(report, RECORDS, "xsd")  # an element the XSD does not allow, not its target
    assert "include" in issue.message
    assert issue.xpath == "/Licences/Licence[2]/include"
    assert report.records == 3
    assert MARKER not in _texts(report)


def test_xml_nested_100000_deep_is_flagged_bounded(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "xml")
    deep = "<a>" * 100_000 + "</a>" * 100_000
    text = xml_doc(xml_rows(3)).replace("<Name>持证人2</Name>", f"<Name>{deep}</Name>")
    path = write(tmp_path / "a.xml", text)
    report = finishes(lambda: validate_export(spec, path))
    issue = only(report, RECORDS, "too-deep")
    assert issue.line == 4
    assert "256 levels" in issue.message
    assert "XML_PARSE_HUGE" not in issue.message  # no parser-internal advice
    assert report.records == 1
    assert not report.complete


# ---------------------------------------------------------------- JSON nested deep


@pytest.mark.parametrize("opener", ["[", '{"a":'], ids=["arrays", "objects"])
def test_unclosed_json_nesting_100000_deep(tmp_path: Path, opener: str) -> None:
    schema = {"type": ["object", "array"]}
    spec = make_spec(tmp_path / "l", "jsonl", key=(), schema=schema)
    deep = opener * 100_000  # never closed
    text = jsonl([{"a": 1}]) + deep + "\n" + jsonl([{"b": 2}])
    path = write(tmp_path / "l.jsonl", text)
    report = finishes(lambda: validate_export(spec, path))
    issue = only(report, RECORDS, "too-deep")
    assert issue.line == 2
    assert "200 levels" in issue.message
    assert report.records == 3
    array_spec = make_spec(tmp_path / "j", "json", key=(), schema=schema)
    text = '[{"a": 1},\n' + deep
    path = write(tmp_path / "a.json", text)
    report = finishes(lambda: validate_export(array_spec, path))
    assert only(report, RECORDS, "too-deep").line == 2
    assert "found end of file" in only(report, RECORDS, "parse").message
    assert report.records == 2


# ---------------------------------------------------------------- lines of hundreds of MB

_MEASURE = (
    OWN_PEAK_KIB
    + """
import json, sys
from pathlib import Path
from tests.test_exports import make_spec
from conformance.exports import validate_export
fmt, path, folder = sys.argv[1:4]
spec = make_spec(Path(folder), fmt)
baseline = own_peak_kib()
report = validate_export(spec, Path(path))
print(json.dumps({
    "baseline_mib": baseline / 1024,
    "peak_mib": own_peak_kib() / 1024,
    "records": report.records,
    "complete": report.complete,
    "counts": {f"{c}:{k}": n for (c, k), n in report.counts.items()},
    "issues": [[i.kind, i.line, i.message] for i in report.issues],
}))
"""
)


def measure(fmt: str, path: Path, folder: Path) -> dict[str, Any]:
    """Validate in a fresh process; what it found and its own peak resident memory (VmHWM).

    A process still going after HANG_TIMEOUT_S fails the test (a hang guard, not a speed claim).
    """
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, fmt, str(path), str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=HANG_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _huge(path: Path, head: bytes, tail: bytes, size: int, fill: bytes = b"x") -> Path:
    chunk = fill * MIB
    with path.open("wb") as out:
        out.write(head)
        for _ in range(size // MIB):
            out.write(chunk)
        out.write(tail)
    return path


_ID = id_number(2).encode()
_HOLDER = b'"holder_id": "' + _ID + b'"'
# the second record's name is the huge part
_XML_PARTS = [
    part.encode()
    for part in xml_doc(xml_rows(3))
    .replace("<Count>3</Count>", "<Count>x</Count>")
    .split("持证人2")
]
HUGE_CASES: dict[str, tuple[bytes, bytes, str]] = {
    "jsonl": (
        b'{"id": "L1", "name": "a", ' + _HOLDER + b'}\n{"id": "L2", "name": "a", "note": "',
        b'"}\n{"id": "L3", "name": "a", ' + _HOLDER + b', "count": "x"}\n',
        "line 2",
    ),
    "json": (
        b'[{"id": "L1", "name": "a", ' + _HOLDER + b'},\n{"id": "L2", "name": "a", "note": "',
        b'"},\n{"id": "L3", "name": "a", ' + _HOLDER + b', "count": "x"}]\n',
        "record starting at line 2",
    ),
    "csv": (
        b"id,name,holder_id,count\nL1,a," + _ID + b",1\nL2,",
        b"," + _ID + b",2\nL3,a," + _ID + b",x\n",
        "line 3",
    ),
    "xml": (_XML_PARTS[0], _XML_PARTS[1], "text node"),
}


@pytest.mark.parametrize("fmt", sorted(HUGE_CASES))
def test_a_300_mb_line_is_skipped_in_bounded_memory(tmp_path: Path, fmt: str) -> None:
    head, tail, where = HUGE_CASES[fmt]
    path = _huge(tmp_path / f"huge.{fmt}", head, tail, 300 * MIB)
    try:
        assert path.stat().st_size > 300 * MIB
        result = measure(fmt, path, tmp_path / "std")
    finally:
        path.unlink()
    counts = result["counts"]
    assert counts.get("export_records:record-too-large") == 1, result
    message = next(m for k, _, m in result["issues"] if k == "record-too-large")
    assert where in message
    assert "MiB" in message
    assert result["peak_mib"] - result["baseline_mib"] < 120, result  # never the 300 MB
    assert len(counts) == (1 if fmt == "xml" else 2), result  # too-large (+ the later type)
    if fmt != "xml":  # the record after the huge one is still read and checked
        assert counts.get("export_records:type") == 1, result


# ---------------------------------------------------------------- NUL bytes, BOMs, encodings


def test_nul_bytes_are_located(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "jsonl")
    good = jsonl([rec(i) for i in range(1, 201)]).encode()  # past the 8 KiB head
    bad = jsonl([rec(201, name="A\x00B")]).encode().replace(b"\\u0000", b"\x00")
    data = good + bad + jsonl([rec(202, count="x")]).encode()
    report = validate_export(spec, write(tmp_path / "l.jsonl", data))
    issue = only(report, RECORDS, "parse")
    assert issue.line == 201
    assert issue.byte_offset == len(good) + bad.index(b"\x00")
    assert f"NUL byte at byte offset {issue.byte_offset} (line 201)" in issue.message
    assert only(report, RECORDS, "type").line == 202  # reading went on
    # NUL bytes at the start: the whole file is binary
    head = jsonl([rec(1)]).encode() + b"\x00\x00" + good
    report = validate_export(spec, write(tmp_path / "b.jsonl", head))
    issue = only(report, RECORDS, "wrong-format")
    assert issue.byte_offset == head.index(b"\x00")
    assert issue.line == 2
    assert "NUL bytes (the first at byte offset" in issue.message


def test_nul_bytes_in_csv_and_xml_are_parse_errors_with_lines(tmp_path: Path) -> None:
    rows = "".join(f"L{i:04d},n,{rec(i)['holder_id']}\n" for i in range(1, 400))
    text = "id,name,holder_id\n" + rows + "L9999,a\x00b,x\n"
    report = validate_export(make_spec(tmp_path / "c", "csv"), write(tmp_path / "a.csv", text))
    issue = only(report, RECORDS, "nul-byte")
    assert issue.line == 401
    assert issue.byte_offset == text.encode().index(b"\x00")
    assert f"NUL byte at byte offset {issue.byte_offset} (line 401)" in issue.message
    text = xml_doc(xml_rows(200)).replace("持证人150", "持证\x00人")
    report = validate_export(make_spec(tmp_path / "x", "xml"), write(tmp_path / "a.xml", text))
    issue = only(report, RECORDS, "parse")
    assert issue.line == 152
    assert report.records == 149


def test_utf16_bom_on_a_utf8_export(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "jsonl")
    data = b"\xff\xfe" + jsonl([rec(1), rec(2, count="x")]).encode()
    report = validate_export(spec, write(tmp_path / "l.jsonl", data))
    issue = only(report, ENCODING, "bom")
    assert issue.severity is Severity.ERROR
    assert issue.byte_offset == 0
    assert issue.line == 1
    assert "UTF-16 LE byte order mark (ff fe)" in issue.message
    assert only(report, RECORDS, "type").line == 2  # the rest was read as declared
    # A whole UTF-16 file: NUL bytes, named as probably UTF-16
    text = "\ufeff" + jsonl([rec(1)])
    report = validate_export(spec, write(tmp_path / "u16.jsonl", text.encode("utf-16-le")))
    issue = only(report, RECORDS, "wrong-format")
    assert "(UTF-16?)" in issue.message
    assert issue.byte_offset == 3


def test_mixed_encodings_both_ways(tmp_path: Path) -> None:
    names = [f"张三丰{i}号" for i in range(1, 6)]
    lines = [jsonl([rec(i + 1, name=name)]) for i, name in enumerate(names)]
    # A GB 18030 line in a UTF-8 file: invalid UTF-8, an error at its first bad byte.
    data = [line.encode("gb18030" if i == 2 else "utf-8") for i, line in enumerate(lines)]
    utf8 = make_spec(tmp_path / "u", "jsonl")
    report = validate_export(utf8, write(tmp_path / "u.jsonl", b"".join(data)))
    issue = only(report, ENCODING, "invalid-bytes")
    assert issue.line == 3
    assert issue.byte_offset == len(data[0] + data[1]) + data[2].index("张".encode("gb18030"))
    # A UTF-8 line in a GB 18030 file may decode without error (to other characters);
    # "张三" in UTF-8 is six bytes GB 18030 reads as three other characters.
    assert "张三".encode().decode("gb18030") != "张三"
    lines[3] = jsonl([rec(4, name="张三")])
    data = [line.encode("utf-8" if i == 3 else "gb18030") for i, line in enumerate(lines)]
    cases: list[tuple[ExportFormat, bytes]] = [
        ("jsonl", b"".join(data)),
        ("json", b"[" + b",".join(data) + b"]"),
    ]
    for fmt, body in cases:
        gb = make_spec(tmp_path / f"g{fmt}", fmt, encoding="gb18030")
        report = validate_export(gb, write(tmp_path / f"g.{fmt}", body))
        assert report.counts[(ENCODING, "invalid-bytes")] == 0
        issue = only(report, ENCODING, "mixed-encoding")
        assert issue.severity is Severity.WARNING
        assert issue.line == 4
        assert issue.byte_offset == body.index("张三".encode())
    # A GB 18030 file of Chinese text raises no such warning.
    clean = b"".join(line.encode("gb18030") for line in lines)
    gb = make_spec(tmp_path / "gc", "jsonl", encoding="gb18030")
    assert validate_export(gb, write(tmp_path / "c.jsonl", clean)).issues == []


# ---------------------------------------------------------------- spreadsheet formulas

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example/x","<b>click</b>")',
]


def _csv_text(cells: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(cells)
    return out.getvalue()


def test_formula_cells_are_warnings_with_row_and_column(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "csv")
    rows = [["id", "name", "holder_id", "count", "note"]]
    rows += [[f"L{i}", f, rec(i)["holder_id"], "1", ""] for i, f in enumerate(FORMULAS, 1)]
    # data a spreadsheet reads as data: a signed number, a lone dash, an inner '='
    rows += [
        ["L90", "a=b", rec(90)["holder_id"], "-5", "-"],
        ["L91", "n", rec(91)["holder_id"], "2", "+1.5e3"],
    ]
    report = validate_export(spec, write(tmp_path / "a.csv", _csv_text(rows)))
    found = report.issues_for(RECORDS)
    assert [i.kind for i in found] == ["formula-cell"] * len(FORMULAS)
    assert {i.severity for i in found} == {Severity.WARNING}
    assert not report.failed(RECORDS)  # a warning, the data itself may be valid
    assert [i.row for i in found] == list(range(1, len(FORMULAS) + 1))
    assert [i.value for i in found] == [repr(f) for f in FORMULAS]
    assert {i.pointer for i in found} == {"/name"}
    assert "would run it as a formula" in found[0].message
    assert report.records == len(rows) - 1


# ---------------------------------------------------------------- gzip'd exports


def _jsonl_bytes(count: int) -> bytes:
    records = [rec(i) for i in range(1, count + 1)]
    records[count // 2] = rec(count // 2, count="x")
    return jsonl(records).encode()


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "xml"])
def test_gzip_export_reads_like_the_plain_file(tmp_path: Path, fmt: ExportFormat) -> None:
    spec = make_spec(tmp_path / "std", fmt)
    records = [rec(i) for i in range(1, 3001)]
    records[2000] = rec(2000, holder_id=records[5]["holder_id"][:-1] + "0")
    if fmt == "jsonl":
        data = jsonl(records).encode()
    elif fmt == "json":
        data = json.dumps(records, ensure_ascii=False, indent=1).encode()
    elif fmt == "csv":
        data = _csv_text(
            [["id", "name", "holder_id"]] + [[r["id"], r["name"], r["holder_id"]] for r in records]
        ).encode()
    else:
        data = xml_doc(xml_rows(3000)).replace("<Count>2500<", "<Count>x<").encode()
    data = data.replace(b"L0100", b"L\xff100")  # one invalid byte, offset to be kept
    plain = validate_export(spec, write(tmp_path / f"a.{fmt}", data))
    packed = validate_export(spec, write(tmp_path / f"a.{fmt}.gz", gzip.compress(data)))
    assert packed.compression == "gzip"
    assert packed.records == plain.records == 3000
    assert packed.counts == plain.counts
    assert len(plain.issues) >= 2

    def where(report: Any) -> list[tuple[Any, ...]]:
        return [(i.kind, i.line, i.row, i.xpath, i.byte_offset) for i in report.issues]

    assert where(packed) == where(plain)
    invalid = only(packed, ENCODING, "invalid-bytes")
    assert invalid.byte_offset == data.index(b"\xff")
    assert "of the gzip-decompressed data" in invalid.message


def _bomb(size: int) -> bytes:
    """A few valid records, then a line of ``size`` bytes: ~1000-fold compression."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [deflate.compress(_jsonl_bytes(10) + b'{"id": "L99", "note": "')]
    block = b"x" * MIB
    parts += [deflate.compress(block) for _ in range(size // MIB)]
    parts.append(deflate.compress(b'"}\n') + deflate.flush())
    return b"".join(parts)


def test_gzip_bomb_stops_at_the_ratio_cap_bounded(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.jsonl.gz", _bomb(64 * MIB))
    assert path.stat().st_size < 128 * 1024
    result = measure("jsonl", path, tmp_path / "std")
    assert result["counts"]["export_records:decompression-limit"] == 1
    message = next(m for k, _, m in result["issues"] if k == "decompression-limit")
    assert "over the ratio cap 200" in message
    assert "not read further" in message
    assert not result["complete"]
    assert result["counts"]["export_records:type"] == 1  # what came before was checked
    assert result["peak_mib"] - result["baseline_mib"] < 80, result


def test_gzip_size_cap_and_concatenated_members(tmp_path: Path, limits: SetReadLimits) -> None:
    spec = make_spec(tmp_path / "std", "jsonl")
    data = _jsonl_bytes(20_000)
    members = b"".join(gzip.compress(data[i : i + 50_000]) for i in range(0, len(data), 50_000))
    report = validate_export(spec, write(tmp_path / "m.jsonl.gz", members + b"\x00" * 64))
    assert report.records == 20_000
    assert report.counts[(RECORDS, "type")] == 1
    assert report.complete
    limits(max_decompressed_bytes=1_000_000)
    report = validate_export(spec, write(tmp_path / "s.jsonl.gz", gzip.compress(data)))
    assert len(data) > 1_500_000
    issue = only(report, RECORDS, "decompression-limit")
    assert "expands past 1000000 bytes" in issue.message
    assert not report.complete
    # records read before the cap still count (a lower bound: the report says incomplete)
    limits(jsonl_block_bytes=64 * 1024)
    report = validate_export(spec, write(tmp_path / "b.jsonl.gz", gzip.compress(data)))
    assert 10_000 < report.records < 20_000  # about 13,000 records fit in the first 1 MB


def test_corrupt_and_cut_gzip_are_clear_errors(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "jsonl")
    packed = gzip.compress(_jsonl_bytes(3000))
    cut = validate_export(spec, write(tmp_path / "cut.jsonl.gz", packed[: len(packed) // 2]))
    assert "ends before its end marker" in only(cut, RECORDS, "compressed-corrupt").message
    assert cut.records > 0
    broken = bytearray(packed)
    broken[-6] ^= 0xFF  # the CRC trailer
    crc = validate_export(spec, write(tmp_path / "crc.jsonl.gz", bytes(broken)))
    assert "corrupt" in only(crc, RECORDS, "compressed-corrupt").message
    garbage = validate_export(spec, write(tmp_path / "g.jsonl.gz", packed + b"garbage"))
    assert "not gzip" in only(garbage, RECORDS, "compressed-corrupt").message


def test_other_compressions_are_refused_and_a_false_gz_name_warned(tmp_path: Path) -> None:
    import bz2
    import lzma

    spec = make_spec(tmp_path / "std", "jsonl")
    data = _jsonl_bytes(10)
    for name, packed in (("bzip2", bz2.compress(data)), ("xz", lzma.compress(data))):
        report = validate_export(spec, write(tmp_path / f"a.{name}", packed))
        issue = only(report, RECORDS, "wrong-format")
        assert f"file is {name}-compressed" in issue.message
        assert "only gzip" in issue.message
    report = validate_export(spec, write(tmp_path / "plain.jsonl.gz", data))
    assert only(report, ENCODING, "not-compressed").severity is Severity.WARNING
    assert report.records == 10


def test_jobs_never_split_a_gzip_file(tmp_path: Path, limits: SetReadLimits) -> None:
    limits(min_range_bytes=1024)
    spec = make_spec(tmp_path / "std", "jsonl")
    data = _jsonl_bytes(3000)
    plain = write(tmp_path / "a.jsonl", data)
    packed = write(tmp_path / "a.jsonl.gz", gzip.compress(data))
    assert len(_parallel.plan_ranges(plain, 4)) == 4  # a plain file of this size is split
    assert _parallel.plan_ranges(packed, 4) == [(0, None, 1)]
    report = validate_export(spec, packed, jobs=4)
    assert report.records == 3000
    assert report.counts[(RECORDS, "type")] == 1
    many = _parallel.validate_many([(spec, packed), (spec, plain)], max_per_type=10, jobs=2)
    assert [r.records for r in many] == [3000, 3000]


# ---------------------------------------------------------------- end to end


def _candidate(tmp_path: Path, standard: str, exports: dict[str, Path]) -> Path:
    profile = yaml.safe_load((FIXTURE / "candidate.yaml").read_text(encoding="utf-8"))
    claim = next(c for c in profile["claims"] if c["standard"] == standard)
    claim["exports"] = {n: str((FIXTURE / p).resolve()) for n, p in claim["exports"].items()}
    claim["exports"].update({name: str(path) for name, path in exports.items()})
    profile["claims"] = [claim]
    path = tmp_path / "candidate.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return path


def _run(tmp_path: Path, url: str, token: str, standard: str, candidate: Path, *extra: str) -> Any:
    reports = tmp_path / "reports"
    result = run_cli(
        "run",
        "--standard",
        standard,
        "--candidate",
        str(candidate),
        "--base-url",
        url,
        "--reports-dir",
        str(reports),
        "--max-examples",
        "0",
        *extra,
        env={TOKEN_ENV: token},
    )
    (run_dir,) = list(reports.iterdir())
    outputs = {p.name: p.read_text(encoding="utf-8") for p in run_dir.iterdir() if p.is_file()}
    return result, json.loads(outputs["results.json"]), outputs


@pytest.mark.slow
def test_run_with_hostile_licence_exports(
    tmp_path: Path, reference_url: str, token: str, marker_file: Path
) -> None:
    source = FIXTURE / "exports" / "gov.e-licence"
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = (source / "licences.jsonl").read_bytes()
    packed = bomb.compress(head)
    packed += b"".join(bomb.compress(b" " * MIB) for _ in range(64)) + bomb.flush()
    jsonl_path = write(tmp_path / "licences.jsonl.gz", packed)
    xml = (source / "licences.xml").read_text(encoding="utf-8")
    doctype = (
        f'<!DOCTYPE Licences SYSTEM "{marker_file.as_uri()}" '
        f'[<!ENTITY x SYSTEM "{marker_file.as_uri()}">]>\n'
    )
    start = xml.index("<", xml.index("?>"))
    xml_path = write(tmp_path / "licences.xml", xml[:start] + doctype + xml[start:])
    candidate = _candidate(
        tmp_path, "gov.e-licence@1.1.0", {"licences-jsonl": jsonl_path, "licences-xml": xml_path}
    )
    # bounded by run_cli's timeout (CLI_TIMEOUT_S): a hang fails, a slow machine does not
    result, data, outputs = _run(tmp_path, reference_url, token, "gov.e-licence@1.1.0", candidate)
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.out + result.err
    failed = {
        (r["target"], f["title"])
        for r in data["results"]
        if r["status"] == "fail"
        for f in r["failures"]
    }
    assert ("export licences-jsonl", "decompression-limit") in failed
    assert ("export licences-xml", "doctype-entities") in failed
    assert ("export licences-xml", "doctype-external") in failed
    # the checks of what was never read are errors, not passes
    unread = {
        r["check"]: r["status"] for r in data["results"] if r["target"] == "export licences-jsonl"
    }
    assert unread["export_encoding"] == unread["export_unique_keys"] == "error", unread
    # the API tasks ran too: the run went on past the hostile files
    assert any(
        r["status"] == "pass" and not r["target"].startswith("export") for r in data["results"]
    )
    for name, text in outputs.items():
        assert MARKER not in text, name
    assert MARKER not in result.out + result.err


@pytest.mark.slow
def test_run_with_a_fifo_and_an_entity_reference_ends_with_errors_and_findings(
    tmp_path: Path, reference_url: str, token: str, marker_file: Path
) -> None:
    # Issue 15 items 1 and 3, end to end with --jobs 2: a FIFO as the JSON Lines export (it
    # blocked the run's digest of it) and an XML record holding an entity of an external
    # DTD (it vanished from the results).
    fifo = tmp_path / "licences.jsonl"
    os.mkfifo(fifo)
    source = FIXTURE / "exports" / "gov.e-licence"
    xml = (source / "licences.xml").read_text(encoding="utf-8")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY m SYSTEM "{marker_file.as_uri()}">', encoding="utf-8")
    start = xml.index("<", xml.index("?>"))
    body = xml[start:]
    first = body.index("</", body.index("<", body.index(">") + 1) + 1)  # a record's first field
    body = body[:first] + "&m;" + body[first:]
    doctype = f'<!DOCTYPE Licences SYSTEM "{dtd.as_uri()}">\n'
    xml_path = write(tmp_path / "licences.xml", xml[:start] + doctype + body)
    candidate = _candidate(
        tmp_path, "gov.e-licence@1.1.0", {"licences-jsonl": fifo, "licences-xml": xml_path}
    )
    result, data, outputs = _run(
        tmp_path, reference_url, token, "gov.e-licence@1.1.0", candidate, "--jobs", "2"
    )
    assert result.code != 0, result.out + result.err
    assert "Traceback" not in result.out + result.err
    by_target: dict[str, dict[str, Any]] = {}
    for r in data["results"]:
        by_target.setdefault(r["target"], {})[r["check"]] = r
    jsonl = by_target["export licences-jsonl"]
    assert jsonl["export_records"]["status"] == "error"
    assert "FIFO" in json.dumps(jsonl["export_records"], ensure_ascii=False)
    records = by_target["export licences-xml"]["export_records"]
    assert records["status"] == "fail"
    titles = {f["title"] for f in records["failures"]}
    assert "entity-reference" in titles, titles
    for name, text in outputs.items():
        assert MARKER not in text, name


@pytest.mark.slow
def test_run_shows_formula_cells_inert(tmp_path: Path, reference_url: str, token: str) -> None:
    source = FIXTURE / "exports" / "gov.service-case" / "cases.csv"
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="gb18030"))))
    column = rows[0].index("applicant_name")
    for index, formula in enumerate(FORMULAS, 1):
        rows[index][column] = formula
    path = write(tmp_path / "cases.csv", _csv_text(rows), encoding="gb18030")
    candidate = _candidate(tmp_path, "gov.service-case@1.0.0", {"cases-csv": path})
    result, data, outputs = _run(
        tmp_path, reference_url, token, "gov.service-case@1.0.0", candidate
    )
    assert "Traceback" not in result.out + result.err
    # --max-examples 0 leaves an API clause unexercised; no reason names an export clause
    assert result.code in (0, 1), result.out + result.err
    assert not [reason for reason in data["reasons"] if "CASE-EXP" in reason]
    assert not [
        r for r in data["results"] if r["target"] == "export cases-csv" and r["status"] != "pass"
    ]
    records = next(
        r
        for r in data["results"]
        if r["target"] == "export cases-csv" and r["check"] == "export_records"
    )
    assert records["status"] == "pass"
    warned = [w for w in records["evidence"]["warnings"] if w["kind"] == "formula-cell"]
    assert [w["value"] for w in warned] == [repr(f) for f in FORMULAS]  # carried as data
    assert [w["row"] for w in warned] == list(range(1, len(FORMULAS) + 1))
    html = outputs["report.html"]
    assert "&lt;b&gt;click&lt;/b&gt;" in html  # shown, escaped
    assert "<b>click</b>" not in html
    assert 'href="http://evil.example' not in html
    assert "=cmd|&#x27; /C calc&#x27;!A0" in html
    junit = outputs["junit.xml"]
    assert "formula-cell" in junit
    assert "&lt;b&gt;click&lt;/b&gt;" in junit
    from lxml import etree

    etree.fromstring(junit.encode())  # still well-formed XML


# ---------------------------------------------------------------- JSON as strict parsers read it


def _strict_lines() -> tuple[list[str], dict[int, tuple[str, str]]]:
    """3000 licence lines, a few holding what a strict parser refuses: (lines, expected
    {line number: (kind, pointer)}); also lines that look suspicious and are clean."""
    from tests.test_exports_fast import _licence_records

    base = _licence_records()
    lines = []
    for number in range(3000):
        record = json.loads(json.dumps(base[number % len(base)]))
        record["licence_id"] = f"BL-2020-{number:06d}"
        lines.append(json.dumps(record, ensure_ascii=False))
    expected: dict[int, tuple[str, str]] = {}
    # a member given twice, the first value invalid (the last one is what parsers keep)
    lines[9] = '{"name": 12, ' + lines[9][1:]
    expected[10] = ("duplicate-member", "/name")
    # nested, and in the middle of a fast block
    lines[1500] = lines[1500].replace('"holder": {', '"holder": {"type": [], ', 1)
    expected[1501] = ("duplicate-member", "/holder/type")
    # colons written as \u003a, in names and values, and spaces before colons: all clean
    lines[20] = lines[20].replace('"name": "', '"name" :\t"a\\u003ab\\u003A:', 1)
    lines[2500] = lines[2500].replace('"name": "', '"name"  : "\\\\u003a', 1)
    # a lone surrogate, in a value and in a name
    lines[30] = lines[30].replace('"name": "', '"name": "\\udc00', 1)
    expected[31] = ("lone-surrogate", "/name")
    lines[2900] = lines[2900].replace('"name": "', '"\\ud800x": 1, "name": "', 1)
    expected[2901] = ("lone-surrogate", "/\ud800x")
    return lines, expected


def _strict_found(report: Any) -> dict[int, tuple[str, str]]:
    return {
        i.line: (i.kind, i.pointer)
        for i in report.issues
        if i.kind in ("duplicate-member", "lone-surrogate")
    }


def test_members_given_twice_and_lone_surrogates_are_findings_on_every_path(
    tmp_path: Path,
) -> None:
    # Issue 15 item 6: orjson, msgspec and Python's json keep the last value silently.
    from conformance.standards.loader import load_standard
    from tests.test_exports_fast import LICENCE

    spec = load_standard(LICENCE).export("licences-jsonl")
    lines, expected = _strict_lines()
    path = write(tmp_path / "l.jsonl", "\n".join(lines) + "\n")

    def summary(paths: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        assert _strict_found(report) == expected
        issues = [(i.kind, i.line, i.pointer, i.message) for i in report.issues]
        return report.records, dict(report.counts), issues

    typed = summary()
    for issue in typed[2]:
        if issue[0] == "duplicate-member":
            assert "given more than once" in issue[3]
        if issue[0] == "lone-surrogate":
            assert "\\udc00" in issue[3] or "\\ud800" in issue[3]
    # the first value of /name (12) is invalid, yet no type error: the last one is checked
    assert (RECORDS, "duplicate-member") in typed[1]
    assert typed == summary(("blocks", "records"))  # orjson and jsonschema-rs, a block at once
    assert typed == summary(("records",))  # line by line
    assert typed == summary(())  # the exact checker alone
    # the same records as one JSON array (the exact reader): the same findings
    array = write(tmp_path / "a.json", "[\n" + ",\n".join(lines) + "\n]\n")
    as_json = ExportSpec(**{**spec.__dict__, "format": "json"})
    found = _strict_found(validate_export(as_json, array))
    assert found == {line + 1: what for line, what in expected.items()}


def test_strict_signal_never_misses_a_member_given_twice() -> None:
    # The cheap count is exact: drawn objects, one member repeated, every spelling.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from conformance.exports._strict import maybe_strict_problem, strict_problems

    names = st.text(alphabet=':"\\ab\u00e9', max_size=4)
    leaves = st.one_of(
        st.integers(), st.text(alphabet=':"\\a', max_size=5), st.none(), st.just("\\u003a")
    )
    objects = st.dictionaries(names, leaves, min_size=1, max_size=4)

    def hidden(node: Any) -> Any:  # colons as \x01, written \u0001 by json.dumps
        if isinstance(node, str):
            return node.replace(":", "\x01")
        if isinstance(node, dict):
            return {hidden(k): hidden(v) for k, v in node.items()}
        return node

    @settings(max_examples=300, deadline=None)
    @given(objects, st.data(), st.booleans(), st.booleans())
    def exact(obj: dict[str, Any], data: Any, twice: bool, escaped: bool) -> None:
        text = json.dumps(obj, ensure_ascii=False)
        if escaped:  # every colon inside a string written \u003a
            text = json.dumps(hidden(obj)).replace("\\u0001", "\\u003a")
        value = json.loads(text)
        assert value == obj
        if twice:
            name = data.draw(st.sampled_from(sorted(value)))
            text = "{" + json.dumps(name) + ': "first", ' + text[1:]
        assert maybe_strict_problem(text, json.loads(text)) or not twice
        kinds = [kind for kind, _, _ in strict_problems(text)]
        assert kinds == (["duplicate-member"] if twice else [])

    exact()
