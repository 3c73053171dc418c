"""Inputs a schema cannot fully describe: inter-parameter dependencies (x-dependencies),
headers the HTTP client can send, leap seconds kept rare, and their lint.

The operations come from tests/data/inputs (test.inputs@1.0.0); generation is checked
draw by draw against the rules; lint runs on real standard folders.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.checks.api import leap_second_in
from conformance.engine.cases import (
    boundary_cases,
    case_strategy,
    dependencies,
    example_case,
    header_sendable,
    invalid_case_strategy,
    present_values,
)
from conformance.engine.exchange import RequestCase, build_request
from conformance.formats._common import date_time_valid
from conformance.generation import compare, parse_dependencies, violated
from conformance.lint import lint_folder
from conformance.standards.operations import Operation, load_operations
from conformance.validation import SchemaSet
from tests.conftest import ROOT

FOLDER = ROOT / "tests" / "data" / "inputs" / "test.inputs" / "1.0.0"
DRAWS = settings(
    max_examples=80,
    database=None,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet(FOLDER)


@pytest.fixture(scope="module")
def operations(schemas: SchemaSet) -> dict[str, Operation]:
    return {op.operation_id: op for op in load_operations(schemas, FOLDER / "openapi.yaml")}


def _draws(strategy: st.SearchStrategy[Any], count: int = 80) -> list[Any]:
    drawn: list[Any] = []

    @settings(DRAWS, max_examples=count)
    @given(strategy)
    def draw(value: Any) -> None:
        drawn.append(value)

    draw()
    return drawn


# -- the rules ------------------------------------------------------------------------


def test_rules_parse_with_a_pointer_for_each_malformed_one() -> None:
    rules, errors = parse_dependencies(
        [
            {"requires": {"if": "end", "then": ["start"]}},
            {"requires": {"if": "format == csv", "then": ["delimiter"]}},
            {"onlyOne": ["a", "b"]},
            {"relation": "bbox/0 < bbox/2"},
            {"relation": "limit <= 100"},
            {"nope": ["a", "b"]},
            {"or": ["a"]},
            {"relation": "a <> b"},
            {"requires": {"if": "a", "then": ["a"]}},
            "or(a, b)",
        ]
    )
    assert [r.text() for r in rules] == [
        "IF end THEN start",
        "IF format=='csv' THEN delimiter",
        "OnlyOne(a, b)",
        "bbox/0 < bbox/2",
        "limit <= 100.0",
    ]
    assert [pointer for pointer, _ in errors] == [
        "/5/nope",
        "/6/or",
        "/7/relation",
        "/8/requires/then",
        "/9",
    ]


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    [
        (1, "<", 2, True),
        ("3", "<", 20, True),  # query text read as a number
        ("2024-01-02", ">", "2024-01-01", True),
        # the same instant in two offsets: not before, equal
        ("2024-01-01T08:00:00+08:00", "==", "2024-01-01T00:00:00Z", True),
        ("2024-01-01T08:00:00+08:00", "<", "2024-01-01T00:00:01Z", True),
        # a leap second is the end of its minute, before the next one
        ("2016-12-31T23:59:60Z", ">", "2016-12-31T23:59:59Z", True),
        ("2016-12-31T23:59:60Z", "<", "2017-01-01T00:00:00Z", True),
        ("2024-01-01", "<", "2024-01-01T00:00:01Z", True),  # a date is its day's start
        ("b", ">", "a", True),
        ("a", "<", 1, None),  # text and a number cannot be ordered together
        (True, "<", 2, None),
    ],
)
def test_relations_compare_numbers_dates_and_text(
    left: Any, operator: str, right: Any, expected: bool | None
) -> None:
    assert compare(left, operator, right) is expected


def test_each_kind_holds_as_idl_says() -> None:
    rules, _ = parse_dependencies(
        [
            {"or": ["a", "b"]},
            {"onlyOne": ["a", "b"]},
            {"allOrNone": ["c", "d"]},
            {"zeroOrOne": ["c", "e"]},
            {"requires": {"if": "f == 2", "then": ["g"]}},
            {"relation": "h < i"},
        ]
    )
    broken = lambda values: [r.kind for r in violated(rules, values)]  # noqa: E731
    assert broken({"a": 1}) == []
    assert broken({}) == ["or", "onlyOne"]
    assert broken({"a": 1, "b": 1}) == ["onlyOne"]
    assert broken({"a": 1, "c": 1}) == ["allOrNone"]
    assert broken({"a": 1, "c": 1, "d": 1, "e": 1}) == ["zeroOrOne"]
    assert broken({"a": 1, "f": 2}) == ["requires"]
    assert broken({"a": 1, "f": 3}) == []  # the condition is a value, not presence
    assert broken({"a": 1, "h": 5, "i": 4}) == ["relation"]
    assert broken({"a": 1, "h": 5}) == []  # a relation binds when both sides are given


# -- generation -------------------------------------------------------------------------


def test_valid_requests_satisfy_every_dependency(
    schemas: SchemaSet, operations: dict[str, Operation]
) -> None:
    op = operations["listObservations"]
    rules = dependencies(op)
    assert len(rules) == 7
    drawn = _draws(case_strategy(op, schemas))
    assert drawn
    for case in drawn:
        assert violated(rules, present_values(case)) == [], case
    # the rules do not empty the requests: each side of each rule is reached
    given_names = {name for case in drawn for name in present_values(case)}
    assert {"start", "end", "bbox", "lat", "lon", "cursor", "offset", "delimiter"} <= given_names
    assert any("start" in c.query and "end" in c.query for c in drawn)
    assert any(c.query.get("format") == "csv" for c in drawn)


def test_each_dependency_is_broken_alone(
    schemas: SchemaSet, operations: dict[str, Operation]
) -> None:
    op = operations["listObservations"]
    rules = dependencies(op)
    strategy = invalid_case_strategy(op, schemas)
    assert strategy is not None
    broken_kinds: set[str] = set()
    for case in _draws(strategy, 240):
        assert case.mutation is not None
        if not (case.mutation_kind or "").startswith("dependency:"):
            continue
        index = int(case.mutation_kind.split(":")[1])
        assert [r.index for r in violated(rules, present_values(case))] == [index], case
        assert case.mutation == f"dependency {rules[index].text()} broken"
        broken_kinds.add(rules[index].text())
    # every rule can be broken on its own; a draw reaches most of them
    assert len(broken_kinds) >= 5, broken_kinds


def test_boundary_probes_keep_the_dependencies(
    schemas: SchemaSet, operations: dict[str, Operation]
) -> None:
    """`lat` at its bounds alone would break AllOrNone(lat, lon): not sent as valid."""
    op = operations["listObservations"]
    cases = boundary_cases(op, schemas, RequestCase(source="boundary"))
    assert cases
    for case in cases:
        assert violated(dependencies(op), present_values(case)) == []
    assert not any("lat" in c.query for c in cases)


def test_generated_headers_are_ones_the_client_sends_as_they_are(
    schemas: SchemaSet, operations: dict[str, Operation]
) -> None:
    """An unconstrained string header: never surrounding whitespace, a control character,
    non-latin-1 text or an empty value, all of which the client refuses or a server reads
    differently (they used to be 'protocol' errors blamed on the candidate)."""
    op = operations["listObservations"]
    drawn = _draws(case_strategy(op, schemas))
    values = [c.headers["X-Client"] for c in drawn if "X-Client" in c.headers]
    assert len(values) > 20
    assert all(header_sendable(v) for v in values)
    for case in drawn:
        request = build_request("http://127.0.0.1:9", op, case, {})
        assert all(v == v.strip() and v.isascii() for v in request.headers.values())


@pytest.mark.parametrize(
    ("text", "sendable"),
    [("a b", True), (" a", False), ("a ", False), ("", False), ("a\tb", False), ("é", False)],
)
def test_header_sendable(text: str, sendable: bool) -> None:
    assert header_sendable(text) is sendable


def test_leap_seconds_stay_a_rare_edge_case() -> None:
    """A third of generated date-times used to end in second 60; a candidate refusing
    leap seconds then failed most valid requests. Now a few percent, never none."""
    more = settings(DRAWS, max_examples=600)

    values: list[str] = []

    @more
    @given(date_time_valid())
    def draw(value: str) -> None:
        values.append(value)

    draw()
    leap = [v for v in values if re.match(r"^.{10}.\d\d:\d\d:60", v)]
    assert 0 < len(leap) < len(values) * 0.08, (len(leap), len(values))


def test_a_leap_second_is_found_anywhere_in_a_request() -> None:
    assert leap_second_in(RequestCase(query={"at": "2016-12-31T23:59:60Z"})) is not None
    assert leap_second_in(RequestCase(body={"a": [{"t": "1998-12-31T23:59:60Z"}]})) is not None
    assert leap_second_in(RequestCase(query={"at": "2016-12-31T23:59:59Z", "n": 60})) is None


def test_example_request_keeps_the_dependencies(operations: dict[str, Operation]) -> None:
    case = example_case(operations["getSlow"])
    assert case is not None
    assert present_values(case) == {"n": 1}


# -- lint --------------------------------------------------------------------------------


def _standard_with(tmp_path: Path, rules: Any, example: bool = False) -> Path:
    folder = tmp_path / "test.inputs" / "1.0.0"
    shutil.copytree(FOLDER, folder)
    openapi = folder / "openapi.yaml"
    data = yaml.safe_load(openapi.read_text(encoding="utf-8"))
    operation = data["paths"]["/observations"]["get"]
    operation["x-dependencies"] = rules
    if example:
        for parameter in operation["parameters"]:
            if parameter["name"] in ("cursor", "offset"):
                parameter["example"] = "abc" if parameter["name"] == "cursor" else 3
    openapi.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def _rules(issues: list[Any]) -> list[tuple[str, str]]:
    return [(i.rule, i.location.pointer or "") for i in issues if i.rule.startswith("dependency")]


def test_lint_accepts_the_sample_rules() -> None:
    assert _rules(lint_folder(FOLDER)) == []


def test_lint_refuses_malformed_and_unknown_and_unsatisfiable_rules(tmp_path: Path) -> None:
    folder = _standard_with(
        tmp_path,
        [
            {"relation": "start < end"},
            {"sometimes": ["start", "end"]},
            {"or": ["start", "nowhere"]},
            {"relation": "start"},
        ],
    )
    data = yaml.safe_load((folder / "openapi.yaml").read_text(encoding="utf-8"))
    path = data["paths"]["/observations"]["get"]["parameters"]
    for parameter in path:
        if parameter["name"] in ("lat", "lon"):
            parameter["required"] = True
    data["paths"]["/observations"]["get"]["x-dependencies"].append({"zeroOrOne": ["lat", "lon"]})
    (folder / "openapi.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    issues = lint_folder(folder)
    found = _rules(issues)
    at = "/paths/~1observations/get/x-dependencies"
    assert ("dependency-invalid", f"{at}/1/sometimes") in found
    assert ("dependency-invalid", f"{at}/3/relation") in found
    assert ("dependency-unknown-parameter", f"{at}/2") in found
    assert ("dependency-unsatisfiable", f"{at}/4") in found
    message = next(i for i in issues if i.rule == "dependency-unknown-parameter").message
    assert "'nowhere'" in message


def test_lint_refuses_an_example_that_breaks_a_rule(tmp_path: Path) -> None:
    folder = _standard_with(tmp_path, [{"zeroOrOne": ["cursor", "offset"]}], example=True)
    issues = [i for i in lint_folder(folder) if i.rule == "dependency-example"]
    assert len(issues) == 1
    assert "ZeroOrOne(cursor, offset)" in issues[0].message
    assert issues[0].location.line is not None


def test_lint_refuses_an_inputs_complete_that_is_not_a_boolean(tmp_path: Path) -> None:
    folder = _standard_with(tmp_path, [{"relation": "start < end"}])
    openapi = folder / "openapi.yaml"
    data = yaml.safe_load(openapi.read_text(encoding="utf-8"))
    data["x-inputs-complete"] = "yes"
    data["paths"]["/slow"]["get"]["x-inputs-complete"] = False  # an operation may say no
    openapi.write_text(yaml.safe_dump(data), encoding="utf-8")
    issues = [i for i in lint_folder(folder) if i.rule == "inputs-complete-invalid"]
    assert [i.location.pointer for i in issues] == ["/x-inputs-complete"]
