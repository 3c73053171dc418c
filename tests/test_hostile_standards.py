"""Hostile standards (issue 7, item 3): a mistaken or malicious change to a standard.

Every case gives a located lint error (file, line or JSON pointer, rule id), makes
``conformance standards lint`` exit 1 and ``conformance run`` exit 2 without a traceback, and
never hangs (a generous hang guard, ``finishes``; no test here claims a speed). Cases already
proven elsewhere (a path leaving the folder, a YAML tag that constructs objects, a ``$ref`` to
a URL): tests/test_standards.py.

A catastrophically backtracking pattern is also followed past lint, into every place that
evaluates patterns: validators (lint examples, response validation), export validation, a
whole run, and request generation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from hypothesis.strategies import SearchStrategy

from conformance import regex_validator
from conformance.cli import main
from conformance.engine.run import Run
from conformance.exports import validate_export
from conformance.generation import (
    UnsatisfiableSchema,
    UnsupportedSchema,
    from_schema,
    invalid_from_schema,
)
from conformance.generation._regex import regex_generator
from conformance.lint import lint_folder
from conformance.regex_validator import PatternTimeout
from conformance.results import Outcome
from conformance.session import RunOptions, prepare
from conformance.standards.loader import load_standard
from conformance.standards.model import CsvOptions, ExportSpec, Text
from conformance.validation import SchemaSet
from tests.conftest import (
    FIXTURE,
    HANG_TIMEOUT_S,
    OWN_PEAK_KIB,
    ROOT,
    finishes,
    json_answering,
    run_cli,
)

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken"
MINIMAL = DATA / "minimal" / "test.minimal" / "1.0.0"
VERSION = Path("test.minimal") / "1.0.0"
RUNAWAY = "^(P|P)+[0-9]*$"  # the pattern of tests/data/broken/pattern-backtracking


@pytest.fixture(autouse=True)
def fresh_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test pays its own first timeout; a short one keeps the suite fast."""
    monkeypatch.setattr(regex_validator, "_RUNAWAY", set())
    monkeypatch.setattr(regex_validator, "PATTERN_TIMEOUT_S", 0.3)


# ---------------------------------------------------------------- the hostile standards


def _copy(root: Path) -> Path:
    folder = root / VERSION
    shutil.copytree(MINIMAL, folder)
    return folder


def _edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _edit_openapi(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "openapi.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


def _symlink_outside(folder: Path) -> None:
    schema = folder / "schemas" / "person.schema.json"
    outside = folder.parents[2] / "outside.schema.json"
    outside.write_bytes(schema.read_bytes())
    schema.unlink()
    schema.symlink_to(outside)


def _symlinked_folder(folder: Path) -> None:
    (folder / "schemas" / "etc").symlink_to("/etc", target_is_directory=True)


def _huge_manifest(folder: Path) -> None:
    _append(folder / "standard.yaml", "x-pad: '" + "x" * (9 * 1024 * 1024) + "'\n")


def _deep_yaml(folder: Path) -> None:
    _append(folder / "standard.yaml", "x-deep: " + "[" * 5000 + "]" * 5000 + "\n")


def _recursive_alias(folder: Path) -> None:
    _append(folder / "standard.yaml", "x-loop: &loop [1, *loop]\n")


def _deep_json(folder: Path) -> None:
    path = folder / "schemas" / "person.schema.json"
    deep = '{"type": "object", "properties": {"x": ' * 3000 + "{}" + "}}" * 3000
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"format": "date"}', '"format": "date"}, "deep": ' + deep))


def _ref_chain(folder: Path) -> None:
    def change(schema: dict[str, Any]) -> None:
        links = 3000
        schema["$defs"] = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(links)}
        schema["$defs"][f"d{links}"] = {"type": "string"}
        schema["properties"]["name"] = {"$ref": "#/$defs/d0"}

    _edit_json(folder / "schemas" / "person.schema.json", change)


def _response(schema: object) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        def change(doc: dict[str, Any]) -> None:
            content = doc["paths"]["/people/{id}"]["get"]["responses"]["200"]["content"]
            content["application/json"]["schema"] = schema

        _edit_openapi(folder, change)

    return build


def _request_body(schema: object) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        def change(doc: dict[str, Any]) -> None:
            get = doc["paths"]["/people/{id}"]["get"]
            doc["paths"]["/people/{id}"]["put"] = {
                **get,
                "operationId": "putPerson",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                },
            }

        _edit_openapi(folder, change)

    return build


# (case, how to build it (None: the committed fixture in tests/data/broken), rule, file,
#  text the located message must contain)
CASES: list[tuple[str, Callable[[Path], None] | None, str, str, str]] = [
    ("pattern-backtracking", None, "pattern-backtracking", "person.schema.json",
     ":7 at /properties/id/pattern"),
    ("pattern-properties-backtracking", None, "pattern-backtracking", "person.schema.json",
     ":6 at /patternProperties/^x-(a|a)+$"),
    ("unsatisfiable-schema", None, "schema-unsatisfiable", "person.schema.json",
     ":8 at /properties/name"),
    ("unsatisfiable-parameter", None, "schema-unsatisfiable", "openapi.yaml",
     ":10 at /paths/~1people~1{id}/get/parameters/0/schema/allOf/0"),
    ("response-not-anything", _response({"not": {}}), "schema-unsatisfiable", "openapi.yaml",
     "/responses/200/content/application~1json/schema/not"),
    ("response-empty-enum", _response({"enum": []}), "schema-unsatisfiable", "openapi.yaml",
     "/responses/200/content/application~1json/schema"),
    ("body-required-false", _request_body(
        {"type": "object", "required": ["a"], "properties": {"a": False}}),
     "schema-unsatisfiable", "openapi.yaml", "/put/requestBody/content/application~1json/schema"),
    ("body-string-and-integer", _request_body(
        {"allOf": [{"type": "string"}, {"type": "integer"}]}),
     "schema-unsatisfiable", "openapi.yaml", "/requestBody/content/application~1json/schema"),
    ("yaml-billion-laughs", None, "manifest-parse", "standard.yaml",
     "YAML aliases expand the document to 1234568006 nodes"),
    ("recursive-alias", _recursive_alias, "manifest-parse", "standard.yaml",
     ":30: error: recursive YAML alias"),
    ("huge-manifest", _huge_manifest, "manifest-parse", "standard.yaml",
     "file too large: size=9438"),
    ("deep-nesting", None, "document-parse", "person.schema.json",
     "at /properties/deep/properties/x/properties/x"),
    ("deep-yaml-5000", _deep_yaml, "manifest-parse", "standard.yaml",
     "nested more than 64 levels deep"),
    ("deep-json-3000", _deep_json, "document-parse", "person.schema.json",
     "nested more than 64 levels deep"),
    ("ref-chain-3000", _ref_chain, "schema-too-deep", "openapi.yaml",
     "through $ref) too deeply"),
    ("symlink-file-outside", _symlink_outside, "path-symlink", "person.schema.json",
     "symbolic links are not allowed"),
    ("symlink-folder-outside", _symlinked_folder, "path-symlink", "schemas/etc",
     "symbolic links are not allowed"),
]  # fmt: skip
CASE_IDS = [case[0] for case in CASES]


def _standards_root(case: str, build: Callable[[Path], None] | None, tmp_path: Path) -> Path:
    """The folder holding test.minimal/1.0.0 for ``case``."""
    if build is None:
        return BROKEN / case
    root = tmp_path / case
    build(_copy(root))
    return root


@pytest.mark.parametrize(("case", "build", "rule", "filename", "where"), CASES, ids=CASE_IDS)
def test_hostile_standard_gives_one_located_lint_error(
    case: str,
    build: Callable[[Path], None] | None,
    rule: str,
    filename: str,
    where: str,
    tmp_path: Path,
) -> None:
    folder = _standards_root(case, build, tmp_path) / VERSION
    issues = finishes(lambda: lint_folder(folder))
    found = [i for i in issues if i.rule == rule]
    assert found, [i.format() for i in issues]
    text = found[0].format()
    assert filename in text
    assert where in text, text


def test_hostile_standards_exit_1_from_the_lint_cli(tmp_path: Path) -> None:
    roots = [_standards_root(case, build, tmp_path) for case, build, *_ in CASES]
    lint = run_cli("standards", "lint", *(str(root) for root in roots))  # bounded: CLI_TIMEOUT_S
    assert lint.code == 1, lint.out + lint.err
    assert "Traceback" not in lint.out + lint.err
    assert f"{len(CASES)} standard version(s) linted" in lint.out
    for _, _, rule, _, _ in CASES:
        assert f"[{rule}]" in lint.out


@pytest.mark.parametrize(("case", "build", "rule", "filename", "where"), CASES, ids=CASE_IDS)
def test_hostile_standard_makes_run_exit_2(
    case: str,
    build: Callable[[Path], None] | None,
    rule: str,
    filename: str,
    where: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _standards_root(case, build, tmp_path)
    code = finishes(
        lambda: main(
            [
                *("run", "--standard", "test.minimal@1.0.0", "--standards-dir", str(root)),
                *("--candidate", str(FIXTURE / "candidate.yaml")),
                *("--base-url", "http://127.0.0.1:9", "--reports-dir", str(tmp_path / "r")),
            ]
        )
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: "), err
    assert filename in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "r").exists()  # refused before any report was written


def test_run_cli_refuses_a_runaway_pattern_in_a_subprocess(tmp_path: Path) -> None:
    result = run_cli(  # bounded: CLI_TIMEOUT_S
        *("run", "--standard", "test.minimal@1.0.0"),
        *("--standards-dir", str(BROKEN / "pattern-backtracking")),
        *("--candidate", str(FIXTURE / "candidate.yaml"), "--base-url", "http://127.0.0.1:9"),
        *("--reports-dir", str(tmp_path)),
    )
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert "person.schema.json:7 at /properties/id/pattern" in result.err
    assert "[pattern-backtracking]" in result.err


def test_a_huge_file_in_the_folder_is_digested_in_bounded_memory(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    with (folder / "examples" / "huge.bin").open("wb") as out:
        out.truncate(512 * 1024 * 1024)  # sparse: no disk, but 512 MB to read and hash
    code = OWN_PEAK_KIB + (
        "import sys; from pathlib import Path\n"
        "from conformance.standards.loader import content_digest\n"
        "print(content_digest(Path(sys.argv[1])))\n"
        "print(own_peak_kib() // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        capture_output=True,
        text=True,
        timeout=HANG_TIMEOUT_S,
        check=True,
        cwd=ROOT,
    )
    digest, peak_mb = done.stdout.split()
    assert digest.startswith("sha256:")
    assert int(peak_mb) < 150, f"{peak_mb} MB"


# ---------------------------------------------------------------- past lint: bounded anyway

PATTERN_FOLDER = BROKEN / "pattern-backtracking" / VERSION
PERSON = PATTERN_FOLDER / "schemas" / "person.schema.json"


def _person(person_id: str) -> dict[str, str]:
    number = "11010519491231002X"
    return {"id": person_id, "name": "张三", "id_number": number, "born": "1949-12-31"}


def test_validator_bounds_a_runaway_pattern_and_names_file_line_pointer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(regex_validator, "PATTERN_TIMEOUT_S", 1.0)  # the shipped default
    validator = SchemaSet(PATTERN_FOLDER).validator_at(PERSON)
    with pytest.raises(PatternTimeout) as first:  # the search is cut at the timeout
        finishes(lambda: list(validator.iter_errors(_person("P" * 40 + "!"))))
    assert str(first.value.location) == f"{PERSON}:7 at /properties/id/pattern"
    assert "took more than 1s on a string of 41 characters" in first.value.message
    searched: list[str] = []
    compile_pattern = regex_validator.compile_pattern

    def counted(pattern: str) -> Any:
        searched.append(pattern)
        return compile_pattern(pattern)

    monkeypatch.setattr(regex_validator, "compile_pattern", counted)
    with pytest.raises(PatternTimeout, match="on an earlier value"):
        list(validator.iter_errors(_person("P001")))
    assert RUNAWAY not in searched  # the pattern is not tried again


def test_validator_without_the_runaway_value_still_validates() -> None:
    validator = SchemaSet(PATTERN_FOLDER).validator_at(PERSON)
    assert list(validator.iter_errors(_person("P001"))) == []
    errors = list(validator.iter_errors(_person("Q001")))
    assert [e.validator for e in errors] == ["pattern"]


def test_regex_semantics_survive_a_dollar_schema_declaration(tmp_path: Path) -> None:
    # Schema files declare "$schema": 2020-12; python-jsonschema used to switch back to its
    # stock class (stdlib `re`, unbounded) when a $ref entered such a file.
    folder = _copy(tmp_path)

    def han(schema: dict[str, Any]) -> None:
        schema["properties"]["name"]["pattern"] = r"^\p{Han}+$"

    _edit_json(folder / "schemas" / "person.schema.json", han)
    validator = SchemaSet(folder).validator_for(
        (folder / "openapi.yaml").resolve().as_uri()
        + "#/paths/~1people~1{id}/get/responses/200/content/application~1json/schema"
    )
    assert type(validator).__name__ != "Draft202012Validator"
    assert list(validator.iter_errors(_person("P001"))) == []
    assert [e.validator for e in validator.iter_errors({**_person("P001"), "name": "Li"})] == [
        "pattern"
    ]


def test_export_validation_stops_at_a_runaway_pattern(tmp_path: Path) -> None:
    spec = load_standard(PATTERN_FOLDER).exports[0]
    export = tmp_path / "people.jsonl"
    with export.open("w", encoding="utf-8") as out:
        for number in range(5000):
            person = _person("P" * 40 + "!" if number % 2 else f"P{number % 1000:03d}")
            out.write(json.dumps(person, ensure_ascii=False) + "\n")
    report = finishes(lambda: validate_export(spec, export))
    runaway = [i for i in report.issues if i.kind == "pattern-timeout"]
    assert len(runaway) == 1, [i.message for i in report.issues][:5]
    assert f"{PERSON}:7 at /properties/id/pattern" in runaway[0].message
    assert report.complete is False  # an unusable schema is never a pass


def test_export_validation_against_a_ref_chain_schema_stops_cleanly(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _ref_chain(folder)
    spec = load_standard(folder).exports[0]
    report = finishes(lambda: validate_export(spec, folder / "examples" / "people.jsonl"))
    assert [i.kind for i in report.issues] == ["schema"]
    assert "nests too deeply" in report.issues[0].message
    assert report.complete is False


def test_csv_header_against_a_runaway_pattern_property_is_bounded(tmp_path: Path) -> None:
    folder = BROKEN / "pattern-properties-backtracking" / VERSION
    spec = ExportSpec(
        name="people-csv",
        title=Text("人员", "People"),
        format="csv",
        schema_path=folder / "schemas" / "person.schema.json",
        clauses=("MIN-EXP-001",),
        csv=CsvOptions(delimiter=",", empty="absent"),
    )
    export = tmp_path / "people.csv"
    header = "id,name,id_number,born,x-" + "a" * 40 + "!"
    export.write_text(header + "\nP001,张三,11010519491231002X,1949-12-31,v\n", encoding="utf-8")
    report = finishes(lambda: validate_export(spec, export))
    assert [i.kind for i in report.issues if i.kind == "pattern-timeout"] == ["pattern-timeout"]


@pytest.fixture
def runaway_candidate() -> Iterator[str]:
    """A loopback candidate answering every GET with a person whose id makes RUNAWAY run away."""
    with json_answering(json.dumps(_person("P" * 40 + "!")).encode()) as url:
        yield url


def test_run_past_lint_reports_a_runaway_pattern_as_an_error(
    tmp_path: Path, runaway_candidate: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lint refuses this standard (above); skip lint to prove the run is bounded on its own.
    monkeypatch.setattr("conformance.session._refuse_if_lint_errors", lambda *loaded: None)
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "v", "system": "hostile", "version": "1"},
                "base_url": runaway_candidate,
                "claims": [
                    {
                        "standard": "test.minimal@1.0.0",
                        "exports": {"people": str(PATTERN_FOLDER / "examples" / "people.jsonl")},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    options = RunOptions(
        standard="test.minimal@1.0.0",
        candidate=candidate,
        seed=1,
        reports_dir=tmp_path / "reports",
        max_examples=5,
        standards_dirs=(BROKEN / "pattern-backtracking",),
    )
    outcome = finishes(Run(prepare(options)).run)  # a hang fails the test
    schema = [r for r in outcome.results if r.check == "response_schema"]
    assert [r.outcome for r in schema] == [Outcome.ERROR]
    assert "person.schema.json:7 at /properties/id/pattern" in schema[0].message
    assert "catastrophic backtracking" in schema[0].message


# ---------------------------------------------------------------- generation, reached directly

FAST = settings(
    max_examples=30,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),  # as the engine runs it
)


@pytest.mark.parametrize("strategy", [from_schema, invalid_from_schema])
@pytest.mark.parametrize("keyword", ["pattern", "patternProperties"])
def test_generation_refuses_a_runaway_pattern_before_drawing(
    strategy: Callable[..., SearchStrategy[Any]], keyword: str
) -> None:
    # A search timing out half way through a draw would make Hypothesis' replay of the draw
    # depend on the machine's load; the builder refuses the pattern up front instead.
    if keyword == "pattern":
        schema: dict[str, Any] = {"type": "string", "pattern": "^(a|a)+$", "minLength": 40}
    else:
        schema = {"type": "object", "patternProperties": {"^x-(a|a)+$": {"type": "string"}}}
    with pytest.raises(UnsupportedSchema, match=r"backtracks catastrophically") as refused:
        finishes(lambda: strategy(schema))
    assert f"#/{keyword}" in str(refused.value)


def test_generator_pattern_checks_are_bounded_in_time() -> None:
    # What the up-front probe might miss is still bounded where the generator checks values.
    generator = regex_generator("^(a|a)+$")
    assert generator.matches("a" * 40)
    with pytest.raises(PatternTimeout):  # cut at PATTERN_TIMEOUT_S (0.3 s here)
        finishes(lambda: generator.matches("a" * 40 + "!"))
    with pytest.raises(PatternTimeout):  # generation never marks a pattern: same every time
        generator.matches("a" * 40 + "!")


UNSATISFIABLE = [
    {"type": "string", "minLength": 5, "maxLength": 2},
    {"allOf": [{"type": "string"}, {"type": "integer"}]},
    {"not": {}},
    {"enum": []},
    {"type": "object", "required": ["a"], "properties": {"a": False}},
    {"type": "integer", "minimum": 5, "maximum": 2},
    {"type": "array", "minItems": 3, "maxItems": 1},
    {"type": "integer", "multipleOf": 2, "minimum": 3, "maximum": 3},
    False,
]


@pytest.mark.parametrize("schema", UNSATISFIABLE, ids=lambda s: json.dumps(s)[:40])
@pytest.mark.parametrize("strategy", [from_schema, invalid_from_schema])
def test_generation_refuses_an_unsatisfiable_schema_at_once(
    schema: object, strategy: Callable[..., SearchStrategy[Any]]
) -> None:
    with pytest.raises(UnsatisfiableSchema):  # when the strategy is built, before any draw
        finishes(lambda: strategy(schema))


# Conflicts the builder cannot see in one place: generation filters, and Hypothesis gives up.
HARD = [
    {"type": "string", "pattern": "^a$", "minLength": 3},
    {"oneOf": [{"type": "string"}, {"type": "string"}]},
    {"type": "object", "minProperties": 2, "additionalProperties": False},
]


@pytest.mark.parametrize("schema", HARD, ids=lambda s: json.dumps(s)[:40])
def test_generation_from_a_hidden_conflict_gives_up_within_a_bound(schema: object) -> None:
    drawn: list[object] = []

    @FAST
    @given(from_schema(schema))  # type: ignore[arg-type]
    def draw(value: object) -> None:
        drawn.append(value)

    with pytest.raises((Unsatisfiable, FailedHealthCheck)):
        finishes(draw)
    assert drawn == []
