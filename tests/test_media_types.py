"""Media types: +json suffixes are JSON, ranges match most specific first, and the content
negotiation checks judge what a candidate answered to each Accept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from conformance.checks.api import (
    _is_valid_request,
    accept_honoured,
    content_type_documented,
    error_envelope,
    not_acceptable,
    response_schema,
    status_code_documented,
)
from conformance.engine.cases import negotiation_cases
from conformance.engine.exchange import Exchange, RequestCase
from conformance.engine.http import HttpRequest, HttpResponse
from conformance.engine.media import best_match, is_json, matches
from conformance.engine.openapi import Operation, load_operations
from conformance.validation import SchemaSet
from tests.conftest import ROOT

FOLDER = ROOT / "tests" / "data" / "styles" / "test.styles" / "1.0.0"


@pytest.mark.parametrize(
    ("media", "json_"),
    [
        ("application/json", True),
        ("application/geo+json", True),
        ("application/problem+json; charset=utf-8", True),
        ("application/vnd.example.v2+json", True),
        ("Application/JSON", True),
        ("application/xml", False),
        ("text/html", False),
        ("application/jsonl", False),
        (None, False),
    ],
)
def test_structured_syntax_suffix_is_json(media: str | None, json_: bool) -> None:
    assert is_json(media) is json_


def test_ranges_match_and_the_most_specific_key_wins() -> None:
    assert matches("application/geo+json", "application/*")
    assert matches("text/csv", "*/*")
    assert not matches("text/csv", "application/*")
    assert not matches("application/json", "application/geo+json")
    keys = ["*/*", "application/*", "application/geo+json"]
    assert best_match("application/geo+json", keys) == "application/geo+json"
    assert best_match("application/json", keys) == "application/*"
    assert best_match("text/plain", keys) == "*/*"
    assert best_match("text/plain", ["application/*"]) is None


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet(FOLDER)


@pytest.fixture(scope="module")
def things(schemas: SchemaSet) -> Operation:
    operations = load_operations(schemas, FOLDER / "openapi.yaml")
    return next(o for o in operations if o.operation_id == "getThings")


def _exchange(
    schemas: SchemaSet,
    op: Operation,
    status: int,
    media: str | None,
    body: Any = None,
    case: RequestCase | None = None,
) -> Exchange:
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    if media is not None:
        headers["Content-Type"] = media
    raw = json.dumps(body).encode() if body is not None else b""
    request = HttpRequest("GET", "http://127.0.0.1:9/things/1", {})
    response = HttpResponse(status, headers, raw, 0.01)
    return Exchange(op, case or RequestCase({"ids": [1]}), request, response, schemas)


def _titles(check: Any, exchange: Exchange) -> list[str]:
    return [p.title for p in check(exchange)]


def test_a_json_suffix_body_is_validated_as_json(schemas: SchemaSet, things: Operation) -> None:
    good = _exchange(schemas, things, 200, "application/geo+json", {"ok": True})
    assert _titles(content_type_documented, good) == []
    assert _titles(response_schema, good) == []
    bad = _exchange(schemas, things, 200, "application/geo+json", {"ok": False})
    assert _titles(response_schema, bad) == ["Response violates schema"]


def test_an_error_in_problem_json_is_the_json_envelope(
    schemas: SchemaSet, things: Operation
) -> None:
    exchange = _exchange(schemas, things, 400, "application/problem+json", {"title": "no"})
    spec = things.response_for(400)
    assert spec is not None
    exchange.error_envelope_uri = spec.content["application/problem+json"]
    assert _titles(error_envelope, exchange) == []
    exchange = _exchange(schemas, things, 400, "text/html", None)
    exchange.error_envelope_uri = "unused"
    # an undocumented media type is the Content-Type clause's failure; the envelope of a
    # body in it is not verified (issue 14 item 3), never passed
    assert _titles(content_type_documented, exchange) == ["Undocumented Content-Type"]
    found = list(error_envelope(exchange))
    assert [(p.title, p.unverified) for p in found] == [
        ("Not verified: undocumented media type", True)
    ]


def _probes(things: Operation) -> dict[str, RequestCase]:
    return {c.accept or "": c for c in negotiation_cases(things, RequestCase({"ids": [1]}))}


def test_negotiation_probes_accept_each_documented_type_then_an_undocumented_one(
    things: Operation,
) -> None:
    probes = _probes(things)
    assert list(probes) == ["application/json", "application/geo+json", "application/xml"]


def test_accept_honoured(schemas: SchemaSet, things: Operation) -> None:
    probe = _probes(things)["application/geo+json"]

    def judge(status: int, media: str | None) -> list[str]:
        exchange = _exchange(schemas, things, status, media, {"ok": True}, probe)
        assert exchange.negotiation == "documented"
        return _titles(accept_honoured, exchange)

    assert judge(200, "application/geo+json") == []
    assert judge(200, "application/json") == ["Accept not honoured"]
    assert judge(406, None) == ["Documented media type refused"]
    assert judge(200, "text/html") == []  # content_type_documented's finding, not this one's
    assert judge(400, "application/problem+json") == []


def test_not_acceptable(schemas: SchemaSet, things: Operation) -> None:
    probe = _probes(things)["application/xml"]

    def exchange(status: int, media: str | None) -> Exchange:
        made = _exchange(schemas, things, status, media, {"ok": True}, probe)
        assert made.negotiation == "undocumented"
        return made

    assert _titles(not_acceptable, exchange(406, None)) == []
    assert _titles(not_acceptable, exchange(200, "application/json")) == []
    assert _titles(not_acceptable, exchange(200, "application/xml")) == [
        "Undocumented media type served"
    ]
    # a 406 is what HTTP says to answer: not an undocumented status; the content type of an
    # answer to this probe is not_acceptable's to judge, once
    assert _titles(status_code_documented, exchange(406, None)) == []
    assert _titles(content_type_documented, exchange(200, "application/xml")) == []
    # valid_input_accepted's applies() keeps it off this probe: a 400 is judged above
    assert not _is_valid_request(exchange(400, "application/problem+json"))


def test_a_range_documented_leaves_no_undocumented_type_to_probe(schemas: SchemaSet) -> None:
    operations = load_operations(schemas, FOLDER / "openapi.yaml")
    op = next(o for o in operations if o.operation_id == "getThings")
    from dataclasses import replace

    from conformance.engine.openapi import ResponseSpec

    wide = replace(op, responses=(ResponseSpec("200", {"*/*": None}),))
    assert [c.accept for c in negotiation_cases(wide, RequestCase())] == []
