"""Classifications on standards we did not write: version pairs shaped like the changes of
published OpenAPI documents (Swagger Petstore, GitHub REST, Open Banking UK, an API written to
Zalando's guidelines), each with the rules and the bump a reviewer would expect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.standards.diff import RULES, diff_standards
from conformance.standards.loader import load_standard
from tests.diffcases import DATA, Case, make_pair

PAIRS: list[dict[str, Any]] = yaml.safe_load((DATA / "published.yaml").read_text(encoding="utf-8"))


def test_the_pairs_name_real_rules_and_cover_every_base() -> None:
    assert len(PAIRS) >= 30
    assert len({p["name"] for p in PAIRS}) == len(PAIRS)
    for pair in PAIRS:
        assert set(pair["expect"]) <= set(RULES), pair["name"]
    bases = {p["base"] for p in PAIRS}
    assert bases == {p.name for p in (DATA / "published").iterdir() if p.is_dir()}


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p["name"])
def test_published_shape(pair: dict[str, Any], tmp_path: Path) -> None:
    source = DATA / "published" / pair["base"] / "1.0.0"
    case = Case("published", "openapi.yaml", tuple(pair["patch"]))
    old, new = make_pair(tmp_path, case, source=source)
    diff = diff_standards(load_standard(old), load_standard(new))
    assert sorted({c.rule for c in diff.changes}) == sorted(pair["expect"]), [
        c.message_en() for c in diff.changes
    ]
    assert diff.required_bump().value == pair["bump"]
    for change in diff.changes:
        # every change traces to a clause (documentation of a shared component may not)
        assert change.clauses or change.rule == "api-doc-changed", change.message_en()


def test_unchanged_bases_have_no_changes(tmp_path: Path) -> None:
    for base in sorted((DATA / "published").iterdir()):
        case = Case("none", "openapi.yaml")
        old, new = make_pair(tmp_path / base.name, case, source=base / "1.0.0")
        assert diff_standards(load_standard(old), load_standard(new)).changes == []
