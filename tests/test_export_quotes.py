"""The quote count that proves typed JSON Lines records repeat no member name.

Without a backslash in a block, every ``"`` opens or closes a string, so a line holds two
for each member name and two for each string value. ``quote_counter`` counts what the
decoded records hold from their types alone; a line that repeats a member has more.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal, Union

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.exports import EXACT_ONLY_ENV, validate_export
from conformance.exports._typed import build_typed_records, quote_counter
from tests.test_exports import make_spec

CHECKS = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
UNSET = msgspec.UNSET

# Texts that need no escape: no quote, no backslash, no control character.
plain_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'), max_size=8
)
LEAVES: dict[str, tuple[Any, Any]] = {
    "text": (str, plain_text),
    "integer": (int, st.integers(-(10**6), 10**6)),
    "number": (float, st.floats(allow_nan=False, allow_infinity=False)),
    "flag": (bool, st.booleans()),
    "nullable": (Union[str, None], st.one_of(st.none(), plain_text)),  # noqa: UP007
    "mixed": (Literal["a", "b", 1, 2], st.sampled_from(["a", "b", 1, 2])),
    "day": (dt.date, st.dates()),
    "either": (Union[int, dt.date], st.one_of(st.integers(0, 9), st.dates())),  # noqa: UP007
}


@st.composite
def struct_types(draw: st.DrawFn, depth: int = 0) -> tuple[Any, Any]:
    """(a struct class of leaves, optional members, nested structs and lists of either,
    its values)."""
    names = draw(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=5, unique=True))
    fields: list[Any] = []
    strategies: dict[str, Any] = {}
    for name in names:
        optional = draw(st.booleans())
        shape = draw(st.integers(0, 6)) if depth < 2 else 6
        if shape == 0:
            kind, values = draw(struct_types(depth + 1))
        elif shape == 1:  # a list of objects
            item, items = draw(struct_types(depth + 1))
            kind, values = list[item], st.lists(items, max_size=3)  # type: ignore[valid-type]
        elif shape == 2:  # a list of leaves
            item, items = LEAVES[draw(st.sampled_from(sorted(LEAVES)))]
            kind, values = list[item], st.lists(items, max_size=3)  # type: ignore[valid-type]
        else:
            kind, values = LEAVES[draw(st.sampled_from(sorted(LEAVES)))]
        if optional:
            fields.append((name, Union[kind, msgspec.UnsetType], UNSET))  # noqa: UP007
            strategies[name] = st.one_of(st.just(UNSET), values)
        else:
            fields.append((name, kind))
            strategies[name] = values
    cls = msgspec.defstruct(f"S{depth}", fields, kw_only=True, forbid_unknown_fields=True)
    return cls, st.builds(lambda **kw: cls(**kw), **strategies)


@st.composite
def typed_records(draw: st.DrawFn) -> tuple[Any, list[Any]]:
    cls, values = draw(struct_types())
    return cls, draw(st.lists(values, max_size=12))


@given(typed_records())
@CHECKS
def test_the_count_is_the_quotes_of_the_records_encoded(drawn: tuple[Any, list[Any]]) -> None:
    cls, records = drawn
    counter = quote_counter(cls)
    assert counter is not None
    encoded = msgspec.json.encode(records)
    assert b"\\" not in encoded
    assert counter(records, None) == encoded.count(b'"')
    for record in records:
        assert counter([record], None) == msgspec.json.encode(record).count(b'"')


@given(typed_records())
@CHECKS
def test_gathered_columns_count_their_optional_members(drawn: tuple[Any, list[Any]]) -> None:
    """Given, for root members, the values of the records holding them (the gathered
    columns), the count is the same without a pass over those members (their presence,
    and which values of a string-or-null member are strings)."""
    cls, records = drawn
    fields = msgspec.structs.fields(cls)
    optional = [f.name for f in fields if f.default is UNSET]
    required = [f.name for f in fields if f.default is not UNSET]
    paths = [(("attr", name, "optional"),) for name in optional]
    paths += [(("attr", name, ""),) for name in required]
    counter = quote_counter(cls, paths)
    assert counter is not None
    lengths = [
        [getattr(r, name) for r in records if getattr(r, name) is not UNSET]
        for name in [*optional, *required]
    ]
    assert counter(records, lengths) == msgspec.json.encode(records).count(b'"')
    passes = (msgspec.inspect.StructType, msgspec.inspect.ListType)  # counted by own passes
    leaves = [
        i
        for i, f in enumerate(msgspec.structs.fields(cls))
        if f.default is UNSET and not isinstance(msgspec.inspect.type_info(f.type), passes)
    ]
    if leaves:  # the lengths are what is counted: a wrong one changes the count
        index = optional.index(msgspec.structs.fields(cls)[leaves[0]].name)
        wrong = [*lengths]
        wrong[index] = [*lengths[index], None]
        assert counter(records, wrong) != counter(records, lengths)


def test_types_it_cannot_count_get_no_counter() -> None:
    class Listed(msgspec.Struct):
        items: list[list[str]]

    class Mapped(msgspec.Struct):
        extra: dict[str, str]

    class Tagged(msgspec.Struct, tag=True):
        name: str

    class Defaulted(msgspec.Struct):
        name: str = "x"  # absent and "x" encode alike

    for cls in (Listed, Mapped, Tagged, Defaulted):
        assert quote_counter(cls) is None, cls


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "kind", "place"],
    "properties": {
        "id": {"type": "string", "pattern": "^r[0-9]+$"},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "count": {"type": "integer", "minimum": 0},
        "note": {"type": ["string", "null"], "maxLength": 20},
        "web": {"type": "string", "format": "uri"},
        "place": {
            "type": "object",
            "additionalProperties": False,
            "required": ["city"],
            "properties": {
                "city": {"type": "string", "maxLength": 20},
                "code": {"type": "string", "pattern": "^[0-9]{6}$"},
            },
        },
    },
}


def _record(i: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": f"r{i}", "kind": "ab"[i % 2], "place": {"city": "杭州"}}
    if i % 3:
        record["count"] = i
    if i % 4:
        record["note"] = None if i % 8 == 1 else f"n{i}"
    if i % 5:
        record["web"] = f"https://example.org/{i}"
    if i % 2:
        record["place"]["code"] = "310000"
    return record


def test_the_typed_path_of_this_schema_counts_quotes(tmp_path: Path) -> None:
    schema = tmp_path / "record.schema.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    typed = build_typed_records(schema, tmp_path, "id")
    assert typed is not None
    assert typed.quotes is not None
    lines = [json.dumps(_record(i), ensure_ascii=False).encode() for i in range(64)]
    _, refused, count = typed.take(lines, None, True)
    assert refused == []
    assert count == sum(line.count(b'"') for line in lines)
    lines[7] = lines[7].replace(b'"kind": "b"', b'"kind": "a", "kind": "b"')
    _, refused, count = typed.take(lines, None, True)
    assert refused == []  # msgspec keeps the last: only the count tells
    assert count is not None
    assert count < sum(line.count(b'"') for line in lines)


@pytest.mark.parametrize("escaped", [False, True])
def test_repeated_members_are_found_in_blocks_with_and_without_a_backslash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, escaped: bool
) -> None:
    """Repeated names (at the root, in the nested object, of an optional member, one of
    them ``null``) are found at their lines whether the block is counted by quotes (no
    backslash) or by colons (a backslash in a string), as the exact path finds them."""
    lines = [json.dumps(_record(i), ensure_ascii=False) for i in range(900)]
    lines[10] = '{"id": "r10", "kind": "a", "kind": "b", "place": {"city": "x"}}'
    lines[250] = '{"id": "r250", "kind": "a", "place": {"city": "x", "city": "y"}}'
    lines[251] = '{"id": "r251", "kind": "a", "count": 1, "count": 2, "place": {"city": "x"}}'
    lines[600] = '{"id": "r600", "kind": "a", "note": "x", "note": null, "place": {"city": "x"}}'
    lines[601] = '{"id": "r601", "kind": "a", "note": null, "note": "x", "place": {"city": "x"}}'
    if escaped:  # a backslash in each block: the colons count
        for i in range(0, 900, 50):
            lines[i] = lines[i].replace('"杭州"', '"\\u676d\\u5dde"')
    data = tmp_path / "r.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = make_spec(tmp_path / "spec", "jsonl", schema=SCHEMA)

    def summary() -> tuple[Any, ...]:
        report = validate_export(spec, data)
        issues = sorted((i.kind, i.line, i.pointer) for i in report.issues)
        return report.records, dict(report.counts), issues, dict(report.paths)

    default = summary()
    assert default[3].get("typed", 0) > 850  # the typed path took the clean lines
    assert [line for kind, line, _ in default[2] if kind == "duplicate-member"] == [
        11,
        251,
        252,
        601,
        602,
    ]
    monkeypatch.setenv(EXACT_ONLY_ENV, "1")
    assert default[:3] == summary()[:3]
