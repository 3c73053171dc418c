"""The XML document element and its record count as export rules (issue 14 item 9), and
export findings deduplicated on their cause (issue 14 item 5).

The sample standard gov.data-catalogue@1.0.0 declares the root of its XML export
(``root: {element: Catalogue, namespace: ..., count: count}``) and binds ``xml-root`` to a
MUST clause (CAT-EXP-013) and ``xml-count`` to a SHOULD clause (CAT-EXP-014). The files
are the reference candidate's, broken one way each, and run through the real CLI or the
run API.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conformance.engine.binding import export_rule_of, export_rules_for
from conformance.engine.run import Run
from conformance.exports import validate_export
from conformance.exports._xml_batches import expected_root
from conformance.lint import lint_folder
from conformance.results import Outcome
from conformance.session import RunOptions, prepare
from conformance.standards.loader import load_standard
from conformance.standards.model import XmlRoot
from tests.conftest import FIXTURE, SetReadLimits, run_cli

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_DIR = ROOT / "standards" / "gov.data-catalogue" / "1.0.0"
LICENCE_DIR = ROOT / "standards" / "gov.e-licence" / "1.1.0"
EXPORTS = FIXTURE / "exports" / "gov.data-catalogue"
NS = "urn:gov-conformance:data-catalogue:1.0"
GOOD_START = f'<Catalogue xmlns="{NS}" count="60">'


def _catalogue_xml(tmp_path: Path, start: str, end: str = "</Catalogue>") -> Path:
    text = (EXPORTS / "catalogue.xml").read_text("utf-8")
    assert GOOD_START in text
    text = text.replace(GOOD_START, start, 1).replace("</Catalogue>", end, 1)
    path = tmp_path / "catalogue.xml"
    path.write_text(text, "utf-8")
    return path


def _spec(root: XmlRoot | None = None) -> Any:
    spec = load_standard(CATALOGUE_DIR).export("catalogue-xml")
    return spec if root is None else replace(spec, root=root)


def _found(report: Any, kind: str) -> list[Any]:
    return [i for i in report.issues if i.kind == kind]


# -- the readers ---------------------------------------------------------------------------


def test_the_reference_catalogue_has_the_declared_root_and_count() -> None:
    report = validate_export(_spec(), EXPORTS / "catalogue.xml")
    assert report.records == 60
    assert not _found(report, "xml-root")
    assert not _found(report, "xml-count")
    assert report.rules == {"xml-root", "xml-count"}
    assert report.passed


@pytest.mark.parametrize(
    ("start", "end", "kind", "xpath", "words"),
    [
        (f'<Catalog xmlns="{NS}" count="60">', "</Catalog>", "xml-root", "/Catalog", "<Catalog>"),
        ('<Catalogue xmlns="urn:other" count="60">', None, "xml-root", "/Catalogue", "urn:other"),
        ('<Catalogue count="60">', None, "xml-root", "/Catalogue", "no namespace"),
        (f'<Catalogue xmlns="{NS}">', None, "xml-count", "/Catalogue/@count", "no count"),
        (
            f'<Catalogue xmlns="{NS}" count="many">',
            None,
            "xml-count",
            "/Catalogue/@count",
            "'many'",
        ),
        (
            f'<Catalogue xmlns="{NS}" count="59">',
            None,
            "xml-count",
            "/Catalogue/@count",
            "60 records",
        ),
    ],
)
def test_a_wrong_root_or_count_is_located(
    tmp_path: Path, start: str, end: str | None, kind: str, xpath: str, words: str
) -> None:
    path = _catalogue_xml(tmp_path, start, end or "</Catalogue>")
    report = validate_export(_spec(), path)
    [issue] = _found(report, kind)
    assert issue.check == "export_records"
    assert issue.severity.value == "error"
    assert (issue.line, issue.xpath) == (2, xpath)
    assert words in issue.message, issue.message
    assert report.counts[("export_records", kind)] == 1
    other = "xml-count" if kind == "xml-root" else "xml-root"
    assert not _found(report, other)


def test_the_count_is_not_compared_when_reading_stopped(tmp_path: Path) -> None:
    path = _catalogue_xml(tmp_path, f'<Catalogue xmlns="{NS}" count="60">', "")  # no end tag
    report = validate_export(_spec(), path)
    assert not report.complete
    assert not _found(report, "xml-count")  # the records were not all read
    assert report.counts[("export_records", "parse")] == 1


def test_no_count_declared_no_count_checked(tmp_path: Path) -> None:
    path = _catalogue_xml(tmp_path, f'<Catalogue xmlns="{NS}">')
    report = validate_export(_spec(XmlRoot(element="Catalogue")), path)
    assert report.passed
    assert report.rules == {"xml-root"}


def test_the_root_defaults_to_the_xsds_element_holding_the_records(tmp_path: Path) -> None:
    path = _catalogue_xml(tmp_path, f'<Catalog xmlns="{NS}">', "</Catalog>")
    report = validate_export(_spec(XmlRoot()), path)  # nothing declared: the XSD says
    [issue] = _found(report, "xml-root")
    assert issue.params["expected"] == f"{{{NS}}}Catalogue"
    licence = load_standard(LICENCE_DIR).export("licences-xml")
    xsd = etree.parse(str(licence.schema_path)).getroot()
    assert expected_root(licence, xsd) == ("Licences", "urn:gov-conformance:e-licence:1")


def test_an_ambiguous_xsd_leaves_the_root_unchecked(tmp_path: Path) -> None:
    xsd = etree.fromstring(
        textwrap.dedent(
            """\
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
              <xs:element name="A"><xs:complexType><xs:sequence>
                <xs:element ref="R" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
              </xs:element>
              <xs:element name="B" type="BType"/>
              <xs:complexType name="BType"><xs:sequence>
                <xs:element ref="R" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
              <xs:element name="R" type="xs:string"/>
              <xs:element name="Other" type="xs:string"/>
            </xs:schema>
            """
        ).encode()
    )
    spec = replace(_spec(XmlRoot()), record_element="R")
    assert expected_root(spec, xsd) is None  # two elements hold R
    assert expected_root(replace(spec, root=XmlRoot(element="A")), xsd) == ("A", "")
    only_other = etree.fromstring(
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:element name="R" type="xs:string"/><xs:element name="Other" type="xs:string"/>'
        b"</xs:schema>"
    )
    assert expected_root(spec, only_other) is None  # Other does not hold the records


def test_the_rules_are_bindable_and_apply_only_where_declared() -> None:
    assert export_rule_of("xml-root") == "xml-root"
    assert export_rule_of("xml-count") == "xml-count"
    assert "xml-root" not in export_rules_for("xml")  # nothing declared, nothing derived
    assert {"xml-root", "xml-count"} <= export_rules_for("xml", {"xml-root", "xml-count"})
    assert "xml-root" not in export_rules_for("jsonl", {"xml-root"})


# -- runs: the bound clause fails at its level ---------------------------------------------


def _candidate(tmp_path: Path, xml: Path, json_file: Path | None = None) -> Path:
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        textwrap.dedent(
            f"""\
            identity: {{vendor: v, system: s, version: '1'}}
            claims:
              - standard: gov.data-catalogue@1.0.0
                implements: [CAT-EXP-010]
                exports:
                  catalogue-json: {json_file or EXPORTS / "catalogue.json"}
                  catalogue-xml: {xml}
                  providers-json: {EXPORTS / "providers.json"}
            """
        ),
        "utf-8",
    )
    return candidate


def _cli_run(tmp_path: Path, candidate: Path) -> tuple[int, str, dict[str, Any], Path]:
    reports = tmp_path / "reports"
    done = run_cli(
        "run",
        "--standard",
        "gov.data-catalogue@1.0.0",
        "--candidate",
        str(candidate),
        "--reports-dir",
        str(reports),
        "--lang",
        "en",
        "--seed",
        "1",
    )
    assert "Traceback" not in done.out + done.err, done.err
    [results] = list(reports.rglob("results.json"))
    return done.code, done.out, json.loads(results.read_text("utf-8")), results.parent


def _failed(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        r["clause"]: r["failures"]
        for r in data["results"]
        if r["status"] == "fail" and r["target"] == "export catalogue-xml"
    }


def test_a_wrong_root_fails_its_must_clause_through_the_cli(tmp_path: Path) -> None:
    xml = _catalogue_xml(tmp_path, f'<Catalog xmlns="{NS}" count="60">', "</Catalog>")
    code, out, data, _ = _cli_run(tmp_path, _candidate(tmp_path, xml))
    failed = _failed(data)
    assert set(failed) == {"CAT-EXP-013"}, failed  # the bound clause only
    [failure] = failed["CAT-EXP-013"]
    assert failure["severity"] == "MUST"
    assert failure["location"].endswith("catalogue.xml:2 /Catalog")  # the line shown too
    assert data["verdict"] == "fail"
    assert code == 1
    assert "CAT-EXP-013" in out


def test_a_wrong_count_fails_its_should_clause_as_a_warning(tmp_path: Path) -> None:
    xml = _catalogue_xml(tmp_path, f'<Catalogue xmlns="{NS}" count="61">')
    code, _, data, _ = _cli_run(tmp_path, _candidate(tmp_path, xml))
    failed = _failed(data)
    assert set(failed) == {"CAT-EXP-014"}, failed
    [failure] = failed["CAT-EXP-014"]
    assert failure["severity"] == "SHOULD"
    assert failure["evidence"]["examples"][0]["xpath"] == "/Catalogue/@count"
    assert failure["evidence"]["examples"][0]["line"] == 2
    assert data["verdict"] == "pass"
    assert code == 0


def _copy_catalogue(tmp_path: Path, edit: Any) -> Path:
    folder = tmp_path / "standards" / "gov.data-catalogue" / "1.0.0"
    shutil.copytree(CATALOGUE_DIR, folder)
    manifest = folder / "standard.yaml"
    text = manifest.read_text("utf-8")
    changed = edit(text)
    assert changed != text
    manifest.write_text(changed, "utf-8")
    return folder


def _api_run(tmp_path: Path, xml: Path) -> tuple[dict[str, Outcome], str]:
    config = prepare(
        RunOptions(
            standard="gov.data-catalogue@1.0.0",
            candidate=_candidate(tmp_path, xml),
            standards_dirs=(tmp_path / "standards",),
            reports_dir=tmp_path / "reports",
            seed=1,
        )
    )
    outcome = Run(config).run()
    statuses = {r.clause: r.outcome for r in outcome.results if r.target == "export catalogue-xml"}
    return statuses, outcome.verdict.verdict


def test_unbound_the_root_is_an_error_of_the_records_clause(tmp_path: Path) -> None:
    def unbind(text: str) -> str:
        return text.replace("    binds:\n      - {export_rule: xml-root}\n", "")

    _copy_catalogue(tmp_path, unbind)
    xml = _catalogue_xml(tmp_path, f'<Catalog xmlns="{NS}" count="60">', "</Catalog>")
    statuses, verdict = _api_run(tmp_path, xml)
    assert statuses["CAT-EXP-001"] is Outcome.FAIL  # the reader's own severity: error
    assert verdict == "fail"


def test_a_count_rule_with_no_count_declared_verifies_nothing(tmp_path: Path) -> None:
    def no_count(text: str) -> str:
        return text.replace(", count: count}", "}")

    _copy_catalogue(tmp_path, no_count)
    xml = _catalogue_xml(tmp_path, f'<Catalogue xmlns="{NS}" count="3">')  # wrong, unchecked
    statuses, _ = _api_run(tmp_path, xml)
    assert statuses["CAT-EXP-014"] is Outcome.SKIP  # nothing could show its defect
    assert statuses["CAT-EXP-013"] is Outcome.PASS


def test_a_file_that_stopped_before_its_root_passes_no_clause(tmp_path: Path) -> None:
    # the audit's case: a DOCTYPE on line 2 stops the reading before any element; the
    # wrong root <Wrong> is never seen, so neither xml-root nor xml-count was judged
    doctype = '<!DOCTYPE Wrong [<!ENTITY x "y">]>\n<Wrong>'
    xml = _catalogue_xml(tmp_path, doctype, "</Wrong>")
    report = validate_export(_spec(), xml)
    assert (report.records, report.complete) == (0, False)
    assert report.rules == set()  # nothing exercised the root or the count
    code, _, data, _ = _cli_run(tmp_path, _candidate(tmp_path, xml))
    statuses = {
        r["clause"]: r["status"] for r in data["results"] if r["target"] == "export catalogue-xml"
    }
    assert statuses["CAT-EXP-001"] == "fail"  # the clause that says why
    assert statuses["CAT-EXP-013"] == "error", statuses  # bound xml-root: not verified
    assert statuses["CAT-EXP-014"] == "error", statuses
    assert statuses["CAT-EXP-003"] == "error", statuses  # export_records, nothing read
    assert "pass" not in statuses.values(), statuses
    assert code == 1


def test_a_root_seen_before_the_reading_stopped_is_judged_the_count_is_not(
    tmp_path: Path,
) -> None:
    path = _catalogue_xml(tmp_path, f'<Catalogue xmlns="{NS}" count="60">', "")  # no end tag
    report = validate_export(_spec(), path)
    assert not report.complete
    assert report.rules == {"xml-root"}


# -- lint ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "pointer"),
    [
        ("{element: 5}", "/root/element"),
        ("{element: Catalogue, colour: red}", "/root"),
        ("{count: 'two words'}", "/root/count"),
        ("{}", "/root"),
        ("Catalogue", "/root"),
    ],
)
def test_lint_refuses_a_bad_root_with_file_and_pointer(
    tmp_path: Path, root: str, pointer: str
) -> None:
    declared = f'    root: {{element: Catalogue, namespace: "{NS}", count: count}}\n'

    def bad(text: str) -> str:
        return text.replace(declared, f"    root: {root}\n")

    folder = _copy_catalogue(tmp_path, bad)
    issues = [i for i in lint_folder(folder) if i.severity == "error"]
    assert issues, "lint passed a bad root"
    index = next(
        n for n, e in enumerate(load_standard(CATALOGUE_DIR).exports) if e.name == "catalogue-xml"
    )
    where = [str(i.location) for i in issues]
    assert any("standard.yaml" in w and f"/exports/{index}{pointer}" in w for w in where), where


def test_lint_refuses_a_root_on_a_json_export(tmp_path: Path) -> None:
    def on_json(text: str) -> str:
        return text.replace(
            "    schema: schemas/resource.schema.json\n",
            "    schema: schemas/resource.schema.json\n    root: {element: Catalogue}\n",
            1,
        )

    folder = _copy_catalogue(tmp_path, on_json)
    issues = [i for i in lint_folder(folder) if i.severity == "error"]
    assert any("/exports/0" in str(i.location) for i in issues), issues


# -- distinct causes stay distinct (issue 14 item 5) ----------------------------------------


def _mixed_json(tmp_path: Path) -> Path:
    records = json.loads((EXPORTS / "catalogue.json").read_text("utf-8"))
    records[0]["resource_name"] = ""  # minLength at /resource_name
    records[4]["resource_name"] = ""  # the same cause again
    records[2]["summary"] = ""  # minLength at /summary: the same kind, another field
    records[5]["information_items"][0]["name"] = ""  # minLength in an array: one cause
    records[6]["information_items"][1]["name"] = ""
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path


def test_export_findings_of_one_kind_keep_one_failure_per_cause(tmp_path: Path) -> None:
    spec = load_standard(CATALOGUE_DIR).export("catalogue-json")
    report = validate_export(spec, _mixed_json(tmp_path), max_per_type=1)
    assert report.counts[("export_records", "minLength")] == 5
    causes = {k[2]: n for k, n in report.cause_counts.items() if k[1] == "minLength"}
    assert causes == {"/resource_name": 2, "/summary": 1, "/information_items/*/name": 2}
    # capped at one listed per kind, yet every cause keeps its first example
    listed = {i.cause[0] for i in report.issues if i.kind == "minLength"}
    assert listed == set(causes)


def test_the_reports_list_each_cause_apart(tmp_path: Path) -> None:
    # XML: two fields broken the same way (an empty text: one XSD rule), in several records
    text = (EXPORTS / "catalogue.xml").read_text("utf-8")
    names = re.findall(r"<ResourceName>[^<]*</ResourceName>", text)
    summaries = re.findall(r"<Summary>[^<]*</Summary>", text)
    for old in (names[0], names[3]):
        text = text.replace(old, "<ResourceName></ResourceName>", 1)
    text = text.replace(summaries[1], "<Summary></Summary>", 1)
    xml = tmp_path / "catalogue.xml"
    xml.write_text(text, "utf-8")
    json_file = _mixed_json(tmp_path)
    code, out, data, folder = _cli_run(tmp_path, _candidate(tmp_path, xml, json_file))
    assert code == 1
    xml_failures = _failed(data)["CAT-EXP-001"]
    fields = sorted((f["evidence"]["examples"][0]["xpath"], f["count"]) for f in xml_failures)
    assert [(re.sub(r"\[\d+\]", "", x), n) for x, n in fields] == [
        ("/Catalogue/Resource/ResourceName", 2),
        ("/Catalogue/Resource/Summary", 1),
    ]
    json_failures = next(
        r["failures"]
        for r in data["results"]
        if r["clause"] == "CAT-EXP-001" and r["target"] == "export catalogue-json"
    )
    assert sorted((f["pointer"], f["count"]) for f in json_failures) == [
        ("/information_items/0/name", 2),  # the first example's place; one cause
        ("/resource_name", 2),
        ("/summary", 1),
    ]
    assert len({f["dedup_key"] for f in json_failures + xml_failures}) == 5
    # every report shows each cause: the terminal, report.html and junit.xml
    html = (folder / "report.html").read_text("utf-8")
    junit = (folder / "junit.xml").read_text("utf-8")
    for failure in json_failures + xml_failures:
        where = failure["location"]
        assert where in out, where
        assert where in html or where.replace("&", "&amp;") in html, where
        assert where in junit, where
    assert "[x2] minLength" in out
    assert "[x1] minLength" in out


def test_the_standards_readme_documents_every_export_rule() -> None:
    from conformance.engine.binding import EXPORT_RULES

    text = (ROOT / "standards" / "README.md").read_text("utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)` \| `export_", text, flags=re.M))
    assert documented == set(EXPORT_RULES)
    assert "not checked by the readers" not in text


def test_byte_ranges_count_and_list_the_causes_as_one_reading_does(
    tmp_path: Path, limits: SetReadLimits
) -> None:
    from conformance.exports import _parallel

    limits(min_range_bytes=64 * 1024)
    spec = load_standard(LICENCE_DIR).export("licences-jsonl")
    lines = (LICENCE_DIR / "examples" / "licences.jsonl").read_text("utf-8").splitlines()
    base = [json.loads(line) for line in lines]
    records = []
    for number in range(3000):
        record = json.loads(json.dumps(base[number % len(base)]))
        record["licence_id"] = f"BL-2020-{number:06d}"
        records.append(record)
    for index in (100, 1500, 2600):  # minLength at /holder/name, in every range
        records[index]["holder"]["name"] = ""
    records[2700]["name"] = ""  # minLength at /name: a cause first seen in the last range
    records[2800]["issuer"]["name"] = ""  # and another
    path = tmp_path / "licences.jsonl"
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"
    path.write_text(text, "utf-8")
    assert len(_parallel.plan_ranges(path, 3)) == 3
    one = validate_export(spec, path, max_per_type=1)
    three = validate_export(spec, path, max_per_type=1, jobs=3)
    minimum = {k[2]: n for k, n in three.cause_counts.items() if k[1] == "minLength"}
    assert minimum == {"/holder/name": 3, "/name": 1, "/issuer/name": 1}
    assert one.cause_counts == three.cause_counts
    assert [(i.kind, i.line, i.cause) for i in one.issues] == [
        (i.kind, i.line, i.cause) for i in three.issues
    ]
