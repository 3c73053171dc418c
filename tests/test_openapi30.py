"""OpenAPI 3.0 documents are accepted and normalised once, at load, to JSON Schema 2020-12."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings

from conformance.engine.openapi import load_operations
from conformance.generation import from_schema
from conformance.lint import lint_folder
from conformance.validation import SchemaSet, normalise_openapi_30

FOLDER = Path(__file__).parent / "data" / "openapi30" / "test.minimal" / "1.0.0"
RESPONSE = "/paths/~1people~1{id}/get/responses/200/content/application~1json/schema"


def test_normalisation_rewrites_3_0_keywords() -> None:
    before = {
        "openapi": "3.0.3",
        "s": {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "nullable": True},
        "t": {"maximum": 5, "exclusiveMaximum": False},
        "u": {"enum": ["a"], "type": "string", "nullable": True},
        "example": {"nullable": True},  # instance data stays as written
    }
    after = normalise_openapi_30(before)
    assert after["s"] == {"type": ["integer", "null"], "exclusiveMinimum": 0}
    assert after["t"] == {"maximum": 5}
    assert after["u"] == {"enum": ["a", None], "type": ["string", "null"]}
    assert after["example"] == {"nullable": True}


def test_lint_accepts_a_3_0_standard() -> None:
    assert [i.format() for i in lint_folder(FOLDER)] == []


def test_validation_follows_3_0_semantics() -> None:
    schemas = SchemaSet(FOLDER)
    validator = schemas.validator_at(FOLDER / "openapi.yaml", RESPONSE)
    assert validator.is_valid({"id": "P001", "nickname": None})
    assert validator.is_valid({"id": "P001", "nickname": "x", "score": 9.5})
    assert not validator.is_valid({"id": "P001", "nickname": "x", "score": 10})
    operation = load_operations(schemas, FOLDER / "openapi.yaml")[0]
    min_age = next(p for p in operation.parameters if p.name == "min_age")
    assert min_age.schema_uri is not None
    param = schemas.validator_for(min_age.schema_uri)
    assert param.is_valid(None)
    assert param.is_valid(1)
    assert not param.is_valid(0)  # exclusiveMinimum: true


def test_generation_uses_the_normalised_schema() -> None:
    schemas = SchemaSet(FOLDER)
    schema, resolver = schemas.lookup(f"{schemas.uri(FOLDER / 'openapi.yaml')}#{RESPONSE}")
    validator = schemas.validator_at(FOLDER / "openapi.yaml", RESPONSE)
    nulls: list[bool] = []

    @settings(max_examples=80, database=None, derandomize=True)
    @given(from_schema(schema, resolver=resolver))
    def check(value: dict[str, Any]) -> None:
        assert validator.is_valid(value)
        nulls.append(value["nickname"] is None)

    check()
    assert any(nulls)
    assert not all(nulls)
