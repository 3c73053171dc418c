"""The fast path agrees with the slow one: formats, check characters, records, ranges."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from conformance.exports import RECORDS, UNIQUE_KEYS, VALIDATION_PATHS, validate_export
from conformance.exports._fast import (
    EXACT_ONLY_ENV,
    EXACT_PATTERNS,
    _Deferred,
    _exact_formats,
    _native_match,
    build_fast_validator,
    cached_format_check,
    fast_path_refusal,
    format_patterns,
)
from conformance.exports._keys import KeyHashes, key_hash
from conformance.exports._parallel import plan_ranges
from conformance.exports.progress import TerminalProgress
from conformance.formats import FORMATS
from conformance.formats._check_characters import (
    USCC_CHARSET,
    id_number_check_ok,
    uscc_check_ok,
)
from conformance.standards.loader import load_standard
from conformance.standards.model import ExportFormat
from conformance.validation import schema_validator
from tests.conftest import SetReadLimits
from tests.test_exports import make_spec

RETRY_SEEDS = (1, 2, 3, 4, 5)  # fixed seeds tried after a fixed draw is Unsatisfiable

ROOT = Path(__file__).resolve().parents[1]
NAMES = tuple(path.name for path in VALIDATION_PATHS)
LICENCE = ROOT / "standards" / "gov.e-licence" / "1.1.0"
PATTERNS = format_patterns(2026)
EXACT = tuple(sorted(EXACT_PATTERNS))
FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def _pattern(name: str) -> Any:
    return jsonschema_rs.validator_for({"pattern": PATTERNS[name]})


def _values(name: str) -> st.SearchStrategy[str]:
    fmt = FORMATS[name]
    return st.one_of(fmt.valid(), fmt.invalid(), st.text(max_size=30))


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_never_accepts_what_the_format_rejects(name: str) -> None:
    validator = _pattern(name)
    extra = {"cn-id-number": id_number_check_ok, "cn-uscc": uscc_check_ok}.get(name)

    @FAST
    @given(_values(name))
    def agree(value: str) -> None:
        fast = validator.is_valid(value) and (extra is None or extra(value))
        if fast:
            assert FORMATS[name].check(value) is None, value
        if name in EXACT:
            assert fast == (FORMATS[name].check(value) is None), value

    agree()


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_the_cached_format_check_answers_as_the_format(name: str) -> None:
    """The located errors' format callback (its pattern on jsonschema-rs's regex, Python's
    re for a lone surrogate) answers exactly as the format's own check."""
    ok = cached_format_check(FORMATS[name])

    @FAST
    @given(st.one_of(_values(name), _values(name).map(lambda value: value + "\ud800")))
    def agree(value: str) -> None:
        assert ok(value) == (FORMATS[name].check(value) is None), value
        assert ok(value) == (FORMATS[name].check(value) is None), value  # cached the same

    agree()


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_the_jsonschema_rs_format_callbacks_answer_as_the_format(name: str) -> None:
    """The callbacks jsonschema-rs calls (the locator's, the fast path's formats left
    exact) answer as the format's own check on every Unicode string; an exact pattern's
    callback is jsonschema-rs's own regex."""
    ok = _exact_formats({name})[name]
    if name in EXACT and name not in ("cn-id-number", "cn-uscc"):
        assert ok is _native_match(PATTERNS[name])

    @FAST
    @given(_values(name))
    def agree(value: str) -> None:
        assert ok(value) == (FORMATS[name].check(value) is None), value

    agree()


@pytest.mark.parametrize(
    "value",
    [
        "http://[2001:db8::1]:8080/x",
        "https://[::ffff:1.2.3.4]/a?b#c",
        "ldap://[2001:db8::7]/c=GB?objectClass?one",
    ],
)
def test_uri_pattern_takes_ipv6_literals(value: str) -> None:
    assert _pattern("uri").is_valid(value)
    assert FORMATS["uri"].check(value) is None


def test_hostname_pattern_takes_every_name_without_an_a_label() -> None:
    validator = _pattern("hostname")
    assert not validator.is_valid("xn--fiqs8s.gov.cn")  # the exact check decides
    assert FORMATS["hostname"].check("xn--fiqs8s.gov.cn") is None

    @FAST
    @given(FORMATS["hostname"].valid())
    def taken(value: str) -> None:
        if not any(label[2:4] == "--" for label in value.split(".")):
            assert validator.is_valid(value), value

    taken()


def test_check_characters_by_arithmetic_match_the_formats() -> None:
    @FAST
    @given(st.one_of(FORMATS["cn-id-number"].valid(), FORMATS["cn-id-number"].invalid()))
    def ids(value: str) -> None:
        if _pattern("cn-id-number").is_valid(value):
            assert id_number_check_ok(value) == (FORMATS["cn-id-number"].check(value) is None)

    @FAST
    @given(st.one_of(FORMATS["cn-uscc"].valid(), FORMATS["cn-uscc"].invalid()))
    def usccs(value: str) -> None:
        if _pattern("cn-uscc").is_valid(value):
            assert uscc_check_ok(value) == (FORMATS["cn-uscc"].check(value) is None)

    ids()
    usccs()
    assert id_number_check_ok("11010519491231002X")
    assert not id_number_check_ok("110105194912310021")
    assert uscc_check_ok("91110000600037341L")
    assert not uscc_check_ok("91110000600037341M")


def _licence_records() -> list[dict[str, Any]]:
    path = LICENCE / "examples" / "licences.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_deferred_validators_compile_at_their_first_call_and_answer_alike() -> None:
    """``defer=True`` (a typed path in front): the jsonschema-rs validators are compiled
    only when first asked, then answer as compiled ones; ``materialized`` compiles them
    for the paths that ask about every record, leaving no Python call in between."""
    schema = LICENCE / "schemas" / "licence.schema.json"
    eager = build_fast_validator(schema, LICENCE)
    lazy = build_fast_validator(schema, LICENCE, defer=True)
    assert eager is not None
    assert lazy is not None
    assert isinstance(lazy.is_valid, _Deferred)
    assert lazy.is_valid._call is None
    records = _licence_records()
    broken = [json.loads(json.dumps(r)) for r in records]
    for record in broken:
        record["issue_date"] = record["issue_date"][:8] + "31"
        record["updated_at"] = "2024-01-01 00:00:00"  # off the subset pattern and the format
    for record in records + broken:
        assert lazy.check(record) == eager.check(record), record
    assert lazy.is_valid._call is not None
    compiled = build_fast_validator(schema, LICENCE, defer=True)
    assert compiled is not None
    done = compiled.materialized()
    assert done is not None
    assert not isinstance(done.is_valid, _Deferred)
    assert not isinstance(done.rescue, _Deferred)
    assert [done.check(r) for r in records + broken] == [eager.check(r) for r in records + broken]


def test_fast_validator_of_the_licence_schema_agrees_with_python_jsonschema() -> None:
    schema = LICENCE / "schemas" / "licence.schema.json"
    fast = build_fast_validator(schema, LICENCE)
    assert fast is not None
    assert set(fast.sites.values()) == {"cn-id-number", "cn-uscc"}
    assert fast.max_depth == 2  # no record nests deeper: no depth count needed
    slow = schema_validator(schema)
    base = _licence_records()

    mutations = st.sampled_from(
        [
            ("holder", "id_number", lambda v: v[:-1] + ("0" if v[-1] != "0" else "1")),
            ("holder", "uscc", lambda v: v[:-1] + ("0" if v[-1] != "0" else "1")),
            ("issuer", "uscc", lambda v: v[:-1] + ("A" if v[-1] != "A" else "B")),
            (None, "issue_date", lambda v: v[:8] + "31"),
            (None, "updated_at", lambda v: v.replace("T", " ")),
            (None, "division_code", lambda v: "99" + v[2:]),
            (None, "status", lambda v: v.upper()),
        ]
    )

    @FAST
    @given(st.sampled_from(base), mutations, st.booleans())
    def agree(record: dict[str, Any], mutation: Any, mutate: bool) -> None:
        record = json.loads(json.dumps(record))
        parent_name, name, change = mutation
        parent = record if parent_name is None else record[parent_name]
        if mutate and name in parent and isinstance(parent[name], str):
            parent[name] = change(parent[name])
        valid = not list(slow.iter_errors(record))
        if fast.check(record):
            assert valid, record
        elif valid:  # conservative refusals are allowed, but not for these values
            pytest.fail(f"fast path refused a valid record: {record}")

    agree()


def _code(name: str) -> st.SearchStrategy[str]:
    """A code of the format, its check character sometimes changed (still of its pattern)."""
    alphabet = "0123456789X" if name == "cn-id-number" else USCC_CHARSET
    return st.tuples(FORMATS[name].valid(), st.none() | st.sampled_from(alphabet)).map(
        lambda pair: pair[0] if pair[1] is None else pair[0][:-1] + pair[1]
    )


def test_check_characters_of_a_block_agree_with_one_value_at_a_time(tmp_path: Path) -> None:
    """``sites_ok_each`` (a site's codes of many values checked together) answers as
    ``sites_ok`` does value by value, on values jsonschema-rs accepted: sites that are
    members, nested members, array items and prefix items; values lacking them, values
    that are not objects, blocks below and above the size where numpy takes over."""
    (tmp_path / "standard.yaml").write_text("id: x\n", encoding="utf-8")
    schema = tmp_path / "r.schema.json"
    document = {
        "properties": {
            "id": {"type": "string", "format": "cn-id-number"},
            "org": {"properties": {"uscc": {"format": "cn-uscc"}}},
            "people": {"items": {"properties": {"id": {"format": "cn-id-number"}}}},
            "pair": {"prefixItems": [{"format": "cn-uscc"}]},
        }
    }
    schema.write_text(json.dumps(document), encoding="utf-8")
    fast = build_fast_validator(schema, tmp_path)
    assert fast is not None
    assert fast.sites_many is not None
    assert len(fast.sites) == 4
    ids, usccs = _code("cn-id-number"), _code("cn-uscc")
    record = st.fixed_dictionaries(
        {},
        optional={
            "id": ids,
            "org": st.fixed_dictionaries({}, optional={"uscc": usccs}) | st.integers(),
            "people": st.lists(st.fixed_dictionaries({}, optional={"id": ids}), max_size=3),
            "pair": st.lists(usccs, max_size=2),
        },
    )
    value = st.one_of(record, record, record, st.text(max_size=3), st.integers(), st.lists(ids))

    @FAST
    @given(st.lists(value, max_size=40))
    def agree(values: list[Any]) -> None:
        accepted = [v for v in values if fast.is_valid(v)]
        assert fast.sites_ok_each(accepted) == [fast.sites_ok(v) for v in accepted]

    agree()
    many = [{"id": "11010519491231002X"}] * 20 + [{"id": "110105194912310021"}]
    assert fast.sites_ok_each(many) == [True] * 20 + [False]


def test_unsafe_patterns_get_no_fast_path(tmp_path: Path) -> None:
    (tmp_path / "standard.yaml").write_text("id: x\n", encoding="utf-8")
    schema = tmp_path / "r.schema.json"
    schema.write_text(json.dumps({"properties": {"a": {"pattern": "^\\w+$"}}}), encoding="utf-8")
    assert build_fast_validator(schema, tmp_path) is None
    # a root $id keeps the fast path (issue 17 item 1); an embedded resource does not
    schema.write_text(json.dumps({"$id": "urn:x", "type": "object"}), encoding="utf-8")
    assert build_fast_validator(schema, tmp_path) is not None
    embedded = {"properties": {"a": {"$id": "urn:y", "type": "string"}}}
    schema.write_text(json.dumps(embedded), encoding="utf-8")
    assert build_fast_validator(schema, tmp_path) is None
    assert "embedded resource" in (fast_path_refusal(schema, tmp_path) or "")
    schema.write_text(json.dumps({"properties": {"a": {"pattern": "^[a-z]+$"}}}), encoding="utf-8")
    assert build_fast_validator(schema, tmp_path) is not None


def test_conditional_formats_stay_exact_callbacks(tmp_path: Path) -> None:
    (tmp_path / "standard.yaml").write_text("id: x\n", encoding="utf-8")
    schema = tmp_path / "r.schema.json"
    schema.write_text(
        json.dumps(
            {
                "type": "object",
                "anyOf": [
                    {"properties": {"id": {"format": "cn-id-number"}}},
                    {"required": ["never"]},
                ],
            }
        ),
        encoding="utf-8",
    )
    fast = build_fast_validator(schema, tmp_path)
    assert fast is not None
    assert fast.sites == {}
    assert fast.check({"id": "11010519491231002X"})
    assert not fast.check({"id": "110105194912310021"})


def test_key_hashes_find_candidates_and_tokens_keep_types_apart() -> None:
    hashes = KeyHashes()
    for values in (["a"], ["b"], ["a"], [1], [1.0], [True], [[1, 2]], [[1, 2]]):
        hashes.add(values)
    candidates = hashes.candidates()
    assert key_hash(["a"]) in candidates
    assert key_hash([1]) in candidates  # 1, 1.0 and True collide: only tokens decide
    assert key_hash(["b"]) not in candidates
    merged = KeyHashes.from_bytes(hashes.to_bytes())
    assert merged.candidates() == candidates


def _write_jsonl(path: Path, records: list[dict[str, Any]], extra: dict[int, str]) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    for index, text in extra.items():
        lines[index] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_parallel_ranges_give_the_same_report(tmp_path: Path, limits: SetReadLimits) -> None:

    limits(min_range_bytes=64 * 1024)
    spec = load_standard(LICENCE).export("licences-jsonl")
    base = _licence_records()
    records = []
    for number in range(3000):
        record = json.loads(json.dumps(base[number % len(base)]))
        record["licence_id"] = f"BL-2020-{number:06d}"
        records.append(record)
    records[2500]["licence_id"] = records[10]["licence_id"]  # a duplicate across ranges
    records[1700]["holder"] = {**records[1700]["holder"], "name": ""}
    path = _write_jsonl(tmp_path / "l.jsonl", records, {1200: "  ", 2900: '{"cut'})
    assert len(plan_ranges(path, 3)) == 3
    one = validate_export(spec, path)
    three = validate_export(spec, path, jobs=3)
    assert one.records == three.records == 2999
    assert one.counts == three.counts
    assert [(i.kind, i.line, i.message) for i in one.issues] == [
        (i.kind, i.line, i.message) for i in three.issues
    ]
    dup = next(i for i in three.issues if i.check == UNIQUE_KEYS)
    assert (dup.line, "first at line 11") == (2501, "first at line 11")
    assert "first at line 11" in dup.message
    assert three.counts[(RECORDS, "blank-line")] == 1


def test_range_plan_lines_are_absolute(tmp_path: Path, limits: SetReadLimits) -> None:

    limits(min_range_bytes=100)
    path = tmp_path / "l.jsonl"
    path.write_bytes(b"".join(b'{"n": %d}\n' % i for i in range(200)))
    plan = plan_ranges(path, 4)
    assert len(plan) == 4
    data = path.read_bytes()
    for start, _end, line in plan:
        assert start == 0 or data[start - 1 : start] == b"\n"
        assert line == data.count(b"\n", 0, start) + 1


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_appears_only_for_slow_files() -> None:
    import io

    out = io.StringIO()
    clock = _Clock()
    progress = TerminalProgress("licences-jsonl", stream=out, clock=clock)
    progress(10, 100)
    assert out.getvalue() == ""  # the first seconds are quiet
    clock.now = 20.0
    progress(50, 100)
    clock.now = 21.0
    progress(100, 100)
    lines = out.getvalue().splitlines()
    assert "licences-jsonl" in lines[0]
    assert " 50.0%" in lines[0]
    assert "100.0%" in lines[-1]
    quick = io.StringIO()
    fast = TerminalProgress("x", stream=quick, clock=_Clock())
    fast(100, 100)
    assert quick.getvalue() == ""


def test_many_files_side_by_side_match_one_by_one(tmp_path: Path) -> None:
    from conformance.exports import validate_many

    standard = load_standard(LICENCE)
    jsonl = standard.export("licences-jsonl")
    xml = standard.export("licences-xml")
    records = _licence_records()
    records[1]["status"] = "lost"
    bad = _write_jsonl(tmp_path / "bad.jsonl", records, {})
    items = [
        (jsonl, LICENCE / "examples" / "licences.jsonl"),
        (xml, LICENCE / "examples" / "licences.xml"),
        (jsonl, bad),
        (jsonl, tmp_path / "missing.jsonl"),
    ]
    together = validate_many(items, max_per_type=10, jobs=2)
    alone = [validate_export(spec, path, max_per_type=10) for spec, path in items]
    assert [(r.records, r.counts, [i.message for i in r.issues]) for r in together] == [
        (r.records, r.counts, [i.message for i in r.issues]) for r in alone
    ]
    assert together[2].counts[(RECORDS, "enum")] == 1
    assert together[3].counts[(RECORDS, "unreadable")] == 1


@pytest.mark.slow
def test_run_with_jobs_gives_the_same_results(tmp_path: Path) -> None:
    from tests.conftest import FIXTURE, TOKEN_ENV, run_cli

    outcomes = {}
    for jobs in ("1", "2", "auto"):  # auto: one process per CPU
        done = run_cli(
            "run",
            "--standard",
            "gov.data-catalogue@1.0.0",
            "--candidate",
            str(FIXTURE / "candidate.yaml"),
            "--jobs",
            jobs,
            "--reports-dir",
            str(tmp_path),
            "--run-id",
            f"jobs{jobs}",
            env={TOKEN_ENV: "not-used-without-an-api"},
        )
        assert done.code == 0, done.out + done.err
        data = json.loads((tmp_path / f"jobs{jobs}" / "results.json").read_text("utf-8"))
        outcomes[jobs] = [(r["id"], r["status"], r["examined"]) for r in data["results"]]
    assert outcomes["1"] == outcomes["2"] == outcomes["auto"]
    done = run_cli("run", "--candidate", str(FIXTURE / "candidate.yaml"), "--jobs", "0")
    assert done.code == 2
    assert "--jobs" in done.err


@pytest.mark.slow
def test_run_with_exact_only_gives_the_same_results_by_the_exact_checker(
    tmp_path: Path,
) -> None:
    """``conformance run --exact-only`` (with --jobs 2: the side-by-side workers too) offers
    no acceptor a record; results.json says so per export, and the verdicts do not move."""
    from tests.conftest import FIXTURE, TOKEN_ENV, run_cli

    outcomes = {}
    paths = {}
    for name, extra in (("default", ()), ("exact", ("--exact-only",))):
        done = run_cli(
            "run",
            "--standard",
            "gov.data-catalogue@1.0.0",
            "--candidate",
            str(FIXTURE / "candidate.yaml"),
            "--jobs",
            "2",
            *extra,
            "--reports-dir",
            str(tmp_path),
            "--run-id",
            name,
            env={TOKEN_ENV: "not-used-without-an-api", EXACT_ONLY_ENV: ""},
        )
        assert done.code == 0, done.out + done.err
        data = json.loads((tmp_path / name / "results.json").read_text("utf-8"))
        outcomes[name] = [(r["id"], r["status"], r["examined"]) for r in data["results"]]
        paths[name] = {
            (r["id"], r["evidence"]["file"]): r["evidence"]["validation_path"]
            for r in data["results"]
            if "validation_path" in (r.get("evidence") or {})
        }
    assert outcomes["default"] == outcomes["exact"]
    assert len(paths["exact"]) > 1
    assert set(paths["exact"].values()) == {"exact (--exact-only)"}, paths["exact"]
    assert not any(path.startswith("exact (") for path in paths["default"].values()), paths


def _csv_spec(tmp_path: Path) -> Any:
    properties = {
        "id": {"type": "string"},
        "holder_id": {"type": "string", "format": "cn-id-number"},
        "count": {"type": "integer"},
        "note": {"type": "string"},
    }
    return _spec_of_rows(tmp_path, ["id", "holder_id"], properties, "absent")


def _spec_of_rows(
    tmp_path: Path,
    required: list[str],
    properties: dict[str, Any],
    empty: str,
    encoding: str = "utf-8",
) -> Any:
    """A CSV export named rows, keyed by id, of a flat schema written into ``tmp_path``."""
    from conformance.standards.model import CsvOptions, ExportSpec, Text

    schema = tmp_path / "row.schema.json"
    body = {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }
    schema.write_text(json.dumps(body), encoding="utf-8")
    return ExportSpec(
        name="rows",
        title=Text("行", "Rows"),
        format="csv",
        encoding=encoding,
        schema_path=schema,
        clauses=("X-001",),
        key=("id",),
        csv=CsvOptions(empty=empty),  # type: ignore[arg-type]
    )


def test_csv_blocks_report_bad_bytes_and_oversized_lines(
    tmp_path: Path, limits: SetReadLimits
) -> None:
    from conformance.exports import ENCODING

    limits(record_bytes=4096)
    spec = _csv_spec(tmp_path)
    good = "11010519491231002X"
    head = f"id,holder_id,count,note\nA1,{good},1,x\n".encode()
    bad_row = f"A2,{good},2,caf".encode() + b"\xff" + b"\n"
    huge = f"A3,{good},3,{'y' * 5000}\n".encode()
    tail = f"A4,{good[:-1]}1,four,z\nA1,{good},5,\n".encode()
    path = tmp_path / "rows.csv"
    path.write_bytes(head + bad_row + huge + tail)
    report = validate_export(spec, path)
    invalid = next(i for i in report.issues if i.kind == "invalid-bytes")
    assert invalid.check == ENCODING
    assert invalid.line == 3
    assert invalid.byte_offset == len(head) + bad_row.index(b"\xff")
    too_large = next(i for i in report.issues if i.kind == "record-too-large")
    assert too_large.line == 4
    kinds = {(i.kind, i.row) for i in report.issues if i.check == RECORDS}
    assert ("format:cn-id-number", 3) in kinds  # rows after the skipped line still checked
    assert ("type", 3) in kinds
    duplicate = next(i for i in report.issues if i.check == UNIQUE_KEYS)
    assert "first at row 1" in duplicate.message
    assert duplicate.row == 4


def _record_schemas() -> list[tuple[Path, Path]]:
    found = []
    for manifest in sorted((ROOT / "standards").glob("*/*/standard.yaml")):
        standard = load_standard(manifest.parent)
        for spec in standard.exports:
            if spec.format != "xml":
                found.append((manifest.parent, spec.schema_path))
    return sorted(set(found))


RECORD_SCHEMAS = _record_schemas()


def _wording(errors: list[Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            str(e.validator),
            repr(e.validator_value),
            tuple(e.absolute_path),
            tuple(e.absolute_schema_path),
            e.message,
            repr(e.instance),
        )
        for e in errors
    )


@pytest.mark.parametrize(
    "item", RECORD_SCHEMAS, ids=[f"{f.parent.name}@{f.name}/{s.name}" for f, s in RECORD_SCHEMAS]
)
def test_located_errors_are_worded_as_a_whole_record_validation(
    item: tuple[Path, Path],
) -> None:
    from conformance.generation import invalid_from_schema
    from conformance.validation import SchemaSet, _version_folder

    _, schema_path = item
    folder = _version_folder(schema_path)  # a profile's merged copy lives elsewhere
    slow = schema_validator(schema_path)
    fast = build_fast_validator(schema_path, folder, slow, 50)
    assert fast is not None
    assert fast.locator is not None
    locator = fast.locator
    schemas = SchemaSet(folder)
    schema, resolver = schemas.lookup(schemas.uri(schema_path))
    located = 0

    def agree(value: Any) -> None:
        nonlocal located
        errors = locator.errors(value)
        expected = list(slow.iter_errors(value))
        if errors is None:
            return  # the caller words the record with python-jsonschema
        located += 1
        assert _wording(errors) == _wording(expected), value

    def faults(fixed: int | None) -> None:
        @settings(
            max_examples=60,
            database=None,
            derandomize=True,  # one fixed draw per schema (a profile's patterns filter a lot)
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            invalid_from_schema(schema, resolver=resolver),
            invalid_from_schema(schema, resolver=resolver),
        )
        def single_and_double_faults(first: Any, second: Any) -> None:
            agree(first.value)
            # two faults in one record: the second mutation's broken place copied into the first
            if isinstance(first.value, dict) and isinstance(second.value, dict):
                agree({**second.value, **first.value})

        (single_and_double_faults if fixed is None else seed(fixed)(single_and_double_faults))()

    # Hypothesis mixes the literals of the loaded modules into its draws, so an unrelated
    # edit may turn the fixed draw into one the profile's narrowed patterns filter whole
    # (Unsatisfiable: no input, no counterexample). Then a few other fixed seeds, each as
    # strict: the property must hold, and be tried, under one of them.
    for fixed in (None, *RETRY_SEEDS):
        try:
            faults(fixed)
            break
        except Unsatisfiable:
            continue
    else:
        pytest.fail(f"no fixed seed drew an input the schema's patterns keep: {RETRY_SEEDS}")
    assert located > 0  # the located wording is really used for this schema


def test_block_path_reports_exactly_what_the_line_path_reports(tmp_path: Path) -> None:
    spec = load_standard(LICENCE).export("licences-jsonl")
    base = _licence_records()
    lines = []
    for number in range(900):
        record = json.loads(json.dumps(base[number % len(base)]))
        record["licence_id"] = f"BL-2020-{number:06d}"
        if number % 37 == 0:
            record["status"] = "cancelled"  # invalid: worded by the error locator
        if number % 91 == 0:
            record["holder"] = {"type": "person", "name": "x", "uscc": "91110000600037341L"}
        lines.append(json.dumps(record, ensure_ascii=False))
    lines[5] = lines[4]  # a duplicate key
    lines[300] = "[" * 300 + "]" * 300  # too deep
    lines[301] = "{not json"
    lines[302] = ""  # blank
    lines[400] = json.dumps({**json.loads(lines[400]), "licence_id": ["unhashable"]})
    lines[500] = json.dumps(json.loads(lines[500])) + "\r"  # one CRLF line among LF lines
    path = tmp_path / "l.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))

    def summary(paths: tuple[str, ...]) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        assert set(report.paths) == set(paths), report.paths  # each offered path took some
        issues = [(i.check, i.kind, i.line, i.pointer, i.message) for i in report.issues]
        return report.records, dict(report.counts), issues

    # the orjson blocks themselves, not the typed path before them (test_exports_typed's)
    blocks = summary(("blocks", "records"))
    assert blocks == summary(("records",))  # line by line
    assert blocks == summary(())  # the exact checker alone
    records, counts, _ = blocks
    assert records == 899
    assert counts[(RECORDS, "enum")] == len(range(0, 900, 37))
    assert counts[(RECORDS, "too-deep")] == 1
    assert counts[(UNIQUE_KEYS, "duplicate-key")] == 1


def _xml_licences(count: int) -> str:
    """``count`` licence records (one valid organisation record, renumbered) with seeded faults."""
    template = (
        "<Licence><LicenceId>{id}</LicenceId><LicenceType>BL</LicenceType><Name>营业执照</Name>"
        "<Holder><Type>organisation</Type><Name>云帆餐饮</Name><Uscc>{uscc}</Uscc></Holder>"
        "<Issuer><Name>市场监督管理局</Name><Uscc>11330106FEDKF30CWX</Uscc></Issuer>"
        "<DivisionCode{nil}>{division}</DivisionCode><IssueDate>2025-11-30</IssueDate>"
        "<Status>{status}</Status><UpdatedAt>2025-11-30T09:45:00+08:00</UpdatedAt></Licence>"
    )
    records = []
    for number in range(count):
        fields = {
            "id": f"BL-2025-{number:06d}",
            "uscc": "91330106MA2H7Q4K09",
            "nil": "",
            "division": "330106",
            "status": "valid",
        }
        if number % 37 == 0:
            fields["status"] = "cancelled"  # XSD: not in the enumeration
        if number % 53 == 0:
            fields["uscc"] = "91330106MA2H7Q4K08"  # format: wrong check character
        if number % 41 == 0:
            fields["division"] = "990106"  # format: no such province
        if number == 100:
            fields["id"] = "BL-2025-000099"  # a duplicate key
        if number == 200:
            fields["division"] = "<!-- c -->330106"  # .text is empty: a format error
        if number == 500:
            fields["nil"] = ' xsi:nil="true"'  # not nillable: an XSD error
        record = template.format(**fields)
        if number == 300:
            record = record.replace("<Licence>", '<Licence xmlns="urn:elsewhere">', 1)
        if number == 400:
            record = record.replace(f"<LicenceId>{fields['id']}</LicenceId>", "")
        records.append(record)
    body = "\n".join(
        # two records on one line now and then: errors are placed by path, not line
        f"  {record}" + ("" if number % 97 == 5 else "\n")
        for number, record in enumerate(records)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Licences xmlns="urn:gov-conformance:e-licence:1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{body}</Licences>\n"
    )


def test_xml_batches_report_exactly_what_record_by_record_reports(tmp_path: Path) -> None:
    spec = load_standard(LICENCE).export("licences-xml")
    path = tmp_path / "l.xml"
    path.write_text(_xml_licences(700), encoding="utf-8")

    def summary(paths: tuple[str, ...]) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        assert set(report.paths) == set(paths), report.paths
        issues = [(i.check, i.kind, i.line, i.xpath, i.message) for i in report.issues]
        # each kind's issues in file order (what the capped listing keeps); how kinds
        # interleave follows the batches, which differ between the two ways
        return report.records, dict(report.counts), sorted(issues, key=lambda i: (i[0], i[1]))

    batches = summary(("batches",))
    assert batches == summary(())  # record by record
    records, counts, issues = batches
    assert records == 700
    assert counts[(UNIQUE_KEYS, "duplicate-key")] == 1
    assert counts[(RECORDS, "format:cn-uscc")] == len(range(0, 700, 53))
    assert counts[(RECORDS, "format:cn-division-code")] == len(range(0, 700, 41)) + 1
    xsd = [issue for issue in issues if issue[1] == "xsd"]
    # the enumeration, the foreign namespace, the missing key, the nil: each in its record
    assert {issue[3] for issue in xsd} >= {
        "/Licences/Licence[38]/Status",
        "/Licences/Licence[301]",
        "/Licences/Licence[401]/LicenceType",
        "/Licences/Licence[501]/DivisionCode",
    }


def _rows_spec(tmp_path: Path, empty: str, encoding: str = "utf-8") -> Any:
    properties = {
        "id": {"type": "string"},
        "holder_id": {"type": "string", "format": "cn-id-number"},
        "status": {"enum": ["valid", "expired"]},
        "count": {"type": ["integer", "null"]},
        "note": {"type": ["string", "null"]},
    }
    return _spec_of_rows(tmp_path, ["id", "holder_id", "status"], properties, empty, encoding)


def _mixed_csv_lines(note: str = "note") -> list[str]:
    """A CSV file's lines (without endings): valid and invalid rows, and every oddity.

    Row n is on line n + 1 up to row 200 (its cell holds a newline), n + 2 up to row 299,
    and n + 4 after the two blank lines.
    """
    good, bad_check = "11010519491231002X", "110105194912310021"
    lines = ["id,holder_id,status,count,note"]
    for n in range(1, 1301):
        status = "cancelled" if n % 37 == 0 else "valid"  # enum
        holder = bad_check if n % 53 == 0 else good  # check character
        holder = "" if n % 71 == 0 else holder  # required (or format / type, by empty mode)
        text = "" if n % 97 == 0 else f"{note} {n}"
        lines.append(f"R{n:05d},{holder},{status},{n},{text}")
    lines[200] = f'R00200,{good},valid,200,"two\nlines"'  # a quoted cell with a newline
    lines[201] = f'R00201,{good},valid,201,"say ""hi"""'  # a doubled quote
    lines[400] += "\r"  # one CRLF line among LF lines
    lines[500] = f"R00500,{good},valid,500,=SUM(A1)"  # formula cells (and data that is not)
    lines[501] = f"R00501,{good},valid,-501,-5"
    lines[502] = f"R00502,{good},expired,502,@cmd"
    lines[503] = f"+R00503,{good},valid,503,x"
    lines[600] += ",extra"  # too many cells
    lines[601] = f"R00601,{good},valid"  # too few
    lines[650] = "   "  # only spaces: one cell
    lines[700] = lines[699]  # a duplicate key
    lines[800] = f"R00800,{good},valid,x12,typed"  # not an integer
    lines[950] = f'R00950,{good},valid,950,"x"y'  # not valid CSV
    lines[1000:1200] = [line + "\r" for line in lines[1000:1200]]  # a run of CRLF lines
    lines[300:300] = ["", ""]  # blank lines
    return lines


def _csv_runs(
    spec: Any, path: Path, limits: SetReadLimits, sizes: tuple[int, ...]
) -> list[tuple[Any, ...]]:
    """The report of each block size, by the block path, then with it not offered."""

    read_whole: list[int] = []

    def summary(paths: tuple[str, ...] | None) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        read_whole.append(report.paths["csv-blocks"])
        issues = [
            (i.check, i.kind, i.line, i.row, i.pointer, i.byte_offset, i.message)
            for i in report.issues
        ]
        return report.records, dict(report.counts), issues, report.bytes_read

    summaries = []
    by_blocks = []
    for size in sizes:
        limits(csv_block_bytes=size)
        blocks = summary(None)
        by_blocks.append(read_whole[-1])
        without = tuple(name for name in NAMES if name != "csv-blocks")
        assert summary(without) == blocks, f"block size {size}"
        assert read_whole[-1] == 0
        summaries.append(blocks)
    assert max(by_blocks) > 0  # the block path really ran
    assert min(by_blocks) < summaries[0][0]  # and so did the line path
    return summaries


@pytest.mark.parametrize("empty", ["absent", "null", "empty-string"])
def test_csv_block_path_reports_exactly_what_the_line_path_reports(
    tmp_path: Path, limits: SetReadLimits, empty: str
) -> None:
    spec = _rows_spec(tmp_path, empty)
    lines = [*_mixed_csv_lines(), "", ""]  # a blank line at the end
    path = tmp_path / "rows.csv"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    summaries = _csv_runs(spec, path, limits, (4096, 1000, 333, 1024 * 1024))
    assert all(s[:2] == summaries[0][:2] for s in summaries)  # block size changes nothing
    records, counts, issues, _ = summaries[0]
    assert records == 1300
    assert counts[(RECORDS, "enum")] == len(range(37, 1301, 37))
    assert counts[(RECORDS, "csv-row")] == 3
    assert counts[(RECORDS, "parse")] == 1
    assert counts[(RECORDS, "type")] >= 1
    assert counts[(UNIQUE_KEYS, "duplicate-key")] == 1
    blanks = [i[2] for i in issues if i[1] == "blank-line"]
    assert blanks == [302, 303, len(lines)]
    mixed = next(i for i in issues if i[1] == "mixed-line-endings")
    assert mixed[2] == 404  # the first CRLF line
    formula = [(i[2], i[3], i[4]) for i in issues if i[1] == "formula-cell"]
    assert formula == [(504, 500, "/note"), (506, 502, "/note"), (507, 503, "/id")]


def test_csv_block_path_keeps_encoding_reports(tmp_path: Path, limits: SetReadLimits) -> None:
    spec = _rows_spec(tmp_path, "absent", "gb18030")
    lines = _mixed_csv_lines("备注")
    data = [line.encode("gb18030") for line in lines]
    data[120] = lines[120].encode("utf-8")  # UTF-8 Chinese in a GB 18030 file
    data[900] = data[900].replace(b"R", b"\xff")  # not GB 18030 at all
    path = tmp_path / "rows.csv"
    path.write_bytes(b"\n".join(data))  # the last line without an ending
    summaries = _csv_runs(spec, path, limits, (4096, 777))
    counts, issues = summaries[0][1], summaries[0][2]
    assert counts[("export_encoding", "mixed-encoding")] == 1
    invalid = next(i for i in issues if i[1] == "invalid-bytes")
    assert (invalid[2], invalid[5]) == (902, sum(map(len, data[:900])) + 900)
    truncated = next(i for i in issues if i[1] == "truncated-last-line")
    assert truncated[2] == len(data) + 1  # a quoted cell holds a newline

    spec = _rows_spec(tmp_path, "null")
    path.write_bytes(b"\n".join(line.encode("utf-8") for line in lines[:400]) + b"\xff\n")
    counts = _csv_runs(spec, path, limits, (2048,))[0][1]
    assert counts[("export_encoding", "invalid-bytes")] == 1


def _odd_xml(count: int) -> str:
    """Licence records with what the compiled record must leave to lxml, and a stop."""
    text = _xml_licences(count)
    lines = text.split("\n")  # a record on every other line
    swaps = {
        12: lambda line: line.replace("<Licence>", '<Licence id="a">', 1),  # an attribute
        20: lambda line: line.replace("<Name>营业执照</Name>", "<Name>营业&amp;执照</Name>"),
        36: lambda line: line + "  <Licence/>",  # an empty record sharing a line
        52: lambda line: line.replace("</Licence>", "</Licence >", 1),
        60: lambda line: line + "\r",  # a CRLF line
        # the scanner stops at a CDATA section (lxml takes the rest)
        290: lambda line: line.replace(
            "<Status>valid</Status>", "<Status><![CDATA[valid]]></Status>", 1
        ),
        300: lambda line: "  <!-- a comment -->\n" + line,
    }
    for number, change in swaps.items():
        lines[number] = change(lines[number])
    return "\n".join(lines)


@pytest.mark.parametrize("chunk", [1000, 4096, 256 * 1024])
def test_compiled_records_report_exactly_what_lxml_reports(
    tmp_path: Path, limits: SetReadLimits, chunk: int
) -> None:

    limits(chunk_bytes=chunk)
    spec = load_standard(LICENCE).export("licences-xml")
    path = tmp_path / "l.xml"
    path.write_text(_odd_xml(400), encoding="utf-8")
    taken: list[Counter[str]] = []

    def summary(paths: tuple[str, ...]) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        taken.append(report.paths)
        issues = [(i.check, i.kind, i.line, i.xpath, i.message) for i in report.issues]
        return report.records, dict(report.counts), sorted(issues, key=lambda i: (i[0], i[1]))

    compiled = summary(("compiled", "batches"))
    assert 100 < taken[-1]["compiled"] < 145  # taken up to the CDATA (record 145), none after
    assert compiled == summary(("batches",))  # the batches alone
    assert taken[-1]["batches"] > 0
    assert not taken[-1]["compiled"]
    assert compiled == summary(())  # record by record
    assert not taken[-1]
    records, counts, _ = compiled
    assert records == 401  # the empty record too
    assert counts[(RECORDS, "format:cn-uscc")] == len(range(0, 400, 53))


def test_compiled_records_count_only_what_lxml_read_before_a_syntax_error(
    tmp_path: Path,
) -> None:
    spec = load_standard(LICENCE).export("licences-xml")
    lines = _xml_licences(400).split("\n")
    lines[201] = lines[201].replace("<Name>营业执照</Name>", "<Name>营业&执照</Name>")  # bare &
    path = tmp_path / "l.xml"
    path.write_text("\n".join(lines), encoding="utf-8")

    def summary(paths: tuple[str, ...]) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        return report.records, dict(report.counts), report.complete

    compiled = summary(("compiled", "batches"))
    assert compiled == summary(("batches",))
    assert compiled[0] == 100  # line 202 holds record 101
    assert compiled[1][(RECORDS, "parse")] == 1
    assert compiled[2] is False


# ---------------------------------------------------------------- published schema constructs

PUBLISHED = "https://standards.example.gov.cn/records/2.0/"


def _published_schemas(folder: Path) -> Path:
    """A record schema written as published ones are: root $id, $anchor, $ref into $defs
    and across files by URL and by relative path, oneOf/anyOf/allOf/not, if/then/else,
    dependentRequired, patternProperties, unevaluatedProperties, const, nested arrays of
    objects, and the suite's formats."""
    folder.mkdir(parents=True, exist_ok=True)
    common = {
        "$id": f"{PUBLISHED}common.schema.json",
        "$defs": {
            "code": {"$anchor": "code", "type": "string", "format": "cn-division-code"},
            "contact": {
                "type": "object",
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "site": {"type": "string", "format": "uri"},
                    "phone": {"type": "string", "format": "cn-mobile"},
                },
                "anyOf": [{"required": ["email"]}, {"required": ["phone"]}],
                "additionalProperties": False,
            },
        },
    }
    record = {
        "$id": f"{PUBLISHED}record.schema.json",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["id", "kind", "holder", "issued", "items"],
        "properties": {
            "id": {"type": "string", "pattern": "^R[0-9]{5}$"},
            "version": {"const": 2},
            "kind": {"enum": ["person", "organisation"]},
            "holder": {"$ref": "#holder"},
            "issued": {"type": "string", "format": "date-time"},
            "division": {"$ref": "common.schema.json#code"},
            "contact": {"$ref": f"{PUBLISHED}common.schema.json#/$defs/contact"},
            "uuid": {"type": "string", "format": "uuid"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "parts": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"n": {"type": "integer", "minimum": 0}},
                                "required": ["n"],
                            },
                        },
                    },
                },
            },
            "note": {"not": {"type": "string", "format": "email"}},
        },
        "patternProperties": {"^x-[a-z]+$": {"type": "string"}},
        "dependentRequired": {"contact": ["division"]},
        "if": {"properties": {"kind": {"const": "person"}}},
        "then": {"properties": {"holder": {"required": ["id_number"]}}},
        "else": {"properties": {"holder": {"required": ["uscc"]}}},
        "unevaluatedProperties": False,
        "$defs": {
            "holder": {
                "$anchor": "holder",
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "id_number": {"type": "string", "format": "cn-id-number"},
                    "uscc": {"type": "string", "format": "cn-uscc"},
                },
                "oneOf": [{"required": ["id_number"]}, {"required": ["uscc"]}],
                "allOf": [{"required": ["name"]}],
            }
        },
    }
    (folder / "common.schema.json").write_text(json.dumps(common), encoding="utf-8")
    path = folder / "record.schema.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _published_records() -> list[dict[str, Any]]:
    good = {
        "id": "R00001",
        "version": 2,
        "kind": "person",
        "holder": {"name": "张三", "id_number": "11010519491231002X"},
        "issued": "2024-05-01T08:00:00+08:00",
        "division": "330106",
        "contact": {"email": "zhang.san@zj.gov.cn", "site": "https://zj.gov.cn/a?b=1"},
        "uuid": "123e4567-e89b-12d3-a456-426614174000",
        "items": [{"name": "a", "parts": [{"n": 1}, {"n": 2}]}],
        "note": "free text",
        "x-extra": "ok",
    }
    org = {
        **good,
        "kind": "organisation",
        "holder": {"name": "某公司", "uscc": "91110000600037341L"},
    }
    faults: list[dict[str, Any]] = [
        {**good, "holder": {"name": "张三", "id_number": "110105194912310021"}},  # check char
        {**good, "contact": {"email": "zhang..san@zj.gov.cn"}},
        {**good, "contact": {"email": '"zhang san"@[10.0.0.1]'}},  # valid: quoted, literal
        {**good, "contact": {"site": "not a uri"}},
        {**good, "issued": "2024-05-01 08:00:00"},
        {**good, "division": "990106"},
        {**good, "uuid": "123e4567e89b12d3a456426614174000"},
        {**good, "items": [{"name": "a", "parts": [{"n": -1}]}]},
        {**good, "note": "a@b.cn"},  # not an email
        {**good, "x-extra": 1},
        {**good, "y": 1},  # unevaluated
        {**good, "version": 3},
        {**org, "holder": {"name": "某公司"}},  # else branch: uscc required
        {k: v for k, v in good.items() if k != "division"},  # dependentRequired
        {
            **good,
            "holder": {
                "name": "x",
                "id_number": "11010519491231002X",
                "uscc": "91110000600037341L",
            },
        },
    ]
    records = []
    for number in range(600):
        base = faults[number // 40] if number % 40 == 7 and number // 40 < len(faults) else None
        record = json.loads(json.dumps(base or (org if number % 3 else good)))
        record["id"] = f"R{number:05d}"
        records.append(record)
    return records


def _summary(report: Any) -> tuple[Any, ...]:
    issues = [(i.kind, i.line, i.row, i.pointer, i.message) for i in report.issues]
    return report.records, dict(report.counts), issues


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_published_constructs_keep_the_fast_path_and_report_what_the_exact_checker_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: ExportFormat
) -> None:
    folder = tmp_path / "std"
    schema = _published_schemas(folder)
    assert fast_path_refusal(schema, folder) is None  # root $id, anchors, URLs: mirrored
    assert build_fast_validator(schema, folder) is not None
    records = _published_records()
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n"
    path = tmp_path / f"r.{fmt}"
    path.write_text(text, encoding="utf-8")
    spec = make_spec(folder, fmt, schema=json.loads(schema.read_text(encoding="utf-8")))
    default = validate_export(spec, path)
    assert not default.validation_path.startswith("exact"), default.validation_path
    monkeypatch.setenv(EXACT_ONLY_ENV, "1")
    exact = validate_export(spec, path)
    assert exact.validation_path == f"exact ({EXACT_ONLY_ENV}=1)"
    assert _summary(default) == _summary(exact)
    # every fault found but the quoted, literal address (valid): 14 records, each located
    bad = {i.line for i in exact.issues}
    assert len(bad) == 14, sorted(bad)


def test_a_construct_the_fast_path_cannot_mirror_is_named_with_its_place(tmp_path: Path) -> None:
    folder = tmp_path / "std"
    folder.mkdir()
    schema = folder / "record.schema.json"
    schema.write_text(
        json.dumps(
            {
                "$id": f"{PUBLISHED}tree.schema.json",
                "$dynamicAnchor": "node",
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$dynamicRef": "#node"}}},
            }
        ),
        encoding="utf-8",
    )
    reason = fast_path_refusal(schema, folder)
    assert reason is not None
    assert "$dynamicAnchor" in reason
    assert schema.as_uri() in reason
    path = tmp_path / "t.jsonl"
    path.write_text('{"children": [{"children": []}]}\n', encoding="utf-8")
    report = validate_export(
        make_spec(folder, "jsonl", key=(), schema=json.loads(schema.read_text())), path
    )
    assert report.validation_path.startswith("exact: $dynamicAnchor")
    assert not report.issues


NUMBERS_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:n="urn:numbers:1"
           targetNamespace="urn:numbers:1" elementFormDefault="qualified">
  <xs:element name="Rows"><xs:complexType><xs:sequence>
    <xs:element ref="n:Row" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="Row"><xs:complexType><xs:sequence>
    <xs:element name="Id" type="xs:string"/>
    <xs:element name="Count"><xs:simpleType><xs:restriction base="xs:integer">
      <xs:minInclusive value="0"/><xs:maxInclusive value="1000"/>
    </xs:restriction></xs:simpleType></xs:element>
    <xs:element name="Rate" minOccurs="0"><xs:simpleType><xs:restriction base="xs:decimal">
      <xs:minExclusive value="-1.5"/><xs:maxInclusive value="100"/>
    </xs:restriction></xs:simpleType></xs:element>
    <xs:element name="Plain" type="xs:integer" minOccurs="0"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""
NUMBER_CASES = {
    3: ("-1", "5"),
    5: ("1001", "5"),
    7: ("1000", "100.0000000000000000001"),
    11: ("0", "-1.5"),
    13: ("+7", "-1.4999999999999999999"),
    17: ("007", "100."),
    19: ("5", ".5"),
    23: (" 5", "5"),
    29: ("5", "1e2"),
    31: ("5.0", "5"),
    37: ("1" * 40, "5"),
}


def test_compiled_records_with_bounded_numbers_report_exactly_what_lxml_reports(
    tmp_path: Path,
) -> None:
    from conformance.standards.model import ExportSpec, Text

    (tmp_path / "numbers.xsd").write_text(NUMBERS_XSD, encoding="utf-8")
    spec = ExportSpec(
        name="numbers",
        title=Text("数", "Numbers"),
        format="xml",
        schema_path=tmp_path / "numbers.xsd",
        clauses=("X-001",),
        key=("Id",),
        record_element="Row",
    )
    rows = []
    for number in range(400):
        count, rate = NUMBER_CASES.get(number % 41, (str(number % 1000), f"{number % 99}.25"))
        plain = "" if number % 43 else "<Plain>-12</Plain>"
        rows.append(
            f"  <Row><Id>r{number}</Id><Count>{count}</Count><Rate>{rate}</Rate>{plain}</Row>"
        )
    path = tmp_path / "n.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Rows xmlns="urn:numbers:1">\n'
        + "\n".join(rows)
        + "\n</Rows>\n",
        encoding="utf-8",
    )
    taken: list[int] = []

    def summary(paths: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        taken.append(report.paths["compiled"])
        issues = [(i.check, i.kind, i.line, i.xpath, i.message) for i in report.issues]
        return report.records, dict(report.counts), sorted(issues, key=lambda i: (i[0], i[1]))

    compiled = summary()
    assert taken[-1] > 300  # the compiled expression took most records
    without = tuple(name for name in NAMES if name != "compiled")
    assert compiled == summary(without)  # the batches alone
    assert taken[-1] == 0
    records, counts, _ = compiled
    assert records == 400
    assert sum(counts.values()) >= 4 * len(range(0, 400, 41))  # every bound broken is found


@pytest.mark.parametrize("fmt", ["time", "json-pointer", "x-vendor-code"])
def test_a_format_the_registry_does_not_define_is_asserted_on_no_path(
    tmp_path: Path, fmt: str
) -> None:
    """The exact checker asserts the registry's formats alone; jsonschema-rs knows others
    (``time``, ``json-pointer``) and would refuse a value there, which under ``not`` or in
    a ``oneOf`` makes a record valid that the exact checker refuses. Every path agrees."""
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "a": {"type": "string", "not": {"format": fmt}},
            "b": {"oneOf": [{"type": "string", "format": fmt}, {"maxLength": 20}]},
        },
    }
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
    records = [{"id": f"R{i}", "a" if i % 2 else "b": "25:99:00/~x"} for i in range(40)]
    data = tmp_path / "r.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    exact = validate_export(spec, data, paths=())
    assert exact.counts == {(RECORDS, "not"): 20, (RECORDS, "oneOf"): 20}
    for paths in (None, ("blocks", "records"), ("records",)):
        report = validate_export(spec, data, paths=paths)
        assert report.counts == exact.counts, paths
        assert [i.message for i in report.issues] == [i.message for i in exact.issues]


@pytest.mark.parametrize(
    ("member", "bounded"),
    [
        ({"type": "object", "patternProperties": {"^x": {"type": "array"}}}, False),
        (
            {
                "type": "object",
                "patternProperties": {"^x": {"type": "array", "items": {"type": "integer"}}},
                "additionalProperties": {"type": "string"},
            },
            True,
        ),
        (  # members evaluated in place: unevaluatedProperties bounds none of them
            {
                "type": "object",
                "unevaluatedProperties": False,
                "allOf": [{"properties": {"x": {}}}],
            },
            False,
        ),
    ],
)
def test_the_depth_bound_follows_patterns_and_members_evaluated_in_place(
    tmp_path: Path, member: dict[str, Any], bounded: bool
) -> None:
    """A schema's depth bound says whether a record could nest past MAX_DEPTH: tight where
    patterns and additionalProperties bound every member, none where a member's schema is
    applied in place; a record nested past it is found on every path as on the exact one."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"id": {"type": "string"}, "m": member},
    }
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
    fast = build_fast_validator(spec.schema_path, tmp_path / "std")
    assert fast is not None
    assert (fast.max_depth <= 4) is bounded
    deep = json.loads("[" * 205 + "]" * 205)
    records = [{"id": f"R{i}", "m": {"x": deep if i % 7 == 0 else [1]}} for i in range(60)]
    data = tmp_path / "r.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    default, exact = validate_export(spec, data), validate_export(spec, data, paths=())
    assert sum(exact.counts.values()) >= 9
    assert default.counts == exact.counts
    assert [(i.line, i.message) for i in default.issues] == [
        (i.line, i.message) for i in exact.issues
    ]
