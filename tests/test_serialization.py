"""Parameters on the wire as OpenAPI 3.1 defines them: the Style Examples table, row by row.

The table (OpenAPI Specification 3.1.x, Parameter Object, "Style Examples") serialises a
parameter named ``color`` whose value is undefined, the string ``blue``, the array
``[blue, black, brown]`` or the object ``{R: 100, G: 200, B: 150}``; each row below is one
style and explode, with the text the specification gives for each value (``None`` where
it says n/a).  Query rows are written with the ``?`` prefix, as the table shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.engine.exchange import RequestCase, accept_header, build_request
from conformance.engine.openapi import MISSING, Operation, Parameter, ResponseSpec
from conformance.engine.serialize import (
    Style,
    cookie_header,
    cookie_pairs,
    header_value,
    path_value,
    query_pairs,
    query_string,
)

STYLES = Path(__file__).parent / "data" / "styles" / "test.styles" / "1.0.0"
VALUES: dict[str, Any] = {
    "undefined": None,
    "string": "blue",
    "array": ["blue", "black", "brown"],
    "object": {"R": 100, "G": 200, "B": 150},
}

# style, explode: (undefined, string, array, object); None = n/a in the specification
TABLE: dict[tuple[str, bool], tuple[str | None, ...]] = {
    ("matrix", False): (";color", ";color=blue", ";color=blue,black,brown", ";color=R,100,G,200,B,150"),  # noqa: E501
    ("matrix", True): (";color", ";color=blue", ";color=blue;color=black;color=brown", ";R=100;G=200;B=150"),  # noqa: E501
    ("label", False): (".", ".blue", ".blue,black,brown", ".R,100,G,200,B,150"),
    ("label", True): (".", ".blue", ".blue.black.brown", ".R=100.G=200.B=150"),
    ("simple", False): ("", "blue", "blue,black,brown", "R,100,G,200,B,150"),
    ("simple", True): ("", "blue", "blue,black,brown", "R=100,G=200,B=150"),
    ("form", False): ("?color=", "?color=blue", "?color=blue,black,brown", "?color=R,100,G,200,B,150"),  # noqa: E501
    ("form", True): ("?color=", "?color=blue", "?color=blue&color=black&color=brown", "?R=100&G=200&B=150"),  # noqa: E501
    ("spaceDelimited", False): (None, None, "?color=blue%20black%20brown", "?color=R%20100%20G%20200%20B%20150"),  # noqa: E501
    ("pipeDelimited", False): (None, None, "?color=blue%7Cblack%7Cbrown", "?color=R%7C100%7CG%7C200%7CB%7C150"),  # noqa: E501
    ("deepObject", True): (None, None, None, "?color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150"),
}  # fmt: skip

CASES = [
    pytest.param(style, explode, kind, expected, id=f"{style}-{explode}-{kind}")
    for (style, explode), row in TABLE.items()
    for kind, expected in zip(VALUES, row, strict=True)
    if expected is not None
]


def serialise(style: str, explode: bool, value: Any) -> str:
    spec = Style(style, explode)
    if style in ("matrix", "label", "simple"):
        return path_value("color", value, spec)
    return "?" + query_string(query_pairs("color", value, spec))


@pytest.mark.parametrize(("style", "explode", "kind", "expected"), CASES)
def test_style_examples_table(style: str, explode: bool, kind: str, expected: str) -> None:
    assert serialise(style, explode, VALUES[kind]) == expected


def test_every_row_of_the_table_is_covered() -> None:
    # 11 rows with at least one defined cell: 8 complete rows, 2 + 2 + 1 cells of the others
    assert len(TABLE) == 11
    assert len(CASES) == 37


@pytest.mark.parametrize(
    ("explode", "kind", "expected"),
    [
        (False, "string", "blue"),
        (False, "array", "blue,black,brown"),
        (False, "object", "R,100,G,200,B,150"),
        (True, "object", "R=100,G=200,B=150"),
    ],
)
def test_header_simple_style(explode: bool, kind: str, expected: str) -> None:
    assert header_value(VALUES[kind], Style("simple", explode)) == expected


@pytest.mark.parametrize(
    ("explode", "kind", "expected"),
    [
        (True, "string", "color=blue"),
        (False, "array", "color=blue,black,brown"),
        (True, "array", "color=blue; color=black; color=brown"),
        (False, "object", "color=R,100,G,200,B,150"),
        (True, "object", "R=100; G=200; B=150"),
    ],
)
def test_cookie_form_style(explode: bool, kind: str, expected: str) -> None:
    assert cookie_header(cookie_pairs("color", VALUES[kind], Style("form", explode))) == expected


def test_appendix_c_reserved_expansion() -> None:
    """The specification's Appendix C examples: {?formulas*,words}, then allowReserved
    on formulas and spaceDelimited words."""
    formulas = {"a": "x+y", "b": "x/y", "c": "x^y"}
    words = ["math", "is", "fun"]
    plain = query_pairs("formulas", formulas, Style("form", True))
    plain += query_pairs("words", words, Style("form", False))
    assert "?" + query_string(plain) == "?a=x%2By&b=x%2Fy&c=x%5Ey&words=math,is,fun"
    # the user pre-encodes "+" (reserved expansion leaves %XX triples alone)
    reserved = query_pairs("formulas", {**formulas, "a": "x%2By"}, Style("form", True, True))
    reserved += query_pairs("words", words, Style("spaceDelimited", False))
    assert "?" + query_string(reserved) == "?a=x%2By&b=x/y&c=x%5Ey&words=math%20is%20fun"
    # unencoded "+", "&", "=", "#", "[" stay encoded even under allowReserved
    assert query_pairs("q", "a+b&c=d#e[f]", Style("form", True, True)) == [
        ("q", "a%2Bb%26c%3Dd%23e%5Bf%5D")
    ]


def test_delimiters_inside_values_are_encoded() -> None:
    assert path_value("id", ["a,b", "c"], Style("simple", False)) == "a%2Cb,c"
    assert query_pairs("q", ["a b", "c|d"], Style("pipeDelimited", False)) == [
        ("q", "a%20b%7Cc%7Cd")
    ]
    assert query_pairs("q", "中 文", Style("form", True)) == [("q", "%E4%B8%AD%20%E6%96%87")]


def test_content_encoded_parameter_is_json_text() -> None:
    style = Style("form", True, media_type="application/json")
    assert query_pairs("filter", {"a": [1, 2]}, style) == [
        ("filter", "%7B%22a%22%3A%5B1%2C2%5D%7D")
    ]
    assert header_value({"a": 1}, Style("simple", False, media_type="application/json")) == (
        '{"a":1}'
    )


def test_style_defaults_follow_the_location() -> None:
    assert Style.of({}, "query") == Style("form", True)
    assert Style.of({}, "path") == Style("simple", False)
    assert Style.of({}, "header") == Style("simple", False)
    assert Style.of({}, "cookie") == Style("form", True)
    assert Style.of({"style": "deepObject", "explode": True}, "query") == Style("deepObject", True)
    assert Style.of({"allowReserved": True}, "query").allow_reserved
    assert not Style.of({"allowReserved": True}, "path").allow_reserved
    raw = {"content": {"application/json": {"schema": {}}}}
    assert Style.of(raw, "query").media_type == "application/json"


def _operation(*parameters: Parameter, responses: tuple[ResponseSpec, ...] = ()) -> Operation:
    return Operation(
        method="GET",
        path="/items/{id}",
        operation_id="getItems",
        parameters=parameters,
        body=None,
        responses=responses,
        clauses=(),
        secured=False,
        extensions={},
        pointer="/paths/~1items~1{id}/get",
    )


def test_request_serialises_each_parameter_by_its_style() -> None:
    op = _operation(
        Parameter("id", "path", True, None, MISSING, Style("matrix", True)),
        Parameter("tags", "query", False, None, MISSING, Style("form", False)),
        Parameter("filter", "query", False, None, MISSING, Style("deepObject", True)),
        Parameter("extra", "query", False, None, MISSING, Style("form", True)),
        Parameter("X-Ids", "header", False, None, MISSING, Style("simple", False)),
        Parameter("session", "cookie", False, None, MISSING, Style("form", True)),
    )
    case = RequestCase(
        {"id": [1, 2]},
        {"tags": ["a", "b"], "filter": {"min": 1}, "extra": {"k1": "v 1", "k2": "v2"}},
        {"X-Ids": [3, 4]},
        cookies={"session": "abc"},
    )
    request = build_request("http://127.0.0.1:9", op, case, {})
    assert request.url == (
        "http://127.0.0.1:9/items/;id=1;id=2?tags=a,b&filter%5Bmin%5D=1&k1=v%201&k2=v2"
    )
    assert request.headers["X-Ids"] == "3,4"
    assert request.headers["Cookie"] == "session=abc"


def test_accept_lists_every_documented_media_type() -> None:
    op = _operation(
        responses=(
            ResponseSpec("200", {"application/geo+json": None, "text/html": None}),
            ResponseSpec("400", {"application/problem+json": None}),
            ResponseSpec("204", {}),
        )
    )
    assert accept_header(op) == ("application/geo+json, text/html, application/problem+json;q=0.5")
    assert accept_header(_operation()) == "*/*"
    request = build_request("http://127.0.0.1:9", op, RequestCase({"id": 1}, accept="text/csv"), {})
    assert request.headers["Accept"] == "text/csv"


def test_invalid_values_are_read_as_the_wire_carries_them() -> None:
    """What a candidate can read from a value in a parameter: an array item by item, a
    number as text; no reading at all for an empty array or a nested one."""
    from conformance.engine.coerce import value_readings

    ints = {"type": "array", "items": {"type": "integer"}}
    assert value_readings(["1", "2"], ints) == [[1, 2]]  # strings "1","2" read as integers
    assert [5] in (value_readings("5", ints) or [])  # one value reads as a one-item array
    assert value_readings([], ints) is None
    assert value_readings([[1]], ints) is None
    assert value_readings([1], {"type": "string"}) is None
    free = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert value_readings({"a": "7"}, free) == [{"a": 7}]
    assert value_readings(7, {"type": "string"}) == ["7"]


def test_accept_content_type_and_authorization_parameters_are_ignored(tmp_path: Path) -> None:
    """OpenAPI: a header parameter named Accept, Content-Type or Authorization SHALL be
    ignored (the media types and security schemes decide those headers)."""
    import shutil

    from conformance.engine.openapi import load_operations
    from conformance.validation import SchemaSet

    folder = tmp_path / "std"
    shutil.copytree(STYLES, folder)
    doc = yaml.safe_load((folder / "openapi.yaml").read_text(encoding="utf-8"))
    doc["paths"]["/search"]["get"]["parameters"] += [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in ("Accept", "content-type", "Authorization")
    ]
    (folder / "openapi.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    operations = load_operations(SchemaSet(folder), folder / "openapi.yaml")
    search = next(o for o in operations if o.operation_id == "search")
    assert [p.name for p in search.parameters] == ["limit", "extra"]
