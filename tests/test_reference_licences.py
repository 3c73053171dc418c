"""The sample standard gov.e-licence and the reference candidate's licence routes.

The server runs in-process on a loopback port and is driven with real HTTP requests.
Responses are checked against the standard's own OpenAPI documents with jsonschema, a
`referencing` registry over the version folder, and the suite's format checker.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

from conformance.formats import FORMATS, format_checker
from fixtures.reference_candidate import licences
from fixtures.reference_candidate.server import DEFAULT_SEED, build_state, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
STANDARD = ROOT / "standards" / "gov.e-licence"
VERSIONS = ("1.0.0", "1.1.0")
COMMITTED_EXPORTS = ROOT / "fixtures" / "reference_candidate" / "exports" / "gov.e-licence"
META_SCHEMA = ROOT / "conformance" / "schemas" / "standard.schema.json"
TOKEN = "licence-test-token"
API_CHECKS = {"status_code_documented", "content_type_documented", "response_schema"}
EXPORT_CHECKS = {"export_records", "export_encoding", "export_unique_keys"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PERSON = licences.EXAMPLE_PERSON_LICENCE
PERSON_ID = licences.EXAMPLE_PERSON_ID_NUMBER
ORG = licences.EXAMPLE_ORG_LICENCE
UNKNOWN = "MP-1999-999999"


# ---------------------------------------------------------------- standard documents


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Version:
    """One version folder: manifest, OpenAPI document and a registry of every file in it."""

    def __init__(self, version: str) -> None:
        self.folder = STANDARD / version
        self.manifest: dict[str, Any] = yaml.safe_load((self.folder / "standard.yaml").read_text())
        self.openapi_path = self.folder / "openapi.yaml"
        self.openapi: dict[str, Any] = yaml.safe_load(self.openapi_path.read_text())
        resources = []
        for path in sorted(self.folder.rglob("*")):
            if path.suffix == ".json" or path.name == "openapi.yaml":
                text = path.read_text(encoding="utf-8")
                contents = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
                resource = referencing.Resource.from_contents(
                    contents, default_specification=DRAFT202012
                )
                resources.append((path.as_uri(), resource))
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources)

    def validator(self, path: Path, pointer: str = "") -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{path.as_uri()}#{pointer}"},
            registry=self.registry,
            format_checker=format_checker(),
        )

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.openapi["paths"].items():
            for method in METHODS:
                if method in item:
                    yield path, method, item[method]

    def response_validator(self, path: str, method: str, status: int) -> Draft202012Validator:
        responses = self.openapi["paths"][path][method]["responses"]
        assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
        pointer = (
            f"/paths/{_escape(path)}/{method}/responses/{status}/content/application~1json/schema"
        )
        return self.validator(self.openapi_path, pointer)

    def clauses(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.manifest["requirements"]}


@pytest.fixture(scope="module")
def versions() -> dict[str, Version]:
    return {v: Version(v) for v in VERSIONS}


# ---------------------------------------------------------------- servers


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never a proxy for loopback
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    return session


@contextmanager
def running(faults: frozenset[str] = frozenset()) -> Iterator[str]:
    server, url = serve_in_thread(token=TOKEN, faults=faults)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running() as url:
        yield url


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with _session() as session:
        yield session


def conforms(
    versions: dict[str, Version],
    response: requests.Response,
    path: str,
    method: str,
    only: tuple[str, ...] = VERSIONS,
) -> Any:
    """Assert the response is documented and its body valid in each version; return the body."""
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/json"
    body = response.json()
    for version in only:
        validator = versions[version].response_validator(path, method, response.status_code)
        errors = [e.message for e in validator.iter_errors(body)]
        assert errors == [], f"{version} {method.upper()} {path}: {errors[:3]}"
    return body


def assert_envelope(
    versions: dict[str, Version], response: requests.Response, path: str, method: str, code: str
) -> dict[str, Any]:
    body = conforms(versions, response, path, method, only=_versions_with(versions, path))
    assert body["code"] == code
    assert body["trace_id"]
    return dict(body)


def _versions_with(versions: dict[str, Version], path: str) -> tuple[str, ...]:
    return tuple(v for v in VERSIONS if path in versions[v].openapi["paths"])


# ---------------------------------------------------------------- the standard itself


@pytest.mark.parametrize("version", VERSIONS)
def test_manifest_and_openapi_are_valid(versions: dict[str, Version], version: str) -> None:
    v = versions[version]
    meta = Draft202012Validator(json.loads(META_SCHEMA.read_text()))
    assert [e.message for e in meta.iter_errors(v.manifest)] == []
    assert v.manifest["version"] == version == v.openapi["info"]["version"]
    validate_openapi(v.openapi, base_uri=v.openapi_path.as_uri())
    assert len(v.manifest["requirements"]) >= 10
    levels = {c["level"] for c in v.manifest["requirements"]}
    assert {"MUST", "SHOULD"} <= levels
    assert any(
        c["verification"] == "manual" and c["level"] == "SHOULD" for c in v.manifest["requirements"]
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_schema_file_is_a_valid_2020_12_schema(
    versions: dict[str, Version], version: str
) -> None:
    for path in sorted((versions[version].folder / "schemas").glob("*.json")):
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path.name
        Draft202012Validator.check_schema(schema)
        validator = versions[version].validator(path)
        for example in schema.get("examples", []):
            assert [e.message for e in validator.iter_errors(example)] == [], path.name


@pytest.mark.parametrize("version", VERSIONS)
def test_clauses_cover_every_operation_and_export(
    versions: dict[str, Version], version: str
) -> None:
    v = versions[version]
    clauses = v.clauses()
    named: set[str] = set()

    def checks_of(ids: list[str]) -> set[str]:
        found: set[str] = set()
        for clause_id in ids:
            assert clause_id in clauses, f"undefined clause {clause_id}"
            named.add(clause_id)
            found |= set(clauses[clause_id].get("checks") or API_CHECKS | EXPORT_CHECKS)
        return found

    for path, method, operation in v.operations():
        assert operation["operationId"]
        covered = checks_of(operation["x-clauses"])
        for response in operation["responses"].values():
            covered |= checks_of(response.get("x-clauses", []))
        assert covered >= API_CHECKS, f"{method} {path} lacks {API_CHECKS - covered}"
        assert v.openapi["security"] == [{"bearerAuth": []}]
        assert "401" in operation["responses"]
    for export in v.manifest["exports"]:
        assert checks_of(export["clauses"]) >= EXPORT_CHECKS, export["name"]
    automated = {i for i, c in clauses.items() if c["verification"] == "automated"}
    assert automated == named
    assert not any(clauses[i]["verification"] == "manual" for i in named)


def test_version_1_1_0_only_adds_to_1_0_0(versions: dict[str, Version]) -> None:
    old, new = versions["1.0.0"], versions["1.1.0"]
    old_ops = {(p, m): op for p, m, op in old.operations()}
    new_ops = {(p, m): op for p, m, op in new.operations()}
    assert set(old_ops) < set(new_ops)
    assert set(new_ops) - set(old_ops) == {("/licences/{licence_id}/history", "get")}
    for key, operation in old_ops.items():
        new_operation = new_ops[key]
        assert set(operation["responses"]) == set(new_operation["responses"])
        old_params = {p["name"]: p for p in operation.get("parameters", [])}
        new_params = {p["name"]: p for p in new_operation.get("parameters", [])}
        for name, param in old_params.items():
            assert new_params[name] == param
        assert all(not p.get("required") for n, p in new_params.items() if n not in old_params)
    # Shared schema files are unchanged, so no response or export gained or lost anything.
    for path in (old.folder / "schemas").iterdir():
        assert (new.folder / "schemas" / path.name).read_bytes() == path.read_bytes()
    old_clauses, new_clauses = old.clauses(), new.clauses()
    assert set(old_clauses) < set(new_clauses)
    added = [new_clauses[i] for i in set(new_clauses) - set(old_clauses)]
    # a new optional operation (MAY) and a response-time budget (SHOULD): neither can fail
    # a candidate that conformed to 1.0.0
    assert sorted(c["level"] for c in added) == ["MAY", "SHOULD"]
    for clause_id, clause in old_clauses.items():
        assert new_clauses[clause_id]["level"] == clause["level"]
        assert new_clauses[clause_id].get("checks") == clause.get("checks")


def _xml_records(path: Path) -> list[etree._Element]:
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    return list(tree.getroot())


def _field(record: etree._Element, path: str) -> list[str]:
    nodes = [record]
    for step in path.split("/"):
        nodes = [child for node in nodes for child in node if etree.QName(child).localname == step]
    return [node.text or "" for node in nodes]


def check_export_files(version: Version, jsonl: Path, xml: Path) -> int:
    """Validate both export files record by record; return the number of records."""
    specs = {e["name"]: e for e in version.manifest["exports"]}
    spec = specs["licences-jsonl"]
    validator = version.validator(version.folder / spec["schema"])
    seen: set[str] = set()
    lines = jsonl.read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == "", "the last record ends with a newline"
    for number, line in enumerate(lines[:-1], 1):
        record = json.loads(line)
        assert [e.message for e in validator.iter_errors(record)] == [], f"line {number}"
        assert record["licence_id"] not in seen
        seen.add(record["licence_id"])
    xml_spec = specs["licences-xml"]
    xsd = etree.XMLSchema(etree.parse(str(version.folder / xml_spec["schema"])))
    xml_ids: list[str] = []
    for record in _xml_records(xml):
        assert etree.QName(record).localname == xml_spec["record_element"]
        assert xsd.validate(copy.deepcopy(record)), str(xsd.error_log)
        for field_path, format_name in xml_spec["field_formats"].items():
            for value in _field(record, field_path):
                assert FORMATS[format_name].check(value) is None, (field_path, value)
        (key,) = _field(record, xml_spec["key"][0])
        xml_ids.append(key)
    assert sorted(xml_ids) == sorted(seen)
    assert len(set(xml_ids)) == len(xml_ids)
    return len(seen)


@pytest.mark.parametrize("version", VERSIONS)
def test_example_exports_validate(versions: dict[str, Version], version: str) -> None:
    v = versions[version]
    jsonl, xml = (
        v.folder / next(e for e in v.manifest["exports"] if e["format"] == fmt)["examples"][0]
        for fmt in ("jsonl", "xml")
    )
    assert 3 <= check_export_files(v, jsonl, xml) <= 5


def test_xml_field_formats_catch_a_wrong_check_character(versions: dict[str, Version]) -> None:
    v = versions["1.0.0"]
    example = (v.folder / "examples" / "licences.xml").read_text(encoding="utf-8")
    broken = example.replace(PERSON_ID, PERSON_ID[:-1] + "1")
    assert broken != example
    records = etree.fromstring(broken.encode("utf-8"))
    values = [value for record in records for value in _field(record, "Holder/IdNumber")]
    assert any(FORMATS["cn-id-number"].check(value) for value in values)


# ---------------------------------------------------------------- seeded data and exports


def test_seed_is_deterministic_and_holds_the_examples() -> None:
    first = licences.licence_data(build_state("t", frozenset()).store)
    again = licences.licence_data(build_state("t", frozenset()).store)
    other = licences.licence_data(build_state("t", frozenset(), seed=DEFAULT_SEED + 1).store)
    assert len(first.licences) == licences.SEEDED_COUNT
    assert first.licences == again.licences
    assert first.order == again.order
    assert first.licences != other.licences
    for data in (first, other):
        assert data.order[:2] == [PERSON, ORG]
        assert data.licences[PERSON]["holder"]["id_number"] == PERSON_ID
    statuses = {r["status"] for r in first.licences.values()}
    assert statuses == {"valid", "suspended", "revoked", "expired"}


def test_write_exports_validate_and_match_committed_files(
    versions: dict[str, Version], tmp_path: Path
) -> None:
    store = build_state("unused", frozenset()).store
    licences.write_exports(tmp_path, store)
    written = tmp_path / "gov.e-licence"
    for version in VERSIONS:
        count = check_export_files(
            versions[version], written / "licences.jsonl", written / "licences.xml"
        )
        assert count == licences.SEEDED_COUNT
    for name in ("licences.jsonl", "licences.xml"):
        raw = (written / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in raw
        assert (COMMITTED_EXPORTS / name).read_bytes() == raw, f"rerun make_exports.py ({name})"


# ---------------------------------------------------------------- API behaviour


def test_list_default_page(
    versions: dict[str, Version], base_url: str, http: requests.Session
) -> None:
    response = http.get(f"{base_url}/licences")
    assert response.status_code == 200
    body = conforms(versions, response, "/licences", "get")
    assert (body["page"], body["page_size"], body["total"]) == (1, 20, licences.SEEDED_COUNT)
    assert len(body["items"]) == 20
    assert [i["licence_id"] for i in body["items"][:2]] == [PERSON, ORG]
    stamps = [i["updated_at"] for i in body["items"]]
    assert stamps == sorted(stamps, reverse=True)


def test_pagination_walks_every_licence_once(
    versions: dict[str, Version], base_url: str, http: requests.Session
) -> None:
    seen: list[str] = []
    for page in range(1, 4):
        response = http.get(f"{base_url}/licences", params={"page": page, "page_size": 50})
        body = conforms(versions, response, "/licences", "get")
        assert (body["page"], body["page_size"], body["total"]) == (page, 50, 120)
        seen += [item["licence_id"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == 120
    beyond = http.get(f"{base_url}/licences", params={"page": 4, "page_size": 50})
    assert conforms(versions, beyond, "/licences", "get")["items"] == []
    edge = http.get(f"{base_url}/licences", params={"page_size": 100})
    assert len(conforms(versions, edge, "/licences", "get")["items"]) == 100
    far = http.get(f"{base_url}/licences", params={"page": str(10**20)})
    assert conforms(versions, far, "/licences", "get")["items"] == []
    one = http.get(f"{base_url}/licences", params={"page": 120, "page_size": 1})
    assert [i["licence_id"] for i in one.json()["items"]] == [seen[-1]]


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"licence_type": "MP"}, ("licence_type",), "MP"),
        ({"licence_type": "BL"}, ("licence_type",), "BL"),
        ({"holder_id_number": PERSON_ID}, ("holder", "id_number"), PERSON_ID),
        ({"status": "revoked"}, ("status",), "revoked"),
    ],
)
def test_list_filters(
    versions: dict[str, Version],
    base_url: str,
    http: requests.Session,
    params: dict[str, str],
    field: tuple[str, ...],
    expected: str,
) -> None:
    response = http.get(f"{base_url}/licences", params={**params, "page_size": "100"})
    only = ("1.1.0",) if "status" in params else VERSIONS
    body = conforms(versions, response, "/licences", "get", only=only)
    assert 0 < body["total"] < licences.SEEDED_COUNT
    assert len(body["items"]) == body["total"]
    for item in body["items"]:
        value: Any = item
        for step in field:
            value = value[step]
        assert value == expected


def test_get_licence(versions: dict[str, Version], base_url: str, http: requests.Session) -> None:
    listed = http.get(f"{base_url}/licences").json()["items"]
    for item in listed[:5]:
        response = http.get(f"{base_url}/licences/{item['licence_id']}")
        assert response.status_code == 200
        assert conforms(versions, response, "/licences/{licence_id}", "get") == item
    missing = http.get(f"{base_url}/licences/{UNKNOWN}")
    assert missing.status_code == 404
    envelope = assert_envelope(
        versions, missing, "/licences/{licence_id}", "get", "LICENCE_NOT_FOUND"
    )
    assert UNKNOWN in envelope["message"]
    for malformed in ("mp-2025-000001", "MP-2025-1", "verify", "%E8%AF%81%E7%85%A7"):
        response = http.get(f"{base_url}/licences/{malformed}")
        assert response.status_code == 400, malformed
        assert_envelope(versions, response, "/licences/{licence_id}", "get", "INVALID_PARAMETER")


def _verify(http: requests.Session, base_url: str, body: Any) -> requests.Response:
    return http.post(f"{base_url}/licences/verify", json=body)


def test_verify(versions: dict[str, Version], base_url: str, http: requests.Session) -> None:
    ok = _verify(http, base_url, {"licence_id": PERSON, "holder_id_number": PERSON_ID})
    assert ok.status_code == 200
    body = conforms(versions, ok, "/licences/verify", "post")
    assert (body["licence_id"], body["valid"], body["status"]) == (PERSON, True, "valid")
    assert body["checked_at"].endswith("+08:00")
    # A person licence that is not valid verifies as valid=false with its status.
    data = http.get(f"{base_url}/licences", params={"status": "expired", "page_size": "100"})
    expired = next(i for i in data.json()["items"] if i["holder"]["type"] == "person")
    answer = _verify(
        http,
        base_url,
        {"licence_id": expired["licence_id"], "holder_id_number": expired["holder"]["id_number"]},
    )
    result = conforms(versions, answer, "/licences/verify", "post")
    assert (result["valid"], result["status"]) == (False, "expired")


@pytest.mark.parametrize(
    "body",
    [
        {"licence_id": UNKNOWN, "holder_id_number": PERSON_ID},
        {"licence_id": PERSON, "holder_id_number": "11010519491231002X"},
        {"licence_id": ORG, "holder_id_number": PERSON_ID},
    ],
    ids=["unknown-licence", "other-holder", "organisation-licence"],
)
def test_verify_not_found_does_not_reveal_existence(
    versions: dict[str, Version], base_url: str, http: requests.Session, body: dict[str, str]
) -> None:
    response = _verify(http, base_url, body)
    assert response.status_code == 404
    assert_envelope(versions, response, "/licences/verify", "post", "LICENCE_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {"licence_id": PERSON, "holder_id_number": PERSON_ID, "extra": 1},
        {"licence_id": PERSON},
        {"holder_id_number": PERSON_ID},
        {"licence_id": PERSON, "holder_id_number": PERSON_ID[:-1] + "1"},
        {"licence_id": PERSON, "holder_id_number": 330106198803150026},
        {"licence_id": "MP_2025_000001", "holder_id_number": PERSON_ID},
        [PERSON, PERSON_ID],
        "not an object",
    ],
    ids=[
        "unknown-property",
        "missing-holder",
        "missing-licence",
        "bad-check-char",
        "number",
        "bad-licence-id",
        "array",
        "string",
    ],
)
def test_verify_rejects_bad_bodies(
    versions: dict[str, Version], base_url: str, http: requests.Session, body: Any
) -> None:
    response = _verify(http, base_url, body)
    assert response.status_code == 400
    assert_envelope(versions, response, "/licences/verify", "post", "INVALID_BODY")


def test_verify_rejects_non_json(
    versions: dict[str, Version], base_url: str, http: requests.Session
) -> None:
    for raw in (b"", b"{", b"\xff\xfe{}"):
        response = http.post(
            f"{base_url}/licences/verify",
            data=raw,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, raw
        assert_envelope(versions, response, "/licences/verify", "post", "INVALID_BODY")


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": ""},
        {"licence_type": "XX"},
        {"licence_type": "营业执照"},
        {"holder_id_number": PERSON_ID[:-1] + "1"},
        {"holder_id_number": PERSON_ID[:-1] + "x"},
        {"holder_id_number": "33010619880230002X"},
        {"status": "cancelled"},
    ],
)
def test_list_rejects_bad_parameters(
    versions: dict[str, Version], base_url: str, http: requests.Session, params: dict[str, str]
) -> None:
    response = http.get(f"{base_url}/licences", params=params)
    assert response.status_code == 400
    envelope = assert_envelope(versions, response, "/licences", "get", "INVALID_PARAMETER")
    assert next(iter(params)) in envelope["message"]


def test_history(versions: dict[str, Version], base_url: str, http: requests.Session) -> None:
    path = "/licences/{licence_id}/history"
    assert path not in versions["1.0.0"].openapi["paths"]
    revoked = http.get(f"{base_url}/licences", params={"status": "revoked"}).json()["items"]
    for licence in [http.get(f"{base_url}/licences/{PERSON}").json(), *revoked]:
        response = http.get(f"{base_url}/licences/{licence['licence_id']}/history")
        assert response.status_code == 200
        body = conforms(versions, response, path, "get", only=("1.1.0",))
        events = body["events"]
        assert body["licence_id"] == licence["licence_id"]
        assert events[0]["from"] is None
        assert events[0]["to"] == "valid"
        assert all(a["to"] == b["from"] for a, b in itertools.pairwise(events))
        assert [e["at"] for e in events] == sorted(e["at"] for e in events)
        assert events[-1]["to"] == licence["status"]
        assert events[-1]["at"] == licence["updated_at"]
    missing = http.get(f"{base_url}/licences/{UNKNOWN}/history")
    assert missing.status_code == 404
    assert_envelope(versions, missing, path, "get", "LICENCE_NOT_FOUND")


def _example_request(operation: dict[str, Any], path: str) -> tuple[str, dict[str, Any], Any]:
    query: dict[str, Any] = {}
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(param["example"]))
        elif param["in"] == "query":
            query[param["name"]] = param["example"]
    body = None
    if "requestBody" in operation:
        body = operation["requestBody"]["content"]["application/json"]["example"]
    return path, query, body


@pytest.mark.parametrize("version", VERSIONS)
def test_openapi_examples_reach_200(
    versions: dict[str, Version], version: str, base_url: str, http: requests.Session
) -> None:
    v = versions[version]
    for path, method, operation in v.operations():
        url_path, query, body = _example_request(operation, path)
        response = http.request(method.upper(), base_url + url_path, params=query, json=body)
        assert response.status_code == 200, (method, path, response.text)
        returned = conforms(versions, response, path, method, only=(version,))
        if path == "/licences":
            assert returned["total"] >= 1  # the examples select a seeded licence


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/licences"),
        ("GET", f"/licences/{PERSON}"),
        ("GET", f"/licences/{PERSON}/history"),
        ("POST", "/licences/verify"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", TOKEN, f"Basic {TOKEN}"])
def test_unauthorised_requests_get_401(
    versions: dict[str, Version],
    base_url: str,
    method: str,
    path: str,
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with requests.Session() as anonymous:
        anonymous.trust_env = False
        response = anonymous.request(
            method,
            base_url + path,
            headers=headers,
            json={"licence_id": PERSON, "holder_id_number": PERSON_ID},
        )
    assert response.status_code == 401
    body = response.json()
    assert set(body) >= {"code", "message", "trace_id"}
    assert body["code"] == "UNAUTHORIZED"
    assert PERSON_ID not in response.text
    template = re.sub(r"/licences/[A-Z]{2}-\d{4}-\d{6}", "/licences/{licence_id}", path)
    conforms(versions, response, template, method.lower(), only=_versions_with(versions, template))


# ---------------------------------------------------------------- faults


def _date_format(http: requests.Session, url: str, faulty: bool) -> None:
    item = http.get(f"{url}/licences").json()["items"][0]
    record = http.get(f"{url}/licences/{item['licence_id']}").json()
    pattern = r"\d{4}/\d{2}/\d{2}" if faulty else r"\d{4}-\d{2}-\d{2}"
    assert re.fullmatch(pattern, item["issue_date"])
    assert re.fullmatch(pattern, record["issue_date"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", record["updated_at"])  # only one field


def _page_size(http: requests.Session, url: str, faulty: bool) -> None:
    body = http.get(f"{url}/licences", params={"page_size": 5}).json()
    assert body["page_size"] == 5
    assert len(body["items"]) == (20 if faulty else 5)


def _non_ascii(http: requests.Session, url: str, faulty: bool) -> None:
    response = http.get(f"{url}/licences", params={"licence_type": "营业执照"})
    assert response.status_code == (500 if faulty else 400)
    assert http.get(f"{url}/licences", params={"licence_type": "BL"}).status_code == 200


def _content_type(http: requests.Session, url: str, faulty: bool) -> None:
    response = http.get(f"{url}/licences/{PERSON}")
    assert response.status_code == 200
    media = response.headers["Content-Type"].split(";")[0]
    assert media == ("text/html" if faulty else "application/json")
    assert response.json()["licence_id"] == PERSON  # the body is still JSON
    missing = http.get(f"{url}/licences/{UNKNOWN}")
    assert missing.headers["Content-Type"].startswith("application/json")


def _envelope(http: requests.Session, url: str, faulty: bool) -> None:
    for response in (
        http.get(f"{url}/licences/{UNKNOWN}"),
        http.get(f"{url}/licences", params={"page": 0}),
    ):
        body = response.json()
        assert {"code", "message"} <= set(body)
        assert ("trace_id" in body) is not faulty


def _undocumented(http: requests.Session, url: str, faulty: bool) -> None:
    response = _verify(http, url, {"licence_id": PERSON, "holder_id_number": PERSON_ID})
    assert response.status_code == (202 if faulty else 200)
    assert response.json()["valid"] is True


def _number_as_string(http: requests.Session, url: str, faulty: bool) -> None:
    total = http.get(f"{url}/licences").json()["total"]
    assert total == ("120" if faulty else 120)


def _out_of_range(http: requests.Session, url: str, faulty: bool) -> None:
    response = http.get(f"{url}/licences", params={"page_size": 1000})
    if faulty:
        assert response.status_code == 200
        assert len(response.json()["items"]) == licences.SEEDED_COUNT
    else:
        assert response.status_code == 400
    assert http.get(f"{url}/licences", params={"page_size": 0}).status_code == 400


def _html_error(http: requests.Session, url: str, faulty: bool) -> None:
    response = http.get(f"{url}/licences/{UNKNOWN}")
    assert response.status_code == 404
    if faulty:
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.text.startswith("<!DOCTYPE html>")
    else:
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "LICENCE_NOT_FOUND"


def _bad_check_char(http: requests.Session, url: str, faulty: bool) -> None:
    record = http.get(f"{url}/licences/{PERSON}").json()
    listed = http.get(f"{url}/licences").json()["items"][0]
    for shown in (record["holder"]["id_number"], listed["holder"]["id_number"]):
        assert shown[:17] == PERSON_ID[:17]
        assert (shown == PERSON_ID) is not faulty
        assert (FORMATS["cn-id-number"].check(shown) is None) is not faulty
    other = http.get(f"{url}/licences/{ORG}").json()
    assert other["holder"]["uscc"] == licences.EXAMPLE_ORG_USCC


PROBES: dict[str, Callable[[requests.Session, str, bool], None]] = {
    "wrong-date-format": _date_format,
    "page-size-ignored": _page_size,
    "non-ascii-500": _non_ascii,
    "wrong-content-type": _content_type,
    "envelope-missing-field": _envelope,
    "undocumented-status": _undocumented,
    "number-as-string": _number_as_string,
    "out-of-range-accepted": _out_of_range,
    "html-error-page": _html_error,
    "bad-id-check-char": _bad_check_char,
}


def test_every_fault_has_a_probe() -> None:
    assert set(PROBES) == set(licences.FAULTS)
    assert all(description for description in licences.FAULTS.values())


@pytest.mark.parametrize("fault", sorted(PROBES))
def test_probe_passes_without_the_fault(base_url: str, http: requests.Session, fault: str) -> None:
    PROBES[fault](http, base_url, False)


@pytest.mark.parametrize("fault", sorted(PROBES))
def test_fault_changes_what_it_names(http: requests.Session, fault: str) -> None:
    with running(frozenset({fault})) as url:
        PROBES[fault](http, url, True)


@pytest.mark.parametrize(
    ("fault", "path", "method"),
    [
        ("wrong-date-format", "/licences/{licence_id}", "get"),
        ("bad-id-check-char", "/licences/{licence_id}", "get"),
        ("number-as-string", "/licences", "get"),
    ],
)
def test_body_faults_fail_the_response_schema(
    versions: dict[str, Version],
    http: requests.Session,
    fault: str,
    path: str,
    method: str,
) -> None:
    with running(frozenset({fault})) as url:
        response = http.request(method, url + path.replace("{licence_id}", PERSON))
    for version in VERSIONS:
        validator = versions[version].response_validator(path, method, response.status_code)
        assert list(validator.iter_errors(response.json())), (fault, version)
