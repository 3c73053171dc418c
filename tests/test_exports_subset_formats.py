"""Values off a subset pattern (A-label hostnames, UTF-8 mailboxes, IPvFuture literals, leap
seconds) are accepted on the fast path, exactly as the exact checker decides them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.exports import RECORDS, validate_export
from conformance.exports._fast import build_fast_validator
from conformance.formats import FORMATS
from conformance.standards.model import ExportFormat
from conformance.validation import schema_validator
from tests.test_exports import make_spec

FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

# Valid values each format's fast pattern does not take (the exact check does).
OFF_PATTERN = {
    "hostname": ["xn--bcher-kva.example", "w1.xn--fiqs8s.gov.cn", "XN--55QX5D.cn"],
    "email": ["用户@例子.公司", "josé.1@example.org", '"a b"@example.org', "a@[192.0.2.1]"],
    "uri": ["http://[v1.fe]/x", "ldap://[vF.a:b]:389/c"],
    "date-time": ["2016-12-31T23:59:60Z", "2016-12-31T23:59:60+00:00"],
}
# Invalid values close to them.
WRONG = {
    "hostname": ["xn--bcher-kva0.example", "例子.公司", "ab--cd.example"],
    "email": ["用户@@例子.公司", "a..b@example.org", "a@[300.0.2.1]"],
    "uri": ["http://[v1.]/x", "//example.org/x"],
    "date-time": ["2016-12-31T23:59:61Z", "2016-12-31T23:59:60"],
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "$defs": {"host": {"type": "string", "format": "hostname"}},
    "properties": {
        "id": {"type": "integer"},
        "host": {"$ref": "#/$defs/host"},
        "mail": {"type": "string", "format": "email", "maxLength": 40},
        "site": {"format": "uri"},  # no type: a number passes it
        "times": {"type": "array", "items": {"type": "string", "format": "date-time"}},
        "named": {"type": "string", "pattern": "^[a-z]", "format": "hostname"},
        # conditional positions: the format's exact check decides there
        "not_host": {"not": {"type": "string", "format": "hostname"}},
        "either": {"anyOf": [{"type": "string", "format": "email"}, {"type": "integer"}]},
        "one": {"oneOf": [{"format": "hostname"}, {"format": "email"}]},
    },
    "allOf": [{"properties": {"inner": {"type": "string", "format": "hostname"}}}],
    "if": {"properties": {"host": {"format": "hostname"}}},
    "then": {"required": ["host"]},
    "unevaluatedProperties": False,
}
FIELDS = {
    "host": "hostname",
    "mail": "email",
    "site": "uri",
    "named": "hostname",
    "not_host": "hostname",
    "either": "email",
    "one": "hostname",
    "inner": "hostname",
}


def _value(fmt: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(OFF_PATTERN[fmt] + WRONG[fmt]),
        FORMATS[fmt].valid(),
        FORMATS[fmt].invalid(),
        st.integers(0, 3),
    )


def _records() -> st.SearchStrategy[dict[str, Any]]:
    fields = {name: _value(fmt) for name, fmt in FIELDS.items()}
    times = st.lists(_value("date-time"), max_size=3)
    return st.fixed_dictionaries(
        {"id": st.integers(0, 9)}, optional={**fields, "times": times, "extra": st.just(1)}
    )


def _write(tmp_path: Path) -> Path:
    (tmp_path / "standard.yaml").write_text("id: x\n", encoding="utf-8")
    schema = tmp_path / "record.schema.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    return schema


def test_fast_validator_decides_off_pattern_values_as_python_jsonschema(tmp_path: Path) -> None:
    schema = _write(tmp_path)
    fast = build_fast_validator(schema, tmp_path)
    assert fast is not None
    assert fast.rescue is not None
    slow = schema_validator(schema)

    @FAST
    @given(_records())
    def agree(record: dict[str, Any]) -> None:
        # complete as well as sound for these formats: no valid record left to the slow path
        assert fast.check(record) == (not list(slow.iter_errors(record))), record

    agree()
    for fmt, values in OFF_PATTERN.items():
        field = {"hostname": "host", "email": "mail", "uri": "site"}.get(fmt)
        for value in values:
            record: dict[str, Any] = {"id": 1, "host": "example.org"}  # "then" wants a host
            record.update({field: value} if field else {"times": [value]})
            assert not fast.is_valid(record), record  # off the pattern ...
            assert fast.check(record), record  # ... yet accepted without python-jsonschema


def test_exact_schemas_get_no_rescue(tmp_path: Path) -> None:
    (tmp_path / "standard.yaml").write_text("id: x\n", encoding="utf-8")
    schema = tmp_path / "record.schema.json"
    schema.write_text(json.dumps({"properties": {"d": {"format": "date"}}}), encoding="utf-8")
    fast = build_fast_validator(schema, tmp_path)
    assert fast is not None
    assert fast.rescue is None


def _mixed_records(count: int) -> tuple[list[dict[str, Any]], int]:
    """Records whose format values are mostly off the patterns, with faults among them
    (also in records whose off-pattern values are valid); and the count of bad records."""
    records = []
    bad = 0
    for index in range(count):
        record: dict[str, Any] = {
            "id": index,
            "host": OFF_PATTERN["hostname"][index % 3],
            "mail": OFF_PATTERN["email"][index % 4],
            "site": OFF_PATTERN["uri"][index % 2],
            "times": [OFF_PATTERN["date-time"][index % 2], "2024-01-02T03:04:05Z"],
            "inner": f"svc{index}.xn--fiqs8s.gov.cn",
        }
        fault = index % 13
        if fault == 1:
            record["host"] = WRONG["hostname"][index % 3]
        elif fault == 2:
            record["mail"] = WRONG["email"][index % 3]
        elif fault == 3:
            record["id"] = "x"  # another error beside valid off-pattern values
        elif fault == 4:
            record["not_host"] = OFF_PATTERN["hostname"][index % 3]  # a hostname under not
        elif fault == 5:
            record["extra"] = True  # unevaluated
        elif fault == 6:
            record["inner"] = WRONG["hostname"][index % 3]  # fails allOf: inner unevaluated
        elif fault == 7:
            record["times"].append(WRONG["date-time"][index % 2])
        elif fault == 8:
            record["one"] = "xn--bcher-kva.example"  # a hostname, not an email: one of two
        elif fault == 9:
            record["one"] = "a@[192.0.2.1]"  # an email: one of two
        bad += fault in (1, 2, 3, 4, 5, 6, 7)
        records.append(record)
    return records, bad


def _summary(report: Any) -> tuple[Any, ...]:
    issues = [(i.check, i.kind, i.line, i.pointer, i.message) for i in report.issues]
    return report.records, dict(report.counts), issues


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_off_pattern_values_report_what_the_exact_checker_reports(
    tmp_path: Path, fmt: ExportFormat
) -> None:
    records, bad = _mixed_records(1300)
    spec = make_spec(tmp_path / "std", fmt, key=("id",), schema=SCHEMA)
    rows = [json.dumps(r, ensure_ascii=False) for r in records]
    text = "\n".join(rows) + "\n" if fmt == "jsonl" else "[\n" + ",\n".join(rows) + "\n]\n"
    path = tmp_path / f"r.{fmt}"
    path.write_text(text, encoding="utf-8")
    exact = validate_export(spec, path, paths=(), max_per_type=10_000)
    assert not exact.paths  # the exact checker decided every record
    assert len({i.line for i in exact.issues if i.check == RECORDS}) == bad
    offered = [None, ("records",)] + ([("blocks", "records")] if fmt == "jsonl" else [])
    for paths in offered:
        report = validate_export(spec, path, paths=paths, max_per_type=10_000)
        assert _summary(report) == _summary(exact), paths
        # every valid record was taken by an acceptor, not left to the exact checker
        assert sum(report.paths.values()) == len(records) - bad, (paths, report.paths)


def test_a_file_of_a_label_hostnames_is_accepted_on_the_fast_path(tmp_path: Path) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["id", "host", "mail"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "host": {"type": "string", "format": "hostname"},
            "mail": {"type": "string", "format": "email"},
        },
    }
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
    labels = ["xn--bcher-kva.example", "xn--fiqs8s.gov.cn"]
    lines = [
        json.dumps(
            {"id": f"S-{i}", "host": f"svc{i}.{labels[i % 2]}", "mail": f"王{i}@政务.中国"},
            ensure_ascii=False,
        )
        for i in range(20_000)  # several blocks: past the first, the typed path pauses
    ]
    path = tmp_path / "hosts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_export(spec, path)
    assert report.records == 20_000
    assert not report.issues
    assert sum(report.paths.values()) == 20_000, report.paths  # none left to the exact checker
    assert report.paths["blocks"] > 10_000, report.paths
    assert "jsonschema-rs" in report.validation_path, report.validation_path


def test_lines_the_typed_path_refuses_are_checked_together_as_the_exact_checker_does(
    tmp_path: Path,
) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["id", "host"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "host": {"type": "string", "format": "hostname"},
            "n": {"type": "integer", "minimum": 0},
        },
    }
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
    lines = []
    for i in range(3000):
        host = f"svc{i}.xn--fiqs8s.gov.cn" if i % 3 == 0 else f"svc{i}.gov.cn"
        record: dict[str, Any] = {"id": f"S-{i}", "host": host, "n": i}
        if i % 97 == 0:
            record["host"] = f"svc{i}.xn--bcher-kva0.example"  # not an A-label
        if i % 89 == 0:
            record["n"] = -1  # beside a valid A-label, or a plain name
        lines.append(json.dumps(record))
    lines[10] = lines[9]  # a duplicate key
    lines[700] = "{not json"
    lines[701] = "[" * 300 + "]" * 300  # too deep
    lines[702] = ""
    lines[1400] = json.dumps({"id": "S-x", "host": "xn--55qx5d.cn", "id ": 1})
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    exact = validate_export(spec, path, paths=(), max_per_type=10_000)
    for paths in [None, ("typed", "records"), ("typed", "blocks", "records")]:
        report = validate_export(spec, path, paths=paths, max_per_type=10_000)
        assert _summary(report) == _summary(exact), paths
        assert report.paths["typed"] > 1000, report.paths
    default = validate_export(spec, path)
    assert default.paths["blocks"] > 900, default.paths  # the A-label records, together


def test_csv_rows_with_off_pattern_values_report_what_the_exact_checker_reports(
    tmp_path: Path,
) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["id", "host", "mail"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "host": {"type": "string", "format": "hostname"},
            "mail": {"type": "string", "format": "email"},
            "seen": {"type": "string", "format": "date-time"},
        },
    }
    spec = make_spec(tmp_path / "std", "csv", schema=schema)
    rows = ["id,host,mail,seen"]
    bad = 0
    for i in range(1200):
        host = OFF_PATTERN["hostname"][i % 3] if i % 2 else f"svc{i}.gov.cn"
        mail = OFF_PATTERN["email"][i % 2] if i % 5 else f"u{i}@example.org"
        seen = OFF_PATTERN["date-time"][0] if i % 7 == 0 else "2024-01-02T03:04:05Z"
        if i % 31 == 0:
            host = WRONG["hostname"][i % 3]
        if i % 37 == 0:
            seen = WRONG["date-time"][i % 2]
        bad += i % 31 == 0 or i % 37 == 0
        rows.append(f"S-{i},{host},{mail},{seen}")
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    exact = validate_export(spec, path, paths=(), max_per_type=10_000)
    assert len({i.line for i in exact.issues if i.check == RECORDS}) == bad
    for paths in [None, ("records",), ("columns", "records", "csv-blocks")]:
        report = validate_export(spec, path, paths=paths, max_per_type=10_000)
        assert _summary(report) == _summary(exact), paths
        accepted = report.paths["columns"] + report.paths["records"]
        assert accepted == 1200 - bad, (paths, report.paths)
