"""A standard is sealed (issue 15, item 4).

Every reference a standard holds (an XSD's ``xs:include``, ``xs:import``, ``xs:redefine``,
``xs:override`` and ``xsi:schemaLocation``; every JSON ``$ref`` and ``$dynamicRef``, by
``$id``, relative, percent-encoded, through ``..`` or a link) resolves only inside the
standard's version folder.  Anything else is a lint error naming the file, the line and the
reference, and at run time it is never loaded: no file outside the folder is opened (Python's
audit hook sees every open), no request reaches a loopback server the references name.  The
content digest covers every file the standard can load: each file opened while the standard is
loaded, linted and applied is edited in turn, and the digest changes each time.

Proven on :mod:`tests.published_shapes`: the sample e-licence standard laid out as published
standards are (canonical ``$id`` URLs, component files, an XSD include chain and an imported
code list).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import referencing.exceptions
import yaml
from lxml import etree

from conformance.engine.openapi import load_operations
from conformance.exports import validate_export
from conformance.lint import LintIssue, lint_folder
from conformance.standards.loader import content_digest, load_standard
from conformance.standards.seal import XsdReference, load_xsd, resolve_in_folder, xsd_parser
from conformance.validation import SchemaSet
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli
from tests.published_shapes import CANONICAL, published_e_licence

# ---------------------------------------------------------------- observing what is read

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # permanent for the process; records only inside opened_files()


@contextmanager
def opened_files() -> Iterator[list[Path]]:
    """The files opened by this process (any thread) inside the block, resolved."""
    global _OPENED
    seen: list[str] = []
    _OPENED = seen
    found: list[Path] = []
    try:
        yield found
    finally:
        _OPENED = None
        found.extend(dict.fromkeys(Path(p).resolve() for p in seen))


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'{"type": "string"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A real loopback HTTP server that serves anything and records every request."""
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def published(tmp_path: Path) -> Path:
    return published_e_licence(tmp_path / "standards")


def _errors(issues: list[LintIssue]) -> list[LintIssue]:
    return [issue for issue in issues if issue.severity == "error"]


def _schema_uris(schemas: SchemaSet, folder: Path) -> list[str]:
    """The schema of every parameter, body and response of every operation."""
    uris: list[str | None] = []
    for op in load_operations(schemas, folder / "openapi.yaml"):
        uris += [p.schema_uri for p in op.parameters]
        uris += [op.body.schema_uri] if op.body is not None else []
        uris += [uri for response in op.responses for uri in response.content.values()]
    return [uri for uri in uris if uri]


def _xml_spec(folder: Path) -> Any:
    return next(s for s in load_standard(folder).exports if s.format == "xml")


def _jsonl_spec(folder: Path) -> Any:
    return next(s for s in load_standard(folder).exports if s.format == "jsonl")


# ---------------------------------------------------------------- the published layout works


def test_published_layout_lints_clean_and_every_included_file_is_applied(
    published: Path, tmp_path: Path
) -> None:
    assert _errors(lint_folder(published)) == []
    spec = _xml_spec(published)
    example = published / "examples" / "licences.xml"
    assert validate_export(spec, example).passed
    text = example.read_text(encoding="utf-8")
    # one type from each file of the XSD set: main, included, included by the included,
    # and the imported code list
    for good, bad, file in (
        ("<Type>organisation</Type>", "<Type>bogus</Type>", "codes/licence-codes.xsd"),
        ("<DivisionCode>330106<", "<DivisionCode>33010<", "common/licence-types.xsd"),
        ("<IssueDate>2025-11-30<", "<IssueDate>2025-11-30Z<", "common/dates.xsd"),
    ):
        broken = tmp_path / f"broken-{file.replace('/', '-')}.xml"
        broken.write_text(text.replace(good, bad, 1), encoding="utf-8")
        report = validate_export(spec, broken)
        assert report.failed("export_records"), file
    # JSON: the canonical URLs and the relative refs under them are read from the folder
    schemas = SchemaSet(published)
    page = schemas.validator_at(published / "schemas" / "licence-page.schema.json")
    record = json.loads((published / "examples" / "licences.jsonl").read_text().splitlines()[0])
    valid = {"items": [record], "page": 1, "page_size": 20, "total": 1}
    assert not list(page.iter_errors(valid))
    invalid = {**valid, "items": [{**record, "licence_id": "bad"}]}
    assert any("does not match" in e.message for e in page.iter_errors(invalid))
    declared = schemas.declared_ids()
    assert declared[f"{CANONICAL}schemas/licence.schema.json"] == (
        published / "schemas" / "licence.schema.json"
    )


def _run(folder: Path, url: str, tmp_path: Path, token: str, *extra: str) -> Any:
    """``conformance run`` of the reference candidate's profile against ``folder``."""
    return run_cli(
        "run",
        "--standard",
        "gov.e-licence@1.1.0",
        "--standards-dir",
        str(folder.parents[1]),
        "--candidate",
        str(FIXTURE / "candidate.yaml"),
        "--base-url",
        url,
        "--reports-dir",
        str(tmp_path / "reports"),
        *extra,
        env={TOKEN_ENV: token},
    )


@pytest.mark.slow
def test_reference_candidate_conforms_to_the_published_layout(
    published: Path, tmp_path: Path, reference_url: str, token: str
) -> None:
    result = _run(published, reference_url, tmp_path, token, "--max-examples", "5", "--seed", "7")
    assert result.code == 0, result.out + result.err
    (results,) = (tmp_path / "reports").glob("*/results.json")
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["summary"]["error"] == 0
    assert data["summary"]["fail"] == 0
    assert data["standard"]["digest"] == content_digest(published)


# ---------------------------------------------------------------- hostile XSD references

OUTSIDE_TYPES = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="urn:gov-conformance:e-licence:1">
  <xs:simpleType name="Marker"><xs:restriction base="xs:string"/></xs:simpleType>
</xs:schema>
"""


def _outside(folder: Path) -> Path:
    """An XSD and a JSON Schema next to the standards root, outside every version folder."""
    root = folder.parents[2]
    (root / "outside.xsd").write_text(OUTSIDE_TYPES, encoding="utf-8")
    (root / "outside.json").write_text('{"type": "string"}', encoding="utf-8")
    return root


def _directive(folder: Path, file: str, text: str) -> tuple[Path, int]:
    """Insert ``text`` on its own line right after the root start tag of ``file``."""
    path = folder / "schemas" / file
    source = path.read_text(encoding="utf-8")
    start = source.index("<xs:schema")
    end = source.index(">", start) + 1
    path.write_text(source[:end] + "\n  " + text + "\n" + source[end:], encoding="utf-8")
    return path, source[:end].count("\n") + 2


XSD_CASES: list[tuple[str, str, str, Callable[[Path, str], str]]] = [
    # (case, file holding the reference, rule, the directive given the folder and the URL)
    ("include-dot-dot", "licences.xsd", "ref-outside",
     lambda f, u: '<xs:include schemaLocation="../../../../outside.xsd"/>'),
    ("include-percent-encoded-dot-dot", "common/licence-types.xsd", "ref-outside",
     lambda f, u: '<xs:include schemaLocation="%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/outside.xsd"/>'),
    ("include-absolute-file-url", "common/dates.xsd", "ref-url",
     lambda f, u: f'<xs:include schemaLocation="{(f.parents[2] / "outside.xsd").as_uri()}"/>'),
    ("include-absolute-path", "licences.xsd", "ref-outside",
     lambda f, u: f'<xs:include schemaLocation="{f.parents[2] / "outside.xsd"}"/>'),
    ("import-http", "licences.xsd", "ref-url",
     lambda f, u: f'<xs:import namespace="urn:x" schemaLocation="{u}/codes.xsd"/>'),
    ("redefine-outside", "common/licence-types.xsd", "ref-outside",
     lambda f, u: '<xs:redefine schemaLocation="../../../../../outside.xsd"/>'),
    ("override-outside", "licences.xsd", "ref-outside",
     lambda f, u: '<xs:override schemaLocation="../../../../outside.xsd"/>'),
    ("xsi-schema-location-http", "codes/licence-codes.xsd", "ref-url",
     lambda f, u: '<xs:annotation xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
     f'xsi:schemaLocation="urn:x {u}/hint.xsd"/>'),
    ("include-missing", "licences.xsd", "ref-missing",
     lambda f, u: '<xs:include schemaLocation="common/absent.xsd"/>'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "file", "rule", "directive"), XSD_CASES, ids=[c[0] for c in XSD_CASES]
)
def test_xsd_reference_leaving_the_folder_is_located_and_never_loaded(
    published: Path,
    loopback: tuple[str, list[str]],
    case: str,
    file: str,
    rule: str,
    directive: Callable[[Path, str], str],
) -> None:
    url, hits = loopback
    root = _outside(published)
    text = directive(published, url)
    path, line = _directive(published, file, text)
    with opened_files() as opened:
        issues = _errors(lint_folder(published))
        report = validate_export(_xml_spec(published), published / "examples" / "licences.xml")
    assert [(i.rule, i.location.path, i.location.line) for i in issues] == [(rule, path, line)]
    location = text.split('schemaLocation="')[1].split('"')[0].split()[-1]
    assert repr(location) in issues[0].message
    # at run time the XSD is refused whole: no record is judged against half a schema
    assert not report.passed
    assert report.failed("export_records")
    assert any(i.kind == "schema" and location in i.message for i in report.issues)
    assert hits == []
    assert not [p for p in opened if p.is_relative_to(root) and not p.is_relative_to(published)]


def test_xsd_include_through_a_symbolic_link_is_refused(published: Path) -> None:
    root = _outside(published)
    (published / "schemas" / "common" / "linked.xsd").symlink_to(root / "outside.xsd")
    _directive(published, "licences.xsd", '<xs:include schemaLocation="common/linked.xsd"/>')
    rules = [i.rule for i in _errors(lint_folder(published))]
    assert rules == ["path-symlink"]
    with opened_files() as opened, pytest.raises(Exception, match="symbolic link"):
        load_xsd(published / "schemas" / "licences.xsd")
    assert root / "outside.xsd" not in opened


def test_libxml2_gets_only_the_checked_files_whatever_it_asks_for(tmp_path: Path) -> None:
    """The resolver is the second wall: a location the walk did not approve yields an empty
    document, never libxml2's own loading (files, catalogs, network)."""
    from conformance.standards.seal import _FolderResolver

    folder = tmp_path / "std"
    folder.mkdir()
    (tmp_path / "types.xsd").write_text(OUTSIDE_TYPES, encoding="utf-8")
    main = folder / "main.xsd"
    main.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="urn:gov-conformance:e-licence:1" '
        'xmlns:lic="urn:gov-conformance:e-licence:1">'
        '<xs:include schemaLocation="../types.xsd"/>'
        '<xs:element name="r" type="lic:Marker"/></xs:schema>',
        encoding="utf-8",
    )
    # libxml2 alone compiles it: it reads the file outside
    etree.XMLSchema(etree.parse(str(main), xsd_parser()))
    tree = etree.parse(str(main), xsd_parser(_FolderResolver({main: None})))
    with pytest.raises(etree.XMLSchemaParseError, match="empty"):
        etree.XMLSchema(tree)


# ---------------------------------------------------------------- hostile JSON references


def _set_ref(folder: Path, ref: str) -> tuple[Path, str]:
    """Make the name property of licence.schema.json a ``$ref``."""
    path = folder / "schemas" / "licence.schema.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["properties"]["name"] = {"$ref": ref}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path, "/properties/name/$ref"


def _set_id(folder: Path, base: str) -> tuple[Path, str]:
    """Give licence-page.schema.json a ``$id`` under ``base``: its relative ref follows."""
    path = folder / "schemas" / "licence-page.schema.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["$id"] = base + "licence-page.schema.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path, "/properties/items/items/$ref"


def _set_parameter(folder: Path, ref: str) -> tuple[Path, str]:
    path = folder / "openapi.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["paths"]["/licences"]["get"]["parameters"][2]["schema"] = {"$ref": ref}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, "/paths/~1licences/get/parameters/2/schema/$ref"


def _dynamic_ref(folder: Path, ref: str) -> tuple[Path, str]:
    path = folder / "schemas" / "licence.schema.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["properties"]["name"] = {"$dynamicRef": ref}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path, "/properties/name/$dynamicRef"


JSON_CASES: list[tuple[str, str, Callable[[Path, str], tuple[Path, str]]]] = [
    ("ref-dot-dot", "ref-outside", lambda f, u: _set_ref(f, "../../../../outside.json")),
    ("ref-percent-encoded-dot-dot", "ref-outside",
     lambda f, u: _set_ref(f, "%2e%2e/%2e%2e%2f%2e%2e/%2E%2E/outside.json")),
    ("ref-absolute-file-url", "ref-url",
     lambda f, u: _set_ref(f, (f.parents[2] / "outside.json").as_uri())),
    ("ref-nul", "ref-outside", lambda f, u: _set_ref(f, "licence%00.schema.json")),
    ("ref-http", "ref-url", lambda f, u: _set_ref(f, f"{u}/licence.json")),
    ("ref-http-in-openapi", "ref-url", lambda f, u: _set_parameter(f, f"{u}/codes.json#/x")),
    ("id-moves-relative-refs-to-http", "ref-outside", lambda f, u: _set_id(f, f"{u}/schemas/")),
    ("id-moves-relative-refs-outside", "ref-outside",
     lambda f, u: _set_id(f, f.parents[2].as_uri() + "/")),
    ("dynamic-ref-http", "ref-url", lambda f, u: _dynamic_ref(f, f"{u}/meta#node")),
    ("canonical-url-nobody-declares", "ref-url",
     lambda f, u: _set_parameter(f, CANONICAL + "schemas/absent.schema.json")),
]  # fmt: skip


@pytest.mark.parametrize(("case", "rule", "edit"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_json_reference_leaving_the_folder_is_located_and_never_loaded(
    published: Path,
    loopback: tuple[str, list[str]],
    case: str,
    rule: str,
    edit: Callable[[Path, str], tuple[Path, str]],
) -> None:
    url, hits = loopback
    root = _outside(published)
    path, pointer = edit(published, url)
    with opened_files() as opened:
        issues = _errors(lint_folder(published))
        # at run time: every operation's schemas, and the export record schema
        schemas = SchemaSet(published)
        unresolved = 0
        for uri in _schema_uris(schemas, published):
            try:
                list(schemas.validator_for(uri).iter_errors({"name": "x", "items": [{}]}))
            except referencing.exceptions.Unresolvable:
                unresolved += 1
        report = validate_export(_jsonl_spec(published), published / "examples" / "licences.jsonl")
    assert [(i.rule, i.location.path, i.location.pointer) for i in issues] == [
        (rule, path, pointer)
    ]
    assert issues[0].location.line is not None
    if not case.startswith("id-"):  # used somewhere, and there it does not resolve
        assert unresolved > 0 or not report.passed
    # (python-jsonschema resolves a document's relative refs against the file it was read
    # from, not its own $id: a moved $id is a lint error, and still reads only the folder)
    assert hits == []
    assert not [p for p in opened if p.is_relative_to(root) and not p.is_relative_to(published)]


def test_run_refuses_a_standard_with_a_ref_outside_before_any_request(
    published: Path, loopback: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, hits = loopback
    _set_ref(published, f"{url}/licence.json")
    result = _run(published, url, tmp_path, "not-used")
    assert result.code == 2, result.out + result.err
    assert "licence.schema.json" in result.err
    assert "[ref-url]" in result.err
    assert "Traceback" not in result.err
    assert hits == []  # neither the reference nor the candidate (same server) was asked


def test_resolution_rule_by_rule(tmp_path: Path) -> None:
    folder = tmp_path / "std"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "x.json").write_text("{}")
    base = (folder / "a" / "main.json").as_uri()
    assert resolve_in_folder(folder, base, "x.json#/y").path == folder / "a" / "x.json"
    assert resolve_in_folder(folder, base, "../a/x.json").path == folder / "a" / "x.json"
    assert resolve_in_folder(folder, base, "%78.json").path == folder / "a" / "x.json"
    for ref in ("../../x.json", "..%2f..%2fx.json", "file://host/a/x.json", "https://h/x.json"):
        target = resolve_in_folder(folder, base, ref)
        assert target.path is None, ref
        assert target.outside, ref
    missing = resolve_in_folder(folder, base, "y.json")
    assert missing.path is None
    assert not missing.outside
    assert "does not exist" in str(missing.reason)


# ---------------------------------------------------------------- the digest covers it all


def test_the_digest_covers_every_file_the_standard_loads(published: Path, tmp_path: Path) -> None:
    with opened_files() as opened:
        standard = load_standard(published)
        assert _errors(lint_folder(published)) == []
        for spec in standard.exports:
            for example in spec.examples:
                validate_export(spec, example)
        schemas = SchemaSet(published)
        for uri in _schema_uris(schemas, published):
            list(schemas.validator_for(uri).iter_errors({}))
    inside = [p for p in opened if p.is_relative_to(published)]
    elsewhere = [p for p in opened if p.is_relative_to(tmp_path) and p not in inside]
    assert elsewhere == []
    # every kind of file the standard is made of was read
    names = {p.relative_to(published).as_posix() for p in inside}
    for expected in (
        "standard.yaml",
        "openapi.yaml",
        "components/responses.yaml",
        "schemas/licence.schema.json",
        "schemas/licences.xsd",
        "schemas/common/licence-types.xsd",
        "schemas/common/dates.xsd",
        "schemas/codes/licence-codes.xsd",
        "examples/licences.xml",
    ):
        assert expected in names
    before = content_digest(published)
    for path in inside:
        original = path.read_bytes()
        if path.name == "standard.yaml":  # hashed as canonical JSON: change what it says
            text = original.decode().replace("zh-CN: 电子证照", "zh-CN: 电子证照 ", 1)
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(original + b"\n")
        assert content_digest(published) != before, path
        path.write_bytes(original)
    assert content_digest(published) == before
    shutil.rmtree(published)


def test_xsd_references_name_the_construct_and_line(tmp_path: Path) -> None:
    from conformance.standards.seal import xsd_references

    path = tmp_path / "a.xsd"
    path.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"\n'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        ' xsi:schemaLocation="urn:a a.xsd urn:b b.xsd">\n'
        '<xs:include schemaLocation=" c.xsd "/>\n'
        '<xs:import namespace="urn:d"/>\n'
        "</xs:schema>\n",
        encoding="utf-8",
    )
    tree = etree.parse(str(path))
    found = [(r.construct, r.location, r.line) for r in xsd_references(path, tree)]
    assert found == [  # libxml2 gives a start tag the line where it ends
        ("xsi:schemaLocation", "a.xsd", 3),
        ("xsi:schemaLocation", "b.xsd", 3),
        ("xs:include", "c.xsd", 4),
    ]
    assert XsdReference(path, 4, "xs:include", "c.xsd", "").describe() == (
        "xs:include schemaLocation='c.xsd'"
    )


# ---------------------------------------------------------------- the sealing's own bounds


def test_an_xsd_include_chain_longer_than_the_bound_is_refused_located(published: Path) -> None:
    from conformance.standards.seal import MAX_XSD_FILES

    common = published / "schemas" / "common"
    for n in range(MAX_XSD_FILES + 5):
        (common / f"chain{n}.xsd").write_text(
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'targetNamespace="urn:gov-conformance:e-licence:1">'
            f'<xs:include schemaLocation="chain{n + 1}.xsd"/></xs:schema>'
            if n + 1 < MAX_XSD_FILES + 5
            else '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'targetNamespace="urn:gov-conformance:e-licence:1"/>',
            encoding="utf-8",
        )
    _directive(published, "licences.xsd", '<xs:include schemaLocation="common/chain0.xsd"/>')
    [issue] = _errors(lint_folder(published))
    assert issue.rule == "xsd-invalid"
    assert f"more than {MAX_XSD_FILES} XSD files" in issue.message
    assert issue.location.path == published / "schemas" / "licences.xsd"
    with pytest.raises(Exception, match="XSD files"):
        load_xsd(published / "schemas" / "licences.xsd")


def test_ids_are_looked_for_in_a_bounded_number_of_documents(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import conformance.validation

    schemas = SchemaSet(published)
    assert len(schemas.declared_ids()) == 6  # every schema file of the published layout
    monkeypatch.setattr(conformance.validation, "MAX_ID_DOCUMENTS", 3)
    assert len(SchemaSet(published).declared_ids()) < 3  # the first 3 files, not all hold $id
    # then a canonical URL of a file past the bound is not the folder's: lint says so
    issues = _errors(lint_folder(published))
    assert issues
    assert {i.rule for i in issues} <= {"ref-url", "ref-outside"}
