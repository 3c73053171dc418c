"""junit.xml validates against the JUnit XSD CI servers read (tests/data/junit.xsd)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conformance.reporting.junit import write_junit
from tests.conftest import FIXTURE, ROOT, TOKEN_ENV, run_cli
from tests.review_data import FAILING, make_results, make_standard

XSD = ROOT / "tests" / "data" / "junit.xsd"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _assert_valid(schema: etree.XMLSchema, path: Path) -> etree._ElementTree:
    document = etree.parse(str(path))
    assert schema.validate(document), [str(e) for e in schema.error_log]
    return document


def test_junit_of_a_failing_run_with_hostile_text_validates(
    tmp_path: Path, schema: etree.XMLSchema
) -> None:
    data: dict[str, Any] = make_results(make_standard(tmp_path / "standards"), FAILING)
    data["results"].append(
        dict(data["results"][0], id="x", status="error", message="timeout\x00\x1b[31m", failures=[])
    )
    data["summary"]["error"] = 1
    document = _assert_valid(schema, write_junit(tmp_path, data))
    suite = document.getroot()[0]
    assert suite.get("tests") == str(len(data["results"]))
    assert suite.get("failures") == "3"
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "1"
    assert len(suite.findall("testcase/failure")) == 3
    assert len(suite.findall("testcase/skipped")) == 1
    assert "\\x00" in suite.findall("testcase/error")[0].get("message")


def test_the_schema_rejects_what_ci_servers_reject(tmp_path: Path, schema: etree.XMLSchema) -> None:
    suite = (
        '<testsuites><testsuite name="s" tests="1" failures="1" errors="1" time="0" '
        'timestamp="{stamp}"><testcase name="t" classname="c" time="0">{body}</testcase>'
        "</testsuite></testsuites>"
    )
    bad = tmp_path / "bad.xml"
    good_stamp = "2026-11-29T00:00:00"
    for stamp, body, expected in (
        (good_stamp, "<failure/><error/>", "error"),  # one outcome per test case
        ("2026-11-29T00:00:00+00:00", "<failure/>", "timestamp"),  # Ant: no zone
    ):
        bad.write_text(suite.format(stamp=stamp, body=body), encoding="utf-8")
        assert not schema.validate(etree.parse(str(bad)))
        assert expected in " ".join(str(e) for e in schema.error_log)
    bad.write_text(suite.format(stamp=good_stamp, body="<failure/>"), encoding="utf-8")
    assert schema.validate(etree.parse(str(bad)))


@pytest.mark.slow
def test_junit_of_a_real_run_validates(
    tmp_path: Path, reference_url: str, token: str, schema: etree.XMLSchema
) -> None:
    done = run_cli(
        "run",
        "--standard",
        "gov.service-case@1.0.0",
        "--candidate",
        str(FIXTURE / "candidate.yaml"),
        "--base-url",
        reference_url,
        "--reports-dir",
        str(tmp_path),
        "--max-examples",
        "3",
        env={TOKEN_ENV: token},
    )
    assert done.code == 0, done.out + done.err
    (junit,) = tmp_path.glob("*/junit.xml")
    document = _assert_valid(schema, junit)
    properties = {p.get("name"): p.get("value") for p in document.iter("property")}
    assert properties["verdict"] == "pass"
    assert properties["standard_digest"].startswith("sha256:")
