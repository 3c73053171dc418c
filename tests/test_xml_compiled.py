"""The compiled XML record is sound: whatever it matches, lxml and the XSD accept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.exports._model import ExportReport, Sink
from conformance.exports._validate import _field_formats
from conformance.exports._xml_compiled import (
    _XSD_DATE,
    _XSD_DATE_TIME,
    compile_record,
    xsd_pattern,
)
from conformance.standards.loader import load_standard

ROOT = Path(__file__).resolve().parents[1]
LICENCE = ROOT / "standards" / "gov.e-licence" / "1.1.0"
NAMESPACE = "urn:gov-conformance:e-licence:1"
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _simple_type_schema(restriction: str) -> etree.XMLSchema:
    text = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:element name="v"><xs:simpleType>{restriction}</xs:simpleType></xs:element>'
        "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(text.encode()))


def _accepts(schema: etree.XMLSchema, value: str) -> bool:
    element = etree.Element("v")
    element.text = value
    return bool(schema.validate(element))


@pytest.mark.parametrize(
    "pattern",
    [
        "[0-9]{17}[0-9X]",
        "[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}",
        "[A-Z]{2}-[0-9]{4}-[0-9]{6}",
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+\-][0-9]{2}:[0-9]{2})",
        r"\d{3}(ab|c)?\.x",
        ".{2,4}",
        "[^a-c]+z",
        "(x|yy)z?",
    ],
)
def test_translated_patterns_match_only_what_the_xsd_pattern_accepts(pattern: str) -> None:
    schema = _simple_type_schema(
        f'<xs:restriction base="xs:string"><xs:pattern value="{pattern}"/></xs:restriction>'
    )

    @SETTINGS
    @given(st.from_regex(re.compile(xsd_pattern(pattern)), fullmatch=True))
    def sound(value: str) -> None:
        assert _accepts(schema, value), value

    sound()


@pytest.mark.parametrize("pattern", [r"(a+)+b", r"(a|b)*c", r"\p{L}+", r"[a-z-[aeiou]]", "a&b"])
def test_patterns_that_could_run_away_or_differ_are_not_compiled(pattern: str) -> None:
    from conformance.exports._xml_compiled import _NotPlain

    with pytest.raises(_NotPlain):
        xsd_pattern(pattern)


@pytest.mark.parametrize(
    ("base", "expression"), [("date", _XSD_DATE), ("dateTime", _XSD_DATE_TIME)]
)
def test_dates_matched_are_dates_libxml2_accepts(base: str, expression: str) -> None:
    schema = _simple_type_schema(f'<xs:restriction base="xs:{base}"/>')

    @SETTINGS
    @given(st.from_regex(re.compile(expression), fullmatch=True))
    def sound(value: str) -> None:
        assert _accepts(schema, value), value

    sound()
    assert not re.fullmatch(expression, "2023-02-29" + ("T00:00:00" if base == "dateTime" else ""))
    assert not re.fullmatch(expression, "0000-01-01" + ("T00:00:00" if base == "dateTime" else ""))


def _licence_xml() -> tuple[re.Pattern[str], list[str], etree.XMLSchema]:
    spec = load_standard(LICENCE).export("licences-xml")
    formats = _field_formats(spec, Sink(ExportReport(export="x", path=Path("x"), format="xml"), 1))
    assert formats is not None
    compiled = compile_record(
        etree.parse(str(spec.schema_path)).getroot(), "Licence", formats, "LicenceId"
    )
    assert compiled is not None  # the sample XSD is plain
    example = (LICENCE / "examples" / "licences.xml").read_text("utf-8")
    records = re.findall(r"<Licence>.*?</Licence>", example, re.S)
    return compiled.expression, records, etree.XMLSchema(etree.parse(str(spec.schema_path)))


_TEXTS = st.text(alphabet="0123456789AXZ-: \t\n<>&]\"'中文\r", max_size=24)
_MUTATIONS = st.sampled_from(
    ["text", "drop", "twice", "attribute", "comment", "prefix", "cdata", "entity", "swap"]
)


def test_mutated_records_the_expression_matches_are_valid() -> None:
    expression, records, schema = _licence_xml()
    assert all(expression.fullmatch(record) for record in records)  # the examples are taken
    checked: list[str] = []

    @settings(SETTINGS, max_examples=400)
    @given(st.sampled_from(records), _MUTATIONS, st.integers(0, 40), _TEXTS)
    def sound(record: str, mutation: str, which: int, text: str) -> None:
        elements = re.findall(r"<(\w+)>([^<]*)</\1>", record)
        name, value = elements[which % len(elements)]
        whole = f"<{name}>{value}</{name}>"
        replacement = {
            "text": f"<{name}>{text}</{name}>",
            "drop": "",
            "twice": whole + whole,
            "attribute": f'<{name} a="1">{value}</{name}>',
            "comment": f"<{name}><!--{text}-->{value}</{name}>",
            "prefix": f'<p:{name} xmlns:p="{NAMESPACE}">{value}</p:{name}>',
            "cdata": f"<{name}><![CDATA[{value}]]></{name}>",
            "entity": f"<{name}>{value}&#x41;</{name}>",
            "swap": f"<{name}>{value}</{name}>".replace(name, "Status", 1).replace(
                f"</{name}>", "</Status>"
            ),
        }[mutation]
        mutant = record.replace(whole, replacement, 1)
        if mutant == record or not expression.fullmatch(mutant):
            return  # unchanged, or left to lxml: nothing to show
        checked.append(mutation)
        document = f'<Licences xmlns="{NAMESPACE}">{mutant}</Licences>'
        root = etree.fromstring(document.encode())
        assert schema.validate(root), (mutant, schema.error_log)

    sound()
    assert "text" in checked  # changed records were matched, and valid
    with_expiry = next(record for record in records if "<ValidUntil>" in record)
    dropped = re.sub(r"<ValidUntil>[^<]*</ValidUntil>\s*", "", with_expiry)
    assert expression.fullmatch(dropped)  # an optional element left out is still taken
