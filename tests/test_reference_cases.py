"""The gov.service-case and gov.data-catalogue standards and their reference candidate.

The candidate runs on real loopback HTTP; responses are checked against the standard's
OpenAPI document with jsonschema and a registry over the version folder, so these tests
do not depend on the engine that will later run the same checks.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import referencing
import requests
import yaml
from jsonschema import Draft202012Validator
from lxml import etree
from openapi_spec_validator import validate as validate_openapi
from referencing.jsonschema import DRAFT202012

from conformance.formats import format_checker
from conformance.standards._documents import escape_pointer_token
from fixtures.reference_candidate import cases
from fixtures.reference_candidate.server import (
    DEFAULT_SEED,
    Store,
    build_state,
    make_server,
    serve_in_thread,
)

ROOT = Path(__file__).resolve().parents[1]
CASE_DIR = ROOT / "standards" / "gov.service-case" / "1.0.0"
CAT_DIR = ROOT / "standards" / "gov.data-catalogue" / "1.0.0"
COMMITTED_EXPORTS = ROOT / "fixtures" / "reference_candidate" / "exports"
META_SCHEMA = ROOT / "conformance" / "schemas" / "standard.schema.json"
TOKEN = "cases-test-token"
TIMEOUT = 10
API_CHECKS = {"status_code_documented", "content_type_documented", "response_schema"}
EXPORT_CHECKS = {"export_records", "export_encoding", "export_unique_keys"}
STATUSES = ["received", "accepted", "rejected", "processing", "completed", "returned"]
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)


class Folder:
    """A standard version folder: its manifest, documents and one schema registry."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest = _load(folder / "standard.yaml")
        self.documents = {
            path: _load(path)
            for path in sorted(folder.rglob("*"))
            if path.suffix in (".json", ".yaml")
            and path.name != "standard.yaml"
            and "examples" not in path.relative_to(folder).parts
        }
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resources(
            (path.as_uri(), DRAFT202012.create_resource(data))
            for path, data in self.documents.items()
        )
        self.openapi_path = folder / "openapi.yaml"

    def validator(self, path: Path, pointer: str = "") -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{path.as_uri()}#{pointer}"},
            registry=self.registry,
            format_checker=format_checker(),
        )

    def errors(self, path: Path, pointer: str, instance: Any) -> list[str]:
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in self.validator(path, pointer).iter_errors(instance)
        ]

    @property
    def openapi(self) -> dict[str, Any]:
        doc: dict[str, Any] = self.documents[self.openapi_path]
        return doc

    def operations(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for path, item in self.openapi.get("paths", {}).items():
            for method, op in item.items():
                yield f"/paths/{escape_pointer_token(path)}/{method}", op

    def operation(self, operation_id: str) -> tuple[str, dict[str, Any]]:
        for pointer, op in self.operations():
            if op["operationId"] == operation_id:
                return pointer, op
        raise KeyError(operation_id)

    def follow(self, pointer: str, obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Follow a local object-level $ref (responses live in components)."""
        while "$ref" in obj:
            pointer = obj["$ref"][1:]
            obj = self.openapi
            for token in pointer.split("/")[1:]:
                obj = obj[token.replace("~1", "/").replace("~0", "~")]
        return pointer, obj

    def responses(self, operation_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
        pointer, op = self.operation(operation_id)
        return {
            status: self.follow(f"{pointer}/responses/{status}", raw)
            for status, raw in op["responses"].items()
        }


SERVICE_CASE = Folder(CASE_DIR)
CATALOGUE = Folder(CAT_DIR)


def check_response(operation_id: str, response: requests.Response) -> Any:
    """Assert the response is documented and its body valid; return the body."""
    responses = SERVICE_CASE.responses(operation_id)
    assert str(response.status_code) in responses, (operation_id, response.status_code)
    pointer, spec = responses[str(response.status_code)]
    media = response.headers["Content-Type"].split(";")[0].strip()
    assert media in spec["content"], (operation_id, media)
    body = response.json()
    schema_pointer = f"{pointer}/content/{escape_pointer_token(media)}/schema"
    errors = SERVICE_CASE.errors(SERVICE_CASE.openapi_path, schema_pointer, body)
    assert errors == [], (operation_id, response.status_code, errors)
    return body


@contextmanager
def running(faults: frozenset[str] = frozenset()) -> Iterator[str]:
    """A fresh, freshly seeded server, like serve_in_thread's.

    Many tests need pristine data, so each starts its own server; a short poll interval
    keeps shutdown from waiting out serve_forever's default half second each time.
    """
    server = make_server(token=TOKEN, faults=faults)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def base() -> Iterator[str]:
    with running() as url:
        yield url


def call(
    base: str, method: str, path: str, *, token: str | None = TOKEN, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.request(method, base + path, headers=headers, timeout=TIMEOUT, **kwargs)


def person_body(**changes: Any) -> dict[str, Any]:
    body = {
        "service_code": "XK330001",
        "applicant": {
            "type": "person",
            "name": "李建华",
            "id_number": "11010519491231002X",
            "mobile": "13912345678",
        },
        "division_code": "330106",
        "received_at": "2026-03-01T09:15:00+08:00",
    }
    body.update(changes)
    return body


def organisation_applicant() -> dict[str, Any]:
    return {"type": "organisation", "name": "示范科技有限公司", "uscc": "91110000600037341L"}


def create(base: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = call(base, "POST", "/cases", json=body or person_body())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = check_response("createCase", response)
    return created


def all_cases(base: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in range(1, 20):
        query = {"page": str(page), "page_size": "100", **params}
        body = check_response("listCases", call(base, "GET", "/cases", params=query))
        items.extend(body["items"])
        if not body["items"]:
            return items
    raise AssertionError("more pages than expected")


# ---------------------------------------------------------------------------------------
# The standards themselves.


@pytest.mark.parametrize("folder", [SERVICE_CASE, CATALOGUE], ids=["service-case", "catalogue"])
def test_manifest_validates_against_meta_schema(folder: Folder) -> None:
    validator = Draft202012Validator(
        _load(META_SCHEMA), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(folder.manifest)] == []
    assert folder.manifest["version"] == folder.folder.name
    assert folder.manifest["id"] == folder.folder.parent.name


@pytest.mark.parametrize("folder", [SERVICE_CASE, CATALOGUE], ids=["service-case", "catalogue"])
def test_manifest_loads_with_the_suite_loader(folder: Folder) -> None:
    from conformance.standards.loader import load_standard

    standard = load_standard(folder.folder)
    assert standard.ref == f"{folder.manifest['id']}@{folder.manifest['version']}"
    assert [spec.name for spec in standard.exports] == [
        e["name"] for e in folder.manifest["exports"]
    ]


def test_openapi_document_is_valid() -> None:
    validate_openapi(
        copy.deepcopy(SERVICE_CASE.openapi), base_uri=SERVICE_CASE.openapi_path.as_uri()
    )
    assert SERVICE_CASE.openapi["openapi"] == "3.1.0"
    for _, op in SERVICE_CASE.operations():
        assert op["operationId"]
        assert op["x-clauses"]


def _clauses(folder: Folder) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in folder.manifest["requirements"]}


def _verifies(clause: dict[str, Any], check: str) -> bool:
    return not clause.get("checks") or check in clause["checks"]


def test_service_case_operations_are_covered_for_every_api_check() -> None:
    clauses = _clauses(SERVICE_CASE)
    named: set[str] = set()
    for _, op in SERVICE_CASE.operations():
        ids = list(op["x-clauses"])
        for _, response in SERVICE_CASE.responses(op["operationId"]).values():
            ids.extend(response.get("x-clauses", []))
        assert set(ids) <= set(clauses), op["operationId"]
        named.update(ids)
        for check in API_CHECKS:
            assert any(_verifies(clauses[i], check) for i in ids), (op["operationId"], check)
    for export in SERVICE_CASE.manifest["exports"]:
        named.update(export["clauses"])
    automated = {i for i, c in clauses.items() if c["verification"] == "automated"}
    assert automated == named
    assert {i for i, c in clauses.items() if c["verification"] == "manual"} == {"CASE-OPS-001"}
    assert clauses["CASE-OPS-001"]["level"] == "SHOULD"
    assert len(clauses) >= 10


@pytest.mark.parametrize("folder", [SERVICE_CASE, CATALOGUE], ids=["service-case", "catalogue"])
def test_exports_are_covered_for_every_export_check(folder: Folder) -> None:
    clauses = _clauses(folder)
    for export in folder.manifest["exports"]:
        assert set(export["clauses"]) <= set(clauses)
        for check in EXPORT_CHECKS:
            assert any(_verifies(clauses[i], check) for i in export["clauses"]), (
                export["name"],
                check,
            )
        for path in [export["schema"], *export["examples"]]:
            assert (folder.folder / path).resolve().is_relative_to(folder.folder)


def test_catalogue_clauses_are_named_when_automated() -> None:
    clauses = _clauses(CATALOGUE)
    named = {i for export in CATALOGUE.manifest["exports"] for i in export["clauses"]}
    automated = {i for i, c in clauses.items() if c["verification"] == "automated"}
    assert automated == named
    manual = {i: c["level"] for i, c in clauses.items() if c["verification"] == "manual"}
    assert "SHOULD" in manual.values()
    assert len(clauses) >= 8
    assert "api" not in CATALOGUE.manifest


def _schema_examples(node: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list) and ("type" in node or "$ref" in node):
            for example in node["examples"]:
                yield pointer, example
        for key, value in node.items():
            if key != "examples":
                yield from _schema_examples(value, f"{pointer}/{escape_pointer_token(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_examples(value, f"{pointer}/{index}")


@pytest.mark.parametrize("folder", [SERVICE_CASE, CATALOGUE], ids=["service-case", "catalogue"])
def test_schema_examples_are_valid(folder: Folder) -> None:
    seen = 0
    for path, data in folder.documents.items():
        for pointer, example in _schema_examples(data, ""):
            assert folder.errors(path, pointer, example) == [], (path.name, pointer)
            seen += 1
    assert seen >= 3


def test_openapi_parameter_and_body_examples_are_valid() -> None:
    seen = 0
    for pointer, op in SERVICE_CASE.operations():
        for index, parameter in enumerate(op.get("parameters", [])):
            at = f"{pointer}/parameters/{index}/schema"
            assert "example" in parameter, (op["operationId"], parameter["name"])
            errors = SERVICE_CASE.errors(SERVICE_CASE.openapi_path, at, parameter["example"])
            assert errors == [], (op["operationId"], parameter["name"])
            seen += 1
        if "requestBody" in op:
            media = op["requestBody"]["content"]["application/json"]
            at = f"{pointer}/requestBody/content/application~1json/schema"
            assert SERVICE_CASE.errors(SERVICE_CASE.openapi_path, at, media["example"]) == []
            seen += 1
    assert seen == 7


def test_schema_rejects_what_the_standard_forbids() -> None:
    create_schema = CASE_DIR / "schemas" / "case-create.schema.json"
    assert SERVICE_CASE.errors(create_schema, "", person_body()) == []
    wrong_check = person_body()
    wrong_check["applicant"]["id_number"] = "110105194912310021"
    both_ids = person_body()
    both_ids["applicant"]["uscc"] = "91110000600037341L"
    for bad in (wrong_check, both_ids, person_body(extra=1), person_body(received_at="2026-03-01")):
        assert SERVICE_CASE.errors(create_schema, "", bad) != []
    resource = CAT_DIR / "schemas" / "resource.schema.json"
    example = _load(resource)["examples"][0]
    no_condition = {k: v for k, v in example.items() if k != "share_condition"}
    not_shared_with_method = {**example, "share_type": "not-shared"}
    not_shared = {k: v for k, v in not_shared_with_method.items() if k != "share_method"}
    assert CATALOGUE.errors(resource, "", no_condition) != []
    assert CATALOGUE.errors(resource, "", not_shared_with_method) != []
    assert CATALOGUE.errors(resource, "", not_shared) == []


# ---------------------------------------------------------------------------------------
# Export files: the standards' examples and the candidate's generated exports.


def _csv_records(folder: Folder, export: dict[str, Any], path: Path) -> Iterator[Any]:
    properties = _load(folder.folder / export["schema"])["properties"]
    text = path.read_bytes().decode(export["encoding"])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=export["csv"]["delimiter"])
    assert reader.fieldnames == list(properties)
    for row in reader:
        record: dict[str, Any] = {}
        for name, cell in row.items():
            types = properties[name].get("type", "string")
            types = [types] if isinstance(types, str) else types
            if cell == "" and "null" in types:
                record[name] = None
            elif "integer" in types:
                record[name] = int(cell)
            else:
                record[name] = cell
        yield record


def _local(element: Any) -> str:
    return str(etree.QName(element).localname)


def validate_export_file(folder: Folder, export: dict[str, Any], path: Path) -> int:
    """Validate record by record as the standard says; return the number of records."""
    schema = folder.folder / export["schema"]
    keys: set[tuple[Any, ...]] = set()
    count = 0
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.endswith(b"\n")
    if export["format"] == "xml":
        xsd = etree.XMLSchema(etree.parse(str(schema)))
        records = etree.parse(str(path)).getroot()
        assert xsd.validate(records.getroottree()), xsd.error_log
        for record in records:
            assert _local(record) == export["record_element"]
            assert xsd.validate(etree.ElementTree(copy.deepcopy(record))), xsd.error_log
            for field_path, name in export["field_formats"].items():
                xpath = "/".join(f"*[local-name()='{part}']" for part in field_path.split("/"))
                values = record.xpath(xpath)
                assert values
                for value in values:
                    assert format_checker().conforms(value.text, name), (value.text, name)
            children = {_local(child): child.text for child in record}
            keys.add(tuple(children[k] for k in export["key"]))
            count += 1
        assert len(keys) == count, "duplicate keys"
        return count
    if export["format"] == "json":
        records_iter: Iterator[Any] = iter(json.loads(raw.decode(export["encoding"])))
    else:
        records_iter = _csv_records(folder, export, path)
    validator = folder.validator(schema)
    for record in records_iter:
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == [], (path.name, count, errors)
        keys.add(tuple(record[k] for k in export["key"]))
        count += 1
    assert len(keys) == count, "duplicate keys"
    return count


EXAMPLES = [
    (folder, export)
    for folder in (SERVICE_CASE, CATALOGUE)
    for export in folder.manifest["exports"]
]


@pytest.mark.parametrize(("folder", "export"), EXAMPLES, ids=[e["name"] for _, e in EXAMPLES])
def test_standard_examples_validate_record_by_record(
    folder: Folder, export: dict[str, Any]
) -> None:
    for example in export["examples"]:
        assert 3 <= validate_export_file(folder, export, folder.folder / example) <= 5


@pytest.fixture(scope="module")
def seeded_store() -> Store:
    return build_state(token="unused", faults=frozenset()).store


@pytest.fixture(scope="module")
def exported(seeded_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    cases.write_exports(out, seeded_store)
    return out


GENERATED = {
    "cases-csv": ("gov.service-case/cases.csv", cases.SEEDED_CASES),
    "catalogue-json": ("gov.data-catalogue/catalogue.json", 60),
    "catalogue-xml": ("gov.data-catalogue/catalogue.xml", 60),
    "providers-json": ("gov.data-catalogue/providers.json", 10),
}


@pytest.mark.parametrize(("folder", "export"), EXAMPLES, ids=[e["name"] for _, e in EXAMPLES])
def test_generated_exports_validate_record_by_record(
    folder: Folder, export: dict[str, Any], exported: Path
) -> None:
    relative, expected = GENERATED[export["name"]]
    assert validate_export_file(folder, export, exported / relative) == expected


def test_committed_exports_are_current(exported: Path) -> None:
    for relative, _ in GENERATED.values():
        assert (COMMITTED_EXPORTS / relative).read_bytes() == (exported / relative).read_bytes()


def test_exports_are_deterministic(exported: Path, tmp_path: Path) -> None:
    store = Store()
    cases.seed(store, random.Random(DEFAULT_SEED))
    cases.write_exports(tmp_path, store)
    for relative, _ in GENERATED.values():
        assert (tmp_path / relative).read_bytes() == (exported / relative).read_bytes()


def test_case_export_is_gb18030_beyond_gbk(exported: Path) -> None:
    raw = (exported / GENERATED["cases-csv"][0]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert "\U00020bb7" in text
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert "\r" not in text
    assert '"Example ""Blue Sky"" Trading Co., Ltd."' in text


def test_case_export_rows_match_the_cases(seeded_store: Store, exported: Path) -> None:
    export = SERVICE_CASE.manifest["exports"][0]
    rows = {
        r["case_id"]: r
        for r in _csv_records(SERVICE_CASE, export, exported / "gov.service-case/cases.csv")
    }
    for case_id, case in seeded_store.collections[cases.CASES].items():
        row = rows[case_id]
        assert row["status"] == case["status"]
        assert row["history_count"] == len(case["history"])
        assert (row["completed_at"] is not None) == (case["status"] == "completed")


def test_catalogue_references_resolve(exported: Path) -> None:
    folder = exported / "gov.data-catalogue"
    resources = json.loads((folder / "catalogue.json").read_text(encoding="utf-8"))
    providers = json.loads((folder / "providers.json").read_text(encoding="utf-8"))
    provider_codes = {p["provider_code"] for p in providers}
    codes = [r["resource_code"] for r in resources]
    assert {r["provider_code"] for r in resources} == provider_codes
    assert all(set(r["related_resource_codes"]) <= set(codes) for r in resources)
    assert {r["share_type"] for r in resources} == {"unconditional", "conditional", "not-shared"}
    xml_codes = [
        e.text
        for e in etree.parse(str(folder / "catalogue.xml")).iter(
            "{urn:gov-conformance:data-catalogue:1.0}ResourceCode"
        )
    ]
    assert xml_codes == codes


def test_catalogue_export_defect_is_caught(exported: Path, tmp_path: Path) -> None:
    """The record-by-record validation above can fail: a wrong USCC check character."""
    export = CATALOGUE.manifest["exports"][2]
    providers = json.loads((exported / "gov.data-catalogue/providers.json").read_text("utf-8"))
    code = providers[3]["provider_code"]
    providers[3]["provider_code"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    bad = tmp_path / "providers.json"
    bad.write_text(json.dumps(providers, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="check character"):
        validate_export_file(CATALOGUE, export, bad)


# ---------------------------------------------------------------------------------------
# The API, correct behaviour.


def test_openapi_examples_reach_success(base: str) -> None:
    _, get_op = SERVICE_CASE.operation("getCase")
    case_id = get_op["parameters"][0]["example"]
    body = check_response("getCase", call(base, "GET", f"/cases/{case_id}"))
    assert body["case_id"] == case_id
    assert body["status"] == "processing"

    _, list_op = SERVICE_CASE.operation("listCases")
    params = {p["name"]: str(p["example"]) for p in list_op["parameters"]}
    listed = check_response("listCases", call(base, "GET", "/cases", params=params))
    assert listed["items"]
    assert all(c["status"] == params["status"] for c in listed["items"])

    _, create_op = SERVICE_CASE.operation("createCase")
    example = create_op["requestBody"]["content"]["application/json"]["example"]
    assert call(base, "POST", "/cases", json=example).status_code == 201

    _, move_op = SERVICE_CASE.operation("transitionCase")
    case_id = move_op["parameters"][0]["example"]
    example = move_op["requestBody"]["content"]["application/json"]["example"]
    response = call(base, "POST", f"/cases/{case_id}/transitions", json=example)
    moved = check_response("transitionCase", response)
    assert response.status_code == 200
    assert moved["status"] == example["to"]


def test_serve_in_thread_mounts_the_case_routes() -> None:
    server, url = serve_in_thread(token=TOKEN)
    try:
        response = call(url, "GET", f"/cases/{cases.EXAMPLE_CASE_ID}")
        assert check_response("getCase", response)["case_id"] == cases.EXAMPLE_CASE_ID
        assert call(url, "GET", "/cases", token=None).status_code == 401
    finally:
        server.shutdown()
        server.server_close()


def test_list_default_page(base: str) -> None:
    response = call(base, "GET", "/cases")
    body = check_response("listCases", response)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert (body["page"], body["page_size"], body["total"]) == (1, 20, cases.SEEDED_CASES)
    assert len(body["items"]) == 20


def test_pages_cover_every_case_once(base: str) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        params = {"page": str(page), "page_size": "30"}
        body = check_response("listCases", call(base, "GET", "/cases", params=params))
        assert (body["page"], body["page_size"]) == (page, 30)
        seen.extend(c["case_id"] for c in body["items"])
    assert len(seen) == len(set(seen)) == cases.SEEDED_CASES
    beyond = call(base, "GET", "/cases", params={"page": "4", "page_size": "30"})
    assert check_response("listCases", beyond)["items"] == []
    assert len(all_cases(base)) == cases.SEEDED_CASES


def test_status_filter_returns_only_matching_cases(base: str) -> None:
    everything = all_cases(base)
    for status in STATUSES:
        expected = [c["case_id"] for c in everything if c["status"] == status]
        assert expected, status
        response = call(base, "GET", "/cases", params={"status": status, "page_size": "100"})
        body = check_response("listCases", response)
        assert body["total"] == len(expected)
        assert [c["case_id"] for c in body["items"]] == expected


def test_create_then_read_and_list(base: str) -> None:
    response = call(base, "POST", "/cases", json=person_body())
    created = check_response("createCase", response)
    assert response.status_code == 201
    assert created["status"] == "received"
    assert created["history"] == []
    assert created["applicant"] == person_body()["applicant"]
    location = response.headers["Location"]
    assert location == f"/cases/{created['case_id']}"
    header = SERVICE_CASE.responses("createCase")["201"][1]["headers"]["Location"]
    assert header["required"]
    assert re.search(header["schema"]["pattern"], location)
    read = call(base, "GET", location)
    assert check_response("getCase", read) == created
    listed = all_cases(base)
    assert len(listed) == cases.SEEDED_CASES + 1
    assert listed[-1] == created


def test_create_organisation_case_and_accepted_rfc3339_variants(base: str) -> None:
    variants = ["2026-03-01t09:15:00z", "2026-03-01T09:15:00.250-05:30", "2026-03-01T01:15:00Z"]
    for received_at in variants:
        body = person_body(applicant=organisation_applicant(), received_at=received_at)
        created = create(base, body)
        assert created["received_at"] == received_at
        assert created["applicant"]["uscc"] == "91110000600037341L"
    no_mobile = person_body()
    del no_mobile["applicant"]["mobile"]
    assert "mobile" not in create(base, no_mobile)["applicant"]


def move(base: str, case_id: str, to: str, **extra: Any) -> requests.Response:
    body = {"to": to, "at": "2026-03-02T09:30:00+08:00", **extra}
    return call(base, "POST", f"/cases/{case_id}/transitions", json=body)


def test_transition_flow_to_completion(base: str) -> None:
    case = create(base)
    for step, to in enumerate(("accepted", "processing", "completed"), start=1):
        response = move(base, case["case_id"], to, note=f"第{step}步")
        body = check_response("transitionCase", response)
        assert response.status_code == 200
        assert body["status"] == to
        assert len(body["history"]) == step
        assert body["history"][-1] == {
            "from": case["status"],
            "to": to,
            "at": "2026-03-02T09:30:00+08:00",
            "note": f"第{step}步",
        }
        case = body
    stuck = move(base, case["case_id"], "processing")
    error = check_response("transitionCase", stuck)
    assert stuck.status_code == 409
    assert error["code"] == "ILLEGAL_TRANSITION"
    after = check_response("getCase", call(base, "GET", f"/cases/{case['case_id']}"))
    assert after == case


@pytest.mark.parametrize("to", ["received", "processing", "completed", "returned"])
def test_illegal_transitions_from_received_conflict(base: str, to: str) -> None:
    case = create(base)
    response = move(base, case["case_id"], to)
    assert response.status_code == 409
    assert check_response("transitionCase", response)["code"] == "ILLEGAL_TRANSITION"
    assert check_response("getCase", call(base, "GET", f"/cases/{case['case_id']}")) == case


def test_processing_may_be_returned(base: str) -> None:
    case = create(base)
    for to in ("accepted", "processing", "returned"):
        assert move(base, case["case_id"], to).status_code == 200
    assert move(base, case["case_id"], "completed").status_code == 409


REQUESTS = [
    ("createCase", "POST", "/cases", person_body()),
    ("listCases", "GET", "/cases", None),
    ("getCase", "GET", f"/cases/{cases.EXAMPLE_CASE_ID}", None),
    ("transitionCase", "POST", f"/cases/{cases.EXAMPLE_RECEIVED_CASE_ID}/transitions",
     {"to": "accepted", "at": "2026-03-02T09:30:00+08:00"}),
]  # fmt: skip


@pytest.mark.parametrize(("operation_id", "method", "path", "body"), REQUESTS)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_unauthorised_requests_get_401(
    base: str,
    operation_id: str,
    method: str,
    path: str,
    body: Any,
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.request(method, base + path, headers=headers, json=body, timeout=TIMEOUT)
    assert response.status_code == 401
    error = check_response(operation_id, response)
    assert error["code"] == "UNAUTHORIZED"
    assert "case_id" not in response.text
    # Nothing happened: the example case is still received, and no case was created.
    assert len(all_cases(base)) == cases.SEEDED_CASES
    received = call(base, "GET", f"/cases/{cases.EXAMPLE_RECEIVED_CASE_ID}").json()
    assert received["status"] == "received"


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "-1"},
        {"status": "in_progress"},
        {"status": ""},
    ],
)
def test_bad_list_parameters_get_400(base: str, params: dict[str, str]) -> None:
    response = call(base, "GET", "/cases", params=params)
    assert response.status_code == 400
    error = check_response("listCases", response)
    assert error["code"] == "INVALID_PARAMETER"
    assert next(iter(params)) in error["message"]


def test_list_edges_are_accepted(base: str) -> None:
    for params in ({"page_size": "1"}, {"page_size": "100"}, {"page": "10000000000"}):
        response = call(base, "GET", "/cases", params=params)
        assert response.status_code == 200
        check_response("listCases", response)


@pytest.mark.parametrize("case_id", ["not-a-uuid", "8d2f6c1e4b7a4c399e152a6f0b3d7c48", "%20"])
def test_malformed_case_ids_get_400(base: str, case_id: str) -> None:
    response = call(base, "GET", f"/cases/{case_id}")
    assert response.status_code == 400
    assert check_response("getCase", response)["code"] == "INVALID_PARAMETER"
    moved = move(base, case_id, "accepted")
    assert moved.status_code == 400
    check_response("transitionCase", moved)


def test_unknown_cases_get_404(base: str) -> None:
    response = call(base, "GET", f"/cases/{UNKNOWN_ID}")
    assert response.status_code == 404
    assert check_response("getCase", response)["code"] == "NOT_FOUND"
    moved = move(base, UNKNOWN_ID, "accepted")
    assert moved.status_code == 404
    check_response("transitionCase", moved)


def test_case_ids_are_case_insensitive(base: str) -> None:
    response = call(base, "GET", f"/cases/{cases.EXAMPLE_CASE_ID.upper()}")
    assert check_response("getCase", response)["case_id"] == cases.EXAMPLE_CASE_ID


def _applicant(**changes: Any) -> dict[str, Any]:
    applicant = dict(person_body()["applicant"])
    applicant.update(changes)
    return {k: v for k, v in applicant.items() if v is not None}


BAD_BODIES: dict[str, Any] = {
    "undefined property": person_body(priority="high"),
    "missing service_code": {k: v for k, v in person_body().items() if k != "service_code"},
    "bad service_code": person_body(service_code="XX330001"),
    "wrong id check char": person_body(applicant=_applicant(id_number="110105194912310021")),
    "lower-case x": person_body(applicant=_applicant(id_number="11010519491231002x")),
    "impossible birth date": person_body(applicant=_applicant(id_number="110105194902300020")),
    "person with uscc": person_body(applicant=_applicant(uscc="91110000600037341L")),
    "organisation without uscc": person_body(
        applicant={"type": "organisation", "name": "示范科技有限公司"}
    ),
    "wrong uscc check char": person_body(
        applicant={**organisation_applicant(), "uscc": "91110000600037341M"}
    ),
    "applicant undefined property": person_body(applicant=_applicant(email="a@example.org")),
    "unknown applicant type": person_body(applicant=_applicant(type="robot")),
    "empty name": person_body(applicant=_applicant(name="")),
    "long name": person_body(applicant=_applicant(name="名" * 101)),
    "bad mobile": person_body(applicant=_applicant(mobile="12912345678")),
    "null mobile": person_body(applicant={**_applicant(), "mobile": None}),
    "bad division": person_body(division_code="990000"),
    "space date-time": person_body(received_at="2026-03-01 09:15:00+08:00"),
    "no offset": person_body(received_at="2026-03-01T09:15:00"),
    "impossible date": person_body(received_at="2026-02-30T09:15:00+08:00"),
    "number date-time": person_body(received_at=20260301),
    "array body": [person_body()],
}


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_invalid_create_bodies_get_400(base: str, body: Any) -> None:
    create_schema = CASE_DIR / "schemas" / "case-create.schema.json"
    assert SERVICE_CASE.errors(create_schema, "", body) != []  # the standard refuses it too
    response = call(base, "POST", "/cases", json=body)
    assert response.status_code == 400
    assert check_response("createCase", response)["code"] == "INVALID_BODY"
    assert len(all_cases(base)) == cases.SEEDED_CASES


def test_non_json_body_gets_400(base: str) -> None:
    for raw in (b"{not json", "{}".encode("utf-16"), b""):
        response = requests.post(
            f"{base}/cases",
            data=raw,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 400
        check_response("createCase", response)


BAD_TRANSITIONS: dict[str, Any] = {
    "unknown status": {"to": "archived", "at": "2026-03-02T09:30:00+08:00"},
    "missing at": {"to": "accepted"},
    "undefined property": {"to": "accepted", "at": "2026-03-02T09:30:00+08:00", "by": "x"},
    "date only": {"to": "accepted", "at": "2026-03-02"},
    "long note": {"to": "accepted", "at": "2026-03-02T09:30:00+08:00", "note": "注" * 501},
    "not an object": "accepted",
}


@pytest.mark.parametrize("body", list(BAD_TRANSITIONS.values()), ids=list(BAD_TRANSITIONS))
def test_invalid_transition_bodies_get_400(base: str, body: Any) -> None:
    path = f"/cases/{cases.EXAMPLE_RECEIVED_CASE_ID}/transitions"
    response = call(base, "POST", path, json=body)
    assert response.status_code == 400
    assert check_response("transitionCase", response)["code"] == "INVALID_BODY"
    case = call(base, "GET", f"/cases/{cases.EXAMPLE_RECEIVED_CASE_ID}").json()
    assert case["status"] == "received"
    assert case["history"] == []


def test_note_of_500_characters_is_kept(base: str) -> None:
    case = create(base)
    body = check_response(
        "transitionCase", move(base, case["case_id"], "rejected", note="注" * 500)
    )
    assert body["history"][0]["note"] == "注" * 500


def test_seeded_cases_are_valid_and_varied(base: str) -> None:
    everything = all_cases(base)
    assert {c["status"] for c in everything} == set(STATUSES)
    assert {c["applicant"]["type"] for c in everything} == {"person", "organisation"}
    for case in everything:
        path = [case["history"][0]["from"]] if case["history"] else ["received"]
        path += [h["to"] for h in case["history"]]
        assert path[0] == "received"
        assert path[-1] == case["status"]
        assert all(b in cases.NEXT_STATUSES[a] for a, b in pairwise(path))


# ---------------------------------------------------------------------------------------
# Faults: each changes exactly what its name says.


def _wrong_status_enum(base: str) -> None:
    response = call(base, "GET", f"/cases/{cases.EXAMPLE_CASE_ID}")
    assert response.json()["status"] == cases.WRONG_PROCESSING
    with pytest.raises(AssertionError, match="is not one of"):
        check_response("getCase", response)
    listed = call(base, "GET", "/cases", params={"status": "processing"}).json()
    assert listed["items"]
    assert {c["status"] for c in listed["items"]} == {cases.WRONG_PROCESSING}


def _transition_unchecked(base: str) -> None:
    case = create(base)
    response = move(base, case["case_id"], "completed")
    assert response.status_code == 200
    assert response.json()["status"] == "completed"


def _location_missing(base: str) -> None:
    response = call(base, "POST", "/cases", json=person_body())
    assert response.status_code == 201
    assert "Location" not in response.headers
    check_response("createCase", response)  # the body is still right


def _filter_ignored(base: str) -> None:
    body = call(base, "GET", "/cases", params={"status": "completed", "page_size": "100"}).json()
    assert body["total"] == cases.SEEDED_CASES
    assert {c["status"] for c in body["items"]} != {"completed"}


def _created_not_readable(base: str) -> None:
    created = create(base)
    assert call(base, "GET", f"/cases/{created['case_id']}").status_code == 404
    assert created["case_id"] not in {c["case_id"] for c in all_cases(base)}


def _unknown_field_accepted(base: str) -> None:
    response = call(base, "POST", "/cases", json=person_body(priority="high"))
    assert response.status_code == 201
    assert "priority" not in check_response("createCase", response)


FAULT_PROBES: dict[str, Callable[[str], None]] = {
    "case-wrong-status-enum": _wrong_status_enum,
    "case-transition-unchecked": _transition_unchecked,
    "case-location-missing": _location_missing,
    "case-filter-ignored": _filter_ignored,
    "case-created-not-readable": _created_not_readable,
    "case-unknown-field-accepted": _unknown_field_accepted,
}


def test_every_fault_is_described_and_probed() -> None:
    assert set(cases.FAULTS) == set(FAULT_PROBES)
    assert all(description.strip() for description in cases.FAULTS.values())


@pytest.mark.parametrize("fault", list(FAULT_PROBES))
def test_fault_changes_what_it_names(fault: str) -> None:
    with running(frozenset({fault})) as url:
        FAULT_PROBES[fault](url)
    with running() as url, pytest.raises(AssertionError):
        FAULT_PROBES[fault](url)  # the correct candidate does not show the defect


@pytest.mark.parametrize("fault", list(FAULT_PROBES))
def test_fault_leaves_the_rest_correct(fault: str) -> None:
    with running(frozenset({fault})) as url:
        body = check_response(
            "listCases", call(url, "GET", "/cases", params={"status": "received"})
        )
        assert body["items"]
        assert call(url, "GET", "/cases", token=None).status_code == 401
        assert call(url, "GET", f"/cases/{UNKNOWN_ID}").status_code == 404
