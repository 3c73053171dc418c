"""Issue 21: what the diff used to miss, documentation-only changes, the clauses each change
touches, and the outputs CI shows (Markdown, JUnit, GitHub annotations, an ignore file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from conformance.errors import StandardError
from conformance.standards.changelog import changelog_for
from conformance.standards.diff import diff_standards
from conformance.standards.loader import load_standard
from tests.conftest import run_cli
from tests.diffcases import Case, make_pair

BEARER_TO_API_KEY = Case(
    "security-scheme-changed",
    "openapi.yaml",
    (
        {
            "op": "replace",
            "path": "/components/securitySchemes/bearerAuth",
            "value": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        },
    ),
)
ENUM_VALUE_ADDED = Case(
    "output-enum-value-added",
    "schemas/out.schema.json",
    ({"op": "add", "path": "/properties/status/enum/-", "value": "d"},),
)


def _diff(tmp_path: Path, case: Case) -> tuple[Path, Path, list[str], str]:
    old, new = make_pair(tmp_path, case)
    diff = diff_standards(load_standard(old), load_standard(new))
    return old, new, [c.rule for c in diff.changes], diff.required_bump().value


# -- the probes of the issue: each used to give no change, or the wrong one --------------------


def test_bearer_to_api_key_breaks_every_operation_once(tmp_path: Path) -> None:
    old, new = make_pair(tmp_path, BEARER_TO_API_KEY)
    diff = diff_standards(load_standard(old), load_standard(new))
    assert [c.rule for c in diff.changes] == ["security-scheme-changed"]
    assert diff.required_bump().value == "major"
    change = diff.changes[0]
    assert "http bearer → apiKey header" in change.detail
    # one change, every operation that authenticates with the scheme listed
    assert {change.subject_en, *change.used_by} == {
        "GET /things",
        "GET /things/{id}",
        "POST /things/check",
    }


def test_security_scheme_renamed_is_a_removed_requirement(tmp_path: Path) -> None:
    case = Case(
        "security-requirement-removed",
        "openapi.yaml",
        (
            {"op": "remove", "path": "/components/securitySchemes/bearerAuth"},
            {
                "op": "add",
                "path": "/components/securitySchemes/apiKeyAuth",
                "value": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
            {"op": "replace", "path": "/security", "value": [{"apiKeyAuth": []}]},
        ),
    )
    _, _, rules, bump = _diff(tmp_path, case)
    assert sorted(set(rules)) == ["security-requirement-added", "security-requirement-removed"]
    assert bump == "major"


def test_optional_authentication_and_scopes(tmp_path: Path) -> None:
    # an empty alternative makes authentication optional: the candidate must accept anonymous
    # requests too (compatible for clients); the reverse breaks them
    case = Case(
        "operation-security-removed",
        "openapi.yaml",
        ({"op": "add", "path": "/security/-", "value": {}},),
    )
    _, _, rules, _ = _diff(tmp_path, case)
    assert rules == ["operation-security-removed"] * len(rules)
    assert rules
    case = Case(
        "operation-security-added",
        "openapi.yaml",
        ({"op": "add", "path": "/security/-", "value": {}},),
        reverse=True,
    )
    _, _, rules, bump = _diff(tmp_path / "r", case)
    assert set(rules) == {"operation-security-added"}
    assert bump == "major"


@pytest.mark.parametrize(
    ("style", "explode", "expected"),
    [
        ("form", False, "parameter-serialization-changed"),  # ids=a,b instead of ids=a&ids=b
        ("spaceDelimited", False, "parameter-serialization-changed"),
        ("pipeDelimited", False, "parameter-serialization-changed"),
        ("form", True, None),  # the default, written out: nothing changes on the wire
    ],
)
def test_array_query_parameter_style(
    tmp_path: Path, style: str, explode: bool, expected: str | None
) -> None:
    param = {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
    case = Case(
        "parameter-serialization-changed",
        "openapi.yaml",
        (
            {"op": "add", "path": "/paths/~1things/get/parameters/2/style", "value": style},
            {"op": "add", "path": "/paths/~1things/get/parameters/2/explode", "value": explode},
        ),
        both=({"op": "add", "path": "/paths/~1things/get/parameters/-", "value": param},),
    )
    _, _, rules, _ = _diff(tmp_path, case)
    assert rules == ([expected] if expected else [])


def test_explode_of_a_primitive_parameter_changes_nothing(tmp_path: Path) -> None:
    # the OpenAPI style table writes a primitive alike whatever explode says
    case = Case(
        "none",
        "openapi.yaml",
        ({"op": "add", "path": "/paths/~1things/get/parameters/1/explode", "value": False},),
    )
    _, _, rules, bump = _diff(tmp_path, case)
    assert rules == []
    assert bump == "none"


def test_path_parameter_style_label_is_a_wire_change(tmp_path: Path) -> None:
    case = Case(
        "parameter-serialization-changed",
        "openapi.yaml",
        (
            {
                "op": "add",
                "path": "/paths/~1things~1{id}/get/parameters/0/style",
                "value": "label",
            },
        ),
    )
    _, _, rules, bump = _diff(tmp_path, case)
    assert rules == ["parameter-serialization-changed"]
    assert bump == "major"


def test_read_only_in_a_request_and_the_required_list(tmp_path: Path) -> None:
    # a required property made readOnly: clients should stop sending it, and it is no longer
    # required in requests; in responses nothing changes
    case = Case(
        "input-read-only-added",
        "schemas/in.schema.json",
        ({"op": "add", "path": "/properties/id/readOnly", "value": True},),
    )
    _, _, rules, _ = _diff(tmp_path, case)
    assert sorted(rules) == ["input-read-only-added", "input-required-removed"]
    case = Case(
        "none",
        "schemas/out.schema.json",
        ({"op": "add", "path": "/properties/id/readOnly", "value": True},),
    )
    _, _, rules, _ = _diff(tmp_path / "out", case)
    assert rules == []


def test_write_only_in_a_response_drops_a_required_field(tmp_path: Path) -> None:
    case = Case(
        "output-write-only-added",
        "schemas/out.schema.json",
        ({"op": "add", "path": "/properties/id/writeOnly", "value": True},),
    )
    _, _, rules, bump = _diff(tmp_path, case)
    assert sorted(rules) == ["output-required-removed", "output-write-only-added"]
    assert bump == "major"


def test_renamed_path_parameter_is_the_same_endpoint(tmp_path: Path) -> None:
    text_patch = (
        {"op": "text", "old": "/things/{id}:", "new": "/things/{thingId}:"},
        {"op": "text", "old": "{name: id, in: path", "new": "{name: thingId, in: path"},
    )
    case = Case("path-parameter-renamed", "openapi.yaml", text_patch)
    _, _, rules, bump = _diff(tmp_path, case)
    assert rules == ["path-parameter-renamed"]
    assert bump == "patch"


def test_deprecation_then_removal_with_a_notice_period(tmp_path: Path) -> None:
    op = "/paths/~1things~1check/post"
    deprecate = (
        {"op": "add", "path": f"{op}/deprecated", "value": True},
        {"op": "add", "path": f"{op}/x-sunset", "value": "2026-12-31"},
    )
    # deprecation is compatible (minor) ...
    _, _, rules, bump = _diff(
        tmp_path / "a", Case("operation-deprecated", "openapi.yaml", deprecate)
    )
    assert rules == ["operation-deprecated"]
    assert bump == "minor"
    # ... unless the standard requires more notice than the sunset gives (2026-02-01 + 365)
    notice = ({"op": "add", "path": "/x-deprecation-notice-days", "value": 365},)
    case = Case("operation-sunset-too-soon", "openapi.yaml", deprecate, both=notice)
    _, _, rules, bump = _diff(tmp_path / "b", case)
    assert rules == ["operation-sunset-too-soon"]
    assert bump == "major"
    # the command line can require a notice period the standard does not set
    old, new = make_pair(tmp_path / "c", Case("x", "openapi.yaml", deprecate))
    diff = diff_standards(load_standard(old), load_standard(new), notice_days=400)
    assert [c.rule for c in diff.changes] == ["operation-sunset-too-soon"]
    # removing it before the sunset breaks; after, it is a planned removal (still major)
    remove = ({"op": "remove", "path": "/paths/~1things~1check"},)
    case = Case("operation-removed-before-sunset", "openapi.yaml", remove, both=deprecate)
    _, _, rules, _ = _diff(tmp_path / "d", case)
    assert rules == ["operation-removed-before-sunset"]
    past = (
        {"op": "add", "path": f"{op}/deprecated", "value": True},
        {"op": "add", "path": f"{op}/x-sunset", "value": "2025-12-31"},
    )
    case = Case("operation-removed-after-deprecation", "openapi.yaml", remove, both=past)
    _, _, rules, bump = _diff(tmp_path / "e", case)
    assert rules == ["operation-removed-after-deprecation"]
    assert bump == "major"


def test_a_draft_is_judged_at_the_date_given(tmp_path: Path) -> None:
    op = "/paths/~1things~1check/post"
    both = (
        {"op": "add", "path": f"{op}/deprecated", "value": True},
        {"op": "add", "path": f"{op}/x-sunset", "value": "2026-06-01"},
    )
    old, new = make_pair(
        tmp_path,
        Case("x", "openapi.yaml", ({"op": "remove", "path": "/paths/~1things~1check"},), both),
    )
    manifest = new / "standard.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("status: published", "status: draft")
    text = re.sub(r"dates: \{[^}]*\}", "dates: {}", text)
    manifest.write_text(text, encoding="utf-8")
    import datetime as dt

    before = diff_standards(load_standard(old), load_standard(new), today=dt.date(2026, 5, 1))
    after = diff_standards(load_standard(old), load_standard(new), today=dt.date(2026, 6, 1))
    assert [c.rule for c in before.changes] == ["operation-removed-before-sunset"]
    assert [c.rule for c in after.changes] == ["operation-removed-after-deprecation"]


def test_response_header_made_optional_and_extensible_enum(tmp_path: Path) -> None:
    header = "/paths/~1things/get/responses/200/headers/X-Total"
    case = Case(
        "response-header-made-optional",
        "openapi.yaml",
        ({"op": "replace", "path": f"{header}/required", "value": False},),
        both=({"op": "add", "path": f"{header}/required", "value": True},),
    )
    _, _, rules, _ = _diff(tmp_path / "h", case)
    assert rules == ["response-header-made-optional"]
    # a header's schema is an output schema
    case = Case(
        "output-type-widened",
        "openapi.yaml",
        ({"op": "replace", "path": f"{header}/schema/type", "value": "number"},),
    )
    old, new = make_pair(tmp_path / "t", case)
    diff = diff_standards(load_standard(old), load_standard(new))
    assert [(c.rule, c.subject_en) for c in diff.changes] == [
        ("output-type-widened", "GET /things response 200 header x-total")
    ]


def test_media_type_spelling_is_not_a_change(tmp_path: Path) -> None:
    content = "/paths/~1things/get/responses/200/content"
    case = Case(
        "none",
        "openapi.yaml",
        (
            {"op": "remove", "path": f"{content}/application~1json"},
            {
                "op": "add",
                "path": f"{content}/Application~1JSON",
                "value": {"schema": {"$ref": "schemas/out.schema.json"}},
            },
        ),
    )
    _, _, rules, _ = _diff(tmp_path, case)
    assert rules == []


# -- documentation only -------------------------------------------------------------------------


def test_documentation_only_changes_need_a_patch_and_reach_the_changelog(tmp_path: Path) -> None:
    case = Case(
        "api-doc-changed",
        "openapi.yaml",
        (
            {"op": "add", "path": "/paths/~1things/get/summary", "value": "List things"},
            {"op": "add", "path": "/paths/~1things/get/description", "value": "Every thing."},
            {"op": "replace", "path": "/info/title", "value": "Diff test API (renamed)"},
            {
                "op": "add",
                "path": "/paths/~1things/get/parameters/1/example",
                "value": 2,
            },
        ),
    )
    old, new = make_pair(tmp_path, case, new_version="1.0.1")
    diff = diff_standards(load_standard(old), load_standard(new))
    assert {c.rule for c in diff.changes} == {"api-doc-changed"}
    assert diff.documentation_only()
    assert diff.required_bump().value == "patch"
    subjects = {c.subject_en for c in diff.changes}
    assert subjects == {"GET /things", "API document /info"}
    text = changelog_for(new.parent)
    assert "仅文档变更 / Documentation-only changes" in text
    assert "`api-doc-changed`" in text
    assert "No changes" not in text
    # the standard's title and a schema's descriptions too
    case = Case(
        "standard-doc-changed",
        patch=({"op": "replace", "path": "/title/en", "value": "Diff rules, retitled"},),
    )
    _, _, rules, bump = _diff(tmp_path / "m", case)
    assert rules == ["standard-doc-changed"]
    assert bump == "patch"


def test_a_property_named_description_is_not_documentation(tmp_path: Path) -> None:
    case = Case(
        "output-property-added-closed",
        "schemas/out.schema.json",
        ({"op": "add", "path": "/properties/description", "value": {"type": "string"}},),
    )
    _, _, rules, _ = _diff(tmp_path, case)
    assert rules == ["output-property-added-closed"]


# -- clauses -----------------------------------------------------------------------------------


def test_each_change_names_the_clauses_it_touches(tmp_path: Path) -> None:
    old, new = make_pair(tmp_path, ENUM_VALUE_ADDED)
    diff = diff_standards(load_standard(old), load_standard(new))
    (change,) = diff.changes
    # the export's clause, and the clauses of the operations returning the schema that the
    # response_schema check verifies: not DIF-API-002 (response times only)
    assert set(change.clauses) == {"DIF-EXP-001", "DIF-API-001", "DIF-API-003"}
    old, new = make_pair(
        tmp_path / "t",
        Case(
            "response-time-budget-relaxed",
            "openapi.yaml",
            ({"op": "replace", "path": "/paths/~1things/get/x-response-time-ms", "value": 900},),
        ),
    )
    (change,) = diff_standards(load_standard(old), load_standard(new)).changes
    assert change.clauses == ["DIF-API-002"]
    text = changelog_for(new.parent)
    assert "条款 / Clauses: DIF-API-002" in text


# -- CI outputs and the ignore file ----------------------------------------------------------------


def _hostile_pair(tmp_path: Path) -> tuple[Path, Path]:
    """A breaking change (a new enum value in responses) and a parameter whose name holds
    Markdown, HTML and workflow-command syntax."""
    name = "q|<script>%0A::x"
    param = {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
    old, new = make_pair(tmp_path, ENUM_VALUE_ADDED)
    from tests.diffcases import apply

    apply(
        new,
        "openapi.yaml",
        ({"op": "add", "path": "/paths/~1things/get/parameters/-", "value": param},),
    )
    return old, new


def test_markdown_for_a_merge_request(tmp_path: Path) -> None:
    old, new = _hostile_pair(tmp_path)
    result = run_cli("standards", "diff", str(old), str(new), "--format", "markdown")
    assert result.code == 0, result.err
    md = result.out
    assert md.startswith("## 标准差异 / Standards diff")
    assert "#### 破坏性变更 / Breaking changes (2)" in md
    assert "`output-enum-value-added`" in md
    assert "`parameter-added-required`" in md
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
    assert "q\\|" in md  # the pipe cannot split the table row
    rows = [line for line in md.splitlines() if line.startswith("| ❌")]
    assert len(rows) == 2
    assert all(row.count(" | ") == 4 for row in rows)


def test_junit_and_github_annotations(tmp_path: Path) -> None:
    old, new = _hostile_pair(tmp_path)
    junit = tmp_path / "diff.xml"
    result = run_cli(
        "standards",
        "diff",
        str(old),
        str(new),
        "--format",
        "github",
        "--report",
        f"junit={junit}",
        "--fail-on",
        "breaking",
        cwd=tmp_path,
    )
    assert result.code == 1, result.err
    lines = result.out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 2
    assert any(
        line.startswith("::error file=test.diff/2.0.0/schemas/out.schema.json,line=")
        for line in errors
    )
    # a workflow command in a value cannot start a new command: % and newlines are escaped
    assert all(line.startswith("::") for line in lines)
    assert any("%250A%3A%3Ax" in line or "%250A::x" in line for line in errors)
    root = etree.fromstring(junit.read_bytes())
    assert root.tag == "testsuites"
    assert root.get("failures") == "2"
    failures = root.findall(".//failure")
    assert {f.get("type") for f in failures} == {"breaking"}
    case = next(c for c in root.iter("testcase") if c.find("failure") is not None)
    assert case.get("file")
    assert case.get("line")


def _ignore_file(path: Path, change_id: str, expires: str, extra: str = "") -> Path:
    path.write_text(
        "accepted:\n"
        f"  - id: '{change_id}'\n"
        "    reason: consumers agreed in the 2026-04 review\n"
        f"    expires: {expires}\n" + extra,
        encoding="utf-8",
    )
    return path


def test_an_ignore_file_accepts_a_break_until_it_expires(tmp_path: Path) -> None:
    old, new = make_pair(tmp_path, ENUM_VALUE_ADDED)
    change_id = diff_standards(load_standard(old), load_standard(new)).changes[0].id
    ignore = _ignore_file(
        tmp_path / "accepted.yaml",
        change_id,
        "2099-12-31",
        "  - id: '000000000000'\n    reason: an old break\n    expires: 2099-01-01\n",
    )
    args = ("standards", "diff", str(old), str(new), "--fail-on", "breaking")
    result = run_cli(*args, "--ignore", str(ignore))
    assert result.code == 0, result.out + result.err
    assert "accepted until 2099-12-31" in result.out
    assert "matches no change: 000000000000" in result.out
    data = json.loads(run_cli(*args, "--ignore", str(ignore), "--format", "json").out)
    assert data["accepted"] == 1
    assert data["changes"][0]["accepted"]["reason"] == "consumers agreed in the 2026-04 review"
    assert [e["id"] for e in data["ignore"]["unused"]] == ["000000000000"]
    junit = etree.fromstring(
        run_cli(*args, "--ignore", str(ignore), "--format", "junit").out.encode()
    )
    assert junit.get("failures") == "0"
    assert junit.get("skipped") == "1"
    # the same entry past its date no longer accepts the change, and says so
    result = run_cli(*args, "--ignore", str(ignore), "--as-of", "2100-01-01")
    assert result.code == 1
    assert f"ignore entry expired: {change_id} on 2099-12-31" in result.out
    result = run_cli(*args, "--ignore", str(ignore), "--as-of", "2100-01-01", "--format", "github")
    assert f"::warning file={ignore},line=2,title=ignore entry expired::" in result.out
    # an entry naming another rule than the change's accepts nothing
    other = _ignore_file(tmp_path / "other.yaml", change_id, "2099-12-31", "")
    other.write_text(
        other.read_text(encoding="utf-8") + "    rule: output-enum-value-removed\n", "utf-8"
    )
    assert run_cli(*args, "--ignore", str(other)).code == 1


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("accepted:\n  - id: 'abc'\n    reason: r\n    expires: 2030-01-01\n", 2, "12 hex digits"),
        (
            "accepted:\n  - id: '0123456789ab'\n    reason: r\n    expires: 2030-02-30\n",
            4,
            "expected a date YYYY-MM-DD",
        ),
        (
            "accepted:\n  - id: '0123456789ab'\n    reason: r\n    expiry: 2030-01-01\n",
            4,
            "unknown key 'expiry'",
        ),
        ("accepted:\n  - id: '0123456789ab'\n    expires: 2030-01-01\n", 2, "missing 'reason'"),
        (
            "accepted:\n  - id: '0123456789ab'\n    reason: r\n    expires: 2030-01-01\n"
            "  - id: '0123456789ab'\n    reason: again\n    expires: 2030-01-01\n",
            5,
            "listed twice",
        ),
        ("ignored: []\n", 1, "the one key 'accepted'"),
        ("accepted: [\n", 2, "malformed YAML"),
    ],
)
def test_a_malformed_ignore_file_exits_2_naming_the_line(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    old, new = make_pair(tmp_path, ENUM_VALUE_ADDED)
    ignore = tmp_path / "accepted.yaml"
    ignore.write_text(text, encoding="utf-8")
    result = run_cli("standards", "diff", str(old), str(new), "--ignore", str(ignore))
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.err
    assert f"{ignore}:{line}" in result.err
    assert expected in result.err
    assert result.out == ""


def test_bad_report_options_exit_2(tmp_path: Path) -> None:
    old, new = make_pair(tmp_path, ENUM_VALUE_ADDED)
    for extra in (
        ("--report", "pdf=out.pdf"),
        ("--report", f"junit={tmp_path}/missing/x.xml"),
        ("--as-of", "tomorrow"),
        ("--deprecation-notice-days", "-1"),
    ):
        result = run_cli("standards", "diff", str(old), str(new), *extra)
        assert result.code == 2, (extra, result.err)
        assert "Traceback" not in result.err


HOSTILE = [
    {"op": "replace", "path": "/security", "value": "yes"},
    {"op": "replace", "path": "/security", "value": [{"bearerAuth": "x"}, "y"]},
    {
        "op": "replace",
        "path": "/components/securitySchemes/bearerAuth",
        "value": {"$ref": "#/components/securitySchemes/bearerAuth"},
    },
    {"op": "replace", "path": "/components/securitySchemes", "value": []},
    {"op": "add", "path": "/paths/~1things/get/deprecated", "value": True},
    {"op": "add", "path": "/paths/~1things/get/x-sunset", "value": [2026, 1, 1]},
    {"op": "add", "path": "/paths/~1things/get/parameters/1/x-sunset", "value": "2026-13-45"},
    {"op": "replace", "path": "/paths/~1things/get/responses/200/headers", "value": "none"},
    {
        "op": "add",
        "path": "/paths/~1things/get/responses/200/headers/X-Total",
        "value": {"$ref": "#/nowhere"},
    },
    {
        "op": "add",
        "path": "/paths/~1things/get/responses/200/content/a;;b=;c",
        "value": {"schema": True},
    },
    {"op": "add", "path": "/paths/~1things/get/responses/200/content/", "value": []},
    {"op": "add", "path": "/paths/~1things/get/parameters/1/style", "value": 5},
    {"op": "add", "path": "/paths/~1things/get/parameters/1/explode", "value": "yes"},
    {"op": "add", "path": "/paths/~1things/get/parameters/1/content", "value": {"x": 1}},
    {"op": "add", "path": "/webhooks", "value": []},
    {"op": "add", "path": "/webhooks", "value": {"w": None}},
    {"op": "add", "path": "/x-deprecation-notice-days", "value": -5},
    {"op": "add", "path": "/x-deprecation-notice-days", "value": True},
    {"op": "add", "path": "/paths/~1things~1check/post/callbacks", "value": "cb"},
    {"op": "replace", "path": "/info", "value": {"title": ["not", "text"], "version": 1}},
]


@pytest.mark.parametrize("patch", HOSTILE, ids=lambda p: f"{p['op']} {p['path']}")
def test_hostile_shapes_do_not_crash_the_diff(tmp_path: Path, patch: dict[str, object]) -> None:
    old, new = make_pair(tmp_path, Case("hostile", "openapi.yaml", (patch,)))
    # whatever its OpenAPI document holds, a standard that loads is diffed (every change
    # located in a file of the version), or refused with a located StandardError
    if str(patch["path"]).endswith("/headers") or patch.get("value") == {"$ref": "#/nowhere"}:
        with pytest.raises(StandardError) as raised:  # what the engine cannot read
            diff_standards(load_standard(old), load_standard(new))
        assert "openapi.yaml" in str(raised.value.location)
        return
    diff = diff_standards(load_standard(old), load_standard(new))
    for change in diff.changes:
        for loc in (change.old, change.new):
            assert loc is None or not loc.file.startswith("/")


def test_schema_keywords_of_another_type_do_not_crash_the_diff(tmp_path: Path) -> None:
    for index, patch in enumerate(
        [
            {"op": "add", "path": "/properties/note/x-extensible-enum", "value": "abc"},
            {"op": "add", "path": "/properties/note/readOnly", "value": "true"},
            {"op": "add", "path": "/properties/note/deprecated", "value": 1},
            {"op": "replace", "path": "/required", "value": "id"},
        ]
    ):
        old, new = make_pair(tmp_path / str(index), Case("h", "schemas/in.schema.json", (patch,)))
        diff_standards(load_standard(old), load_standard(new))


def test_profile_changes_are_located_in_the_files_maintainers_wrote(tmp_path: Path) -> None:
    import shutil

    root = Path(__file__).resolve().parents[1] / "standards"
    for name in ("gov.e-licence", "gov.e-licence.zj"):
        shutil.copytree(root / name, tmp_path / name)
    manifest = tmp_path / "gov.e-licence.zj" / "1.0.0" / "standard.yaml"
    lowered = (
        "  - id: LIC-API-008\n    level: MAY\n    verification: manual\n"
        "    text: {zh-CN: 改为人工核验。, en: Verified by hand.}\n"
    )
    text = manifest.read_text(encoding="utf-8").replace(
        "requirements:\n", "requirements:\n" + lowered, 1
    )
    manifest.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - id: LIC-API-008") + 1
    # lint refuses the change at the profile's own line (not at the base's clause of that index)
    result = run_cli("standards", "lint", str(manifest.parent))
    refused = [x for x in result.out.splitlines() if "clause-verification-changed" in x]
    assert refused, result.out
    assert refused[0].startswith(f"{manifest}:{line} at /requirements/0:")
    # and the annotations point there too
    result = run_cli(
        "standards",
        "diff",
        str(tmp_path / "gov.e-licence" / "1.1.0"),
        str(manifest.parent),
        "--format",
        "github",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    annotation = next(x for x in result.out.splitlines() if "clause-verification-changed" in x)
    assert annotation.startswith(
        f"::warning file=gov.e-licence.zj/1.0.0/standard.yaml,line={line},"
    )


def test_a_header_parameter_in_other_case_is_the_same_parameter(tmp_path: Path) -> None:
    header = {
        "name": "X-Request-Id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
    }
    case = Case(
        "none",
        "openapi.yaml",
        (
            {
                "op": "replace",
                "path": "/paths/~1things/get/parameters/2/name",
                "value": "x-request-id",
            },
        ),
        both=({"op": "add", "path": "/paths/~1things/get/parameters/-", "value": header},),
    )
    _, _, rules, _ = _diff(tmp_path, case)
    assert rules == []
