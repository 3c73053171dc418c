"""For every schema in standards/: generated valid values validate, generated invalid ones fail.

"Every schema" means each JSON Schema file of each version folder and each schema object
of each OpenAPI document (components, parameters, bodies, responses), validated exactly as
the engine validates candidates (formats enforced, in-folder $refs, regex patterns).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.generation import Mutation, from_schema, invalid_from_schema
from conformance.lint import _Linter
from conformance.validation import SchemaSet
from tests.conftest import ROOT


def _schemas() -> list[tuple[Path, str]]:
    found = []
    for manifest in sorted((ROOT / "standards").glob("*/*/standard.yaml")):
        folder = manifest.parent
        linter = _Linter(folder)
        files = sorted(folder.glob("schemas/*.json")) + sorted(folder.glob("openapi.yaml"))
        for path in files:
            for pointer in linter._schema_pointers(path):
                found.append((path, pointer))
    return found


SCHEMAS = _schemas()
SETTINGS = settings(
    max_examples=15,
    database=None,
    deadline=None,
    # a profile narrowing a format with a pattern (division codes of one province) filters a lot
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _id(item: tuple[Path, str]) -> str:
    path, pointer = item
    folder = path.parents[1] if path.parent.name == "schemas" else path.parent
    return f"{folder.parent.name}@{folder.name}/{path.name}#{pointer}"


def test_every_sample_standard_contributes_schemas() -> None:
    folders = {p.parents[1] if p.parent.name == "schemas" else p.parent for p, _ in SCHEMAS}
    assert len(folders) >= 4
    assert len(SCHEMAS) > 40


@pytest.mark.parametrize("item", SCHEMAS, ids=[_id(s) for s in SCHEMAS])
def test_generated_values_agree_with_the_validator(item: tuple[Path, str]) -> None:
    path, pointer = item
    folder = next(p for p in path.parents if (p / "standard.yaml").is_file())
    schemas = SchemaSet(folder)
    uri = f"{schemas.uri(path)}#{pointer}"
    schema, resolver = schemas.lookup(uri)
    validator = schemas.validator_for(uri)

    @SETTINGS
    @given(from_schema(schema, resolver=resolver))
    def valid(value: object) -> None:
        errors = [e.message for e in validator.iter_errors(value)]
        assert errors == [], value

    mutations = invalid_from_schema(schema, resolver=resolver)

    @SETTINGS
    @given(mutations)
    def invalid(mutation: Mutation) -> None:
        assert not validator.is_valid(mutation.value), mutation.description

    valid()
    if not mutations.is_empty:  # a schema every value satisfies ($defs only) has no mutation
        invalid()
