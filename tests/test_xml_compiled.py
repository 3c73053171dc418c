"""The compiled XML record is sound: whatever it matches, lxml and the XSD accept."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------- repeated elements

REPEATED_NS = "urn:test:repeated:1"
_INTEGER_1_3 = (
    '<xs:simpleType><xs:restriction base="xs:integer"><xs:minInclusive value="1"/>'
    '<xs:maxInclusive value="3"/></xs:restriction></xs:simpleType>'
)
_PRICE = (
    '<xs:simpleType><xs:restriction base="xs:decimal"><xs:minInclusive value="0"/>'
    "</xs:restriction></xs:simpleType>"
)
_TAG = (
    '<xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="a"/>'
    '<xs:enumeration value="b"/></xs:restriction></xs:simpleType>'
)
REPEATED_XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:r="{REPEATED_NS}"
           targetNamespace="{REPEATED_NS}" elementFormDefault="qualified">
<xs:element name="Orders"><xs:complexType><xs:sequence>
  <xs:element ref="r:Order" minOccurs="0" maxOccurs="unbounded"/>
</xs:sequence></xs:complexType></xs:element>
<xs:element name="Order"><xs:complexType><xs:sequence>
  <xs:element name="Id" type="xs:string"/>
  <xs:element name="Note" type="xs:string" minOccurs="0" maxOccurs="3"/>
  <xs:element name="Site" type="xs:string" minOccurs="0" maxOccurs="2"/>
  <xs:element name="Lines"><xs:complexType><xs:sequence>
    <xs:element name="Line" maxOccurs="3"><xs:complexType><xs:sequence>
      <xs:element name="No">{_INTEGER_1_3}</xs:element>
      <xs:element name="Url" type="xs:string"/>
      <xs:element name="Price">{_PRICE}</xs:element>
      <xs:element name="Tag" minOccurs="0" maxOccurs="unbounded">{_TAG}</xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""
REPEATED_FORMATS = {"Site": "uri", "Lines/Line/Url": "uri"}


def _repeated_formats() -> list[tuple[str, tuple[str, ...], Any]]:
    from conformance.formats import FORMATS

    return [
        (path, tuple(path.split("/")), FORMATS[name]) for path, name in REPEATED_FORMATS.items()
    ]


def _repeated_compiled(xsd: str = REPEATED_XSD) -> Any:
    return compile_record(etree.fromstring(xsd.encode()), "Order", _repeated_formats(), "Id")


def _order(
    notes: list[str], sites: list[str], lines: list[tuple[str, str, str, list[str]]], pretty: str
) -> str:
    def element(name: str, text: str) -> str:
        return f"<{name}>{text}</{name}>{pretty}"

    body = "".join(
        f"<Line>{pretty}"
        + element("No", number)
        + element("Url", url)
        + element("Price", price)
        + "".join(element("Tag", tag) for tag in tags)
        + f"</Line>{pretty}"
        for number, url, price, tags in lines
    )
    return (
        f"<Order>{pretty}{element('Id', 'O1')}"
        + "".join(element("Note", note) for note in notes)
        + "".join(element("Site", site) for site in sites)
        + f"<Lines>{pretty}{body}</Lines>{pretty}</Order>"
    )


_NUMBERS = st.sampled_from(["1", "2", "3", "0", "4", "+2", "-1", "1.0", " 2", ""])
_PRICES = st.sampled_from(["0", "1.5", ".5", "10", "-1", "-0.01", "1e3", "", "x"])
_WORDS = st.sampled_from(["https://a.example/x", "dataset/123", "a", "", "中文", "a b"])
_TAGS = st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=4)
_LINES = st.lists(st.tuples(_NUMBERS, _WORDS, _PRICES, _TAGS), max_size=4)


def test_repeated_elements_matched_are_valid_and_their_values_read_one_by_one() -> None:
    compiled = _repeated_compiled()
    assert compiled is not None  # repeated elements are followed
    assert len(compiled.runs) == 4  # Site; Line's No, Url and Price (Tag needs no reading)
    schema = etree.XMLSchema(etree.fromstring(REPEATED_XSD.encode()))
    matched: list[int] = []

    @settings(SETTINGS, max_examples=400)
    @given(
        st.lists(st.sampled_from(["n", "", "中"]), max_size=4),
        st.lists(_WORDS, max_size=3),
        _LINES,
        st.sampled_from(["", "\n  ", " "]),
    )
    def sound(notes: list[str], sites: list[str], lines: Any, pretty: str) -> None:
        record = _order(notes, sites, lines, pretty)
        match = compiled.expression.fullmatch(record)
        document = etree.fromstring(f'<Orders xmlns="{REPEATED_NS}">{record}</Orders>'.encode())
        if match is None:
            return
        groups = match.groups()
        refused = False
        for index, name, values_in, check in compiled.runs:
            run = groups[index] or ""
            found = document.findall(f".//{{{REPEATED_NS}}}{name}")
            values = values_in.findall(run)
            assert values == [element.text or "" for element in found]  # every one, in order
            refused = refused or bool(values and check(values))
        for index, check in compiled.fields:
            refused = refused or (groups[index] is not None and bool(check([groups[index]])))
        if refused:  # a bound or a format refused: left to lxml
            return
        matched.append(len(lines))
        assert schema.validate(document), (record, schema.error_log)

    sound()
    assert {1, 2} <= set(matched)  # runs of more than one element were taken
    most = [(str(n), "https://a.example/x", "1.5", ["a", "b"][: n - 1]) for n in (1, 2, 3)]
    record = _order(["n"] * 3, ["https://a.example/x"] * 2, most, "")
    match = compiled.expression.fullmatch(record)
    assert match is not None  # as many as allowed
    assert compiled.expression.fullmatch(record.replace("<Note>n</Note>", "", 3))  # none
    assert not compiled.expression.fullmatch(_order(["n"] * 4, [], most, ""))  # too many
    assert not compiled.expression.fullmatch(_order([], [], most + most[:1], ""))
    assert not compiled.expression.fullmatch(_order([], [], [], ""))  # too few
    groups = match.groups()
    read = {name: values_in.findall(groups[i]) for i, name, values_in, _ in compiled.runs}
    assert read == {
        "Site": ["https://a.example/x"] * 2,
        "No": ["1", "2", "3"],
        "Url": ["https://a.example/x"] * 3,
        "Price": ["1.5"] * 3,
    }


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            ('<xs:element name="Price">', '<xs:element name="Url" type="xs:string"/>'),
            "a field's name declared twice in the repeated element",
        ),
        (('maxOccurs="3"><xs:complexType>', 'maxOccurs="99999"><xs:complexType>'), "too many"),
        (
            (
                '<xs:sequence>\n      <xs:element name="No">',
                '<xs:sequence maxOccurs="2">\n      <xs:element name="No">',
            ),
            "a repeated sequence",
        ),
    ],
)
def test_repeated_elements_the_expression_cannot_read_are_left_to_lxml(
    change: tuple[str, str], why: str
) -> None:
    old, new = change
    assert old in REPEATED_XSD
    xsd = REPEATED_XSD.replace(old, new, 1)
    if old.startswith('<xs:element name="Price">'):
        xsd = xsd.replace(f"{_PRICE}</xs:element>", "", 1)
    etree.XMLSchema(etree.fromstring(xsd.encode()))  # a usable XSD all the same
    assert _repeated_compiled(xsd) is None, why


def _repeated_file(count: int) -> str:
    records = []
    for number in range(count):
        lines = [
            (str(i), f"https://data.example/{number}/{i}", "1.5", ["a"] * (i - 1))
            for i in (1, 2, 3)
        ]
        sites = ["https://a.example/", "https://b.example/"]
        if number % 7 == 0:
            lines[1] = (lines[1][0], "dataset/123", *lines[1][2:])  # format, second line
        if number % 11 == 0:
            lines[2] = ("5", *lines[2][1:])  # above maxInclusive, third line
        if number % 13 == 0:
            lines[1] = (*lines[1][:2], "-0.5", lines[1][3])  # below minInclusive
        if number % 17 == 0:
            sites[1] = "no scheme"  # format, second site
        if number % 19 == 0:
            lines.append(("1", "https://x.example/", "1", []))  # a fourth line: maxOccurs
        if number % 23 == 0:
            lines[0] = (*lines[0][:3], ["c"])  # not in the enumeration
        record = _order(["n"] * (number % 4), sites, lines, "\n    " if number % 2 else "")
        record = record.replace("<Id>O1</Id>", f"<Id>O{number if number != 150 else 149}</Id>")
        records.append(f"  {record}\n")
    return f'<?xml version="1.0"?>\n<Orders xmlns="{REPEATED_NS}">\n{"".join(records)}</Orders>\n'


def _xml_spec(schema_path: Path, xsd: str, record: str, key: str, formats: dict[str, str]) -> Any:
    """An XML export spec of one record element under the XSD ``xsd`` (written there)."""
    from conformance.standards.model import ExportSpec, Text

    schema_path.write_text(xsd, encoding="utf-8")
    return ExportSpec(
        name="records",
        title=Text("记录", "Records"),
        format="xml",
        schema_path=schema_path,
        clauses=("LIC-EXP-001",),
        key=(key,),
        record_element=record,
        field_formats=dict(formats),
    )


def test_values_of_repeated_elements_are_reported_as_record_by_record_does(
    tmp_path: Path,
) -> None:
    from conformance.exports import RECORDS, UNIQUE_KEYS, validate_export

    spec = _xml_spec(tmp_path / "order.xsd", REPEATED_XSD, "Order", "Id", REPEATED_FORMATS)
    path = tmp_path / "o.xml"
    path.write_text(_repeated_file(400), encoding="utf-8")
    taken: list[Any] = []

    def summary(paths: tuple[str, ...]) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        taken.append(report.paths)
        issues = [(i.check, i.kind, i.line, i.xpath, i.message) for i in report.issues]
        return report.records, dict(report.counts), sorted(issues, key=lambda i: (i[0], i[1]))

    compiled = summary(("compiled", "batches"))
    faulty = {n for n in range(400) if any(n % d == 0 for d in (7, 11, 13, 17, 19, 23))}
    assert taken[-1]["compiled"] == 400 - len(faulty)  # every other one (keys are hashed)
    assert compiled == summary(("batches",))
    assert compiled == summary(())  # record by record
    records, counts, issues = compiled
    assert records == 400
    assert counts[(UNIQUE_KEYS, "duplicate-key")] == 1
    assert counts[(RECORDS, "format:uri")] == len(range(0, 400, 7)) + len(range(0, 400, 17))
    xpaths = {issue[3] for issue in issues}
    assert "/Orders/Order[1]/Lines/Line[2]/Url" in xpaths
    assert "/Orders/Order[18]/Site[2]" in xpaths


def test_bounds_are_compared_exactly_near_them() -> None:
    import operator
    from decimal import Decimal

    from conformance.exports._xml_compiled import _bounds_check

    refused = _bounds_check([(operator.ge, Decimal("1")), (operator.lt, Decimal("3"))])
    inside = ["1", "+1", "1.0000000000000000000000001", "2.9999999999999999999999", "2", "01"]
    outside = ["0.9999999999999999999999", "3", "3.0", "-1", "0", "300000000000000000000000"]
    assert refused(inside + outside) == set(outside)
    assert refused(inside) == set()


# ---------------------------------------------------------------- formats in the expression

# Valid values each embedded pattern must take (else the strict expression takes nothing).
_TAKEN = {
    "uri": [
        "https://data.example.org/org/923918",
        "http://user:pw@host.example:8080/a/b?q=1&amp;r=2#frag".replace("&amp;", ";"),
        "urn:isbn:0451450523",
        "mailto:a@example.org",
        "https://a.example/%E4%B8%AD?x=%20",
        "file:///tmp/x",
    ],
    "email": ["vdp55@example.gov.cn", "a.b+c@mail.example.com.cn", "x_y@a-b.example"],
    "cn-uscc": ["91510107PGN98WKMEE"],
    "cn-postcode": ["100000"],
    "cn-division-code": ["510107"],
    "date-time": ["2019-08-03T05:52:30+08:00"],
}
_NOISE = "&<>]\r\n\t :/?#@%[]ab0Z.-\"'中;=\x01"


@st.composite
def _near(draw: Any, fmt: Any) -> str:
    """A value of the format, one of its faulty ones, or either with a character changed."""
    value = draw(st.one_of(fmt.valid(), fmt.invalid(), st.sampled_from(_TAKEN.get(fmt.name, [""]))))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(value)))
        change = draw(st.sampled_from(["insert", "drop", "replace", "entity"]))
        char = draw(st.sampled_from(_NOISE))
        if change == "insert":
            value = value[:at] + char + value[at:]
        elif change == "drop":
            value = value[:at] + value[at + 1 :]
        elif change == "replace":
            value = value[:at] + char + value[at + 1 :]
        else:
            value = value[:at] + draw(st.sampled_from(["&amp;", "&lt;", "&#65;"])) + value[at:]
    return value


def _embedded_names() -> list[str]:
    from conformance.exports._fast import _today_year
    from conformance.exports._xml_compiled import embedded_patterns

    return sorted(embedded_patterns(_today_year()))


@pytest.mark.parametrize("name", _embedded_names())
def test_formats_written_into_the_expression_take_only_values_the_format_accepts(
    name: str,
) -> None:
    """What a field's embedded pattern matches, followed by an end tag, is a value its format
    accepts once its check character (if any) is right, and holds no markup or reference."""
    from conformance.exports._fast import _today_year
    from conformance.exports._xml_compiled import _UNSAFE_CHARS, embedded_patterns
    from conformance.formats import FORMATS
    from conformance.formats._check_characters import WRONG_CHECK_CHARACTERS

    fmt = FORMATS[name]
    field = re.compile(f"<F>(?>{embedded_patterns(_today_year())[name]})</F>")
    wrong_rows = WRONG_CHECK_CHARACTERS.get(name)
    matched: list[str] = []

    def taken(value: str) -> bool:
        if field.fullmatch(f"<F>{value}</F>") is None:
            return False
        return wrong_rows is None or not wrong_rows(value.encode())

    @settings(SETTINGS, max_examples=150)
    @given(_near(fmt))
    def sound(value: str) -> None:
        if taken(value):
            matched.append(value)
            assert not _UNSAFE_CHARS.search(value), value
            assert fmt.check(value) is None, value

    sound()
    assert matched  # some drawn values were taken
    for value in _TAKEN.get(name, []):
        assert taken(value), value


@pytest.mark.parametrize("today_year", [2026, 1901, 2000, 2101])
def test_the_id_numbers_birth_dates_are_those_of_its_format_pattern(today_year: int) -> None:
    """The embedded ID number writes its years as a tree of digits: the same dates."""
    from datetime import timedelta

    from conformance.exports._fast import format_patterns
    from conformance.exports._xml_compiled import embedded_patterns

    ours = re.compile(embedded_patterns(today_year)["cn-id-number"])
    theirs = re.compile(format_patterns(today_year)["cn-id-number"][1:-1])
    day, taken = date(1899, 12, 25), 0
    while day.year <= today_year:
        for text in (day.strftime("%Y%m%d"), day.strftime("%Y%m") + "30", "19000229"):
            value = f"110105{text}123X"
            assert bool(ours.fullmatch(value)) == bool(theirs.fullmatch(value)), value
            taken += bool(ours.fullmatch(value))
        day += timedelta(days=1 if day.month == 2 or day.year % 10 == 0 else 9)
    assert taken > 100


def test_two_formats_of_one_field_leave_the_records_to_lxml() -> None:
    from conformance.formats import FORMATS

    spec = load_standard(LICENCE).export("licences-xml")
    root = etree.parse(str(spec.schema_path)).getroot()
    steps = ("Holder", "IdNumber")
    one = [("Holder/IdNumber", steps, FORMATS["cn-id-number"])]
    assert compile_record(root, "Licence", one, "LicenceId") is not None
    two = [*one, ("/Holder/IdNumber", steps, FORMATS["uri"])]
    assert compile_record(root, "Licence", two, "LicenceId") is None  # else one goes unchecked


CONTACT_NS = "urn:test:contact:1"
CONTACT_XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:r="{CONTACT_NS}"
           targetNamespace="{CONTACT_NS}" elementFormDefault="qualified">
<xs:element name="Contacts"><xs:complexType><xs:sequence>
  <xs:element ref="r:Contact" minOccurs="0" maxOccurs="unbounded"/>
</xs:sequence></xs:complexType></xs:element>
<xs:element name="Contact"><xs:complexType><xs:sequence>
  <xs:element name="Uscc" type="xs:string"/>
  <xs:element name="Email" type="xs:string"/>
  <xs:element name="Website" minOccurs="0"><xs:simpleType><xs:restriction base="xs:string">
    <xs:maxLength value="40"/></xs:restriction></xs:simpleType></xs:element>
  <xs:element name="Updated" type="xs:dateTime"/>
</xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""
CONTACT_FORMATS = {"Uscc": "cn-uscc", "Email": "email", "Website": "uri", "Updated": "date-time"}
# (field, value, whether the record is then valid, whether lxml gets it: off the expressions)
CONTACT_CHANGES = [
    ("Uscc", "91510107PGN98WKMEF", False, False),  # a wrong check character
    ("Uscc", "91510107PGN98WKME", False, False),
    ("Email", "用户@例子.公司", True, False),  # valid, off the embedded pattern
    ("Email", "a..b@example.org", False, False),
    ("Website", "http://[v1.fe]/x", True, False),
    ("Website", "https://a.example/?x=1&amp;y=2", True, True),  # a reference: lxml's
    ("Website", "https://a.example/&lt;x", False, True),
    ("Website", "https://a.example/" + "x" * 30, False, False),  # over maxLength
    ("Website", "no scheme", False, False),
    ("Updated", "2019-08-03T05:52:30", False, False),  # the XSD's, not the format's
    ("Updated", "2016-12-31T23:59:60Z", False, False),  # a leap second the XSD refuses
]


def _contact_file(count: int) -> tuple[str, int, int]:
    """(the file, records valid and plain, records changed off the expressions)."""
    from conformance.formats._check_characters import uscc_check_char

    records = []
    plain = lxml = 0
    for number in range(count):
        body = f"91510107PGN{number:06d}"
        fields = {
            "Uscc": body + uscc_check_char(body),
            "Email": f"u{number}@mail.example.com.cn",
            "Website": f"https://data.example.org/{number}",
            "Updated": "2019-08-03T05:52:30+08:00",
        }
        if number % 3 == 0:
            field, value, _valid, by_lxml = CONTACT_CHANGES[number // 3 % len(CONTACT_CHANGES)]
            fields[field] = value
            lxml += by_lxml
        else:
            plain += 1
        if number % 5 == 0:
            del fields["Website"]
        text = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
        records.append(f"  <Contact>{text}</Contact>\n")
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<Contacts xmlns="{CONTACT_NS}">\n'
    return f"{head}{''.join(records)}</Contacts>\n", plain, lxml


def test_records_with_formats_in_the_expression_are_reported_as_record_by_record_does(
    tmp_path: Path,
) -> None:
    from conformance.exports import validate_export
    from conformance.formats import FORMATS

    formats = [(p, (p,), FORMATS[name]) for p, name in CONTACT_FORMATS.items()]
    compiled = compile_record(etree.fromstring(CONTACT_XSD.encode()), "Contact", formats, "Uscc")
    assert compiled is not None
    assert compiled.strict is not None
    assert len(compiled.strict_fields) == 1  # only the USCC's check character is left
    spec = _xml_spec(tmp_path / "contact.xsd", CONTACT_XSD, "Contact", "Uscc", CONTACT_FORMATS)
    path = tmp_path / "c.xml"
    text, plain, _by_lxml = _contact_file(600)
    path.write_text(text, encoding="utf-8")

    def summary(paths: tuple[str, ...]) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        issues = [(i.check, i.kind, i.line, i.xpath, i.value, i.message) for i in report.issues]
        return report.records, dict(report.counts), issues, report.paths

    default = summary(("compiled", "batches"))
    exact = summary(())
    assert default[:3] == summary(("batches",))[:3]
    assert default[:3] == exact[:3]
    faults = sum(not valid for _f, _v, valid, _l in CONTACT_CHANGES)
    assert len({issue[1] for issue in exact[2]}) >= 5  # the seeded faults were found
    assert faults >= 5
    # every record but those with a fault or a reference was taken by the expressions
    changes = [CONTACT_CHANGES[n // 3 % len(CONTACT_CHANGES)] for n in range(0, 600, 3)]
    left = sum(1 for _f, _v, valid, by_lxml in changes if by_lxml or not valid)
    assert default[3]["compiled"] == 600 - left
    assert default[3]["compiled"] > plain  # valid values off the patterns too


# ---------------------------------------------------------------- fields of refused records

_LOCAL_NAMES = ["a", "b", "名称"]


@st.composite
def _tree(draw: Any, depth: int = 0) -> str:
    """An element of local names drawn from _LOCAL_NAMES, namespaced or not, with comments."""
    name = draw(st.sampled_from(_LOCAL_NAMES))
    prefix = draw(st.sampled_from(["", "p:", "q:"]))
    children = [] if depth >= 2 else draw(st.lists(_tree(depth + 1), max_size=3))
    extra = draw(st.sampled_from(["", "<!--c-->", "<?pi x?>", "t"]))
    return f"<{prefix}{name}>{extra}{''.join(children)}</{prefix}{name}>"


def test_field_elements_and_xpaths_are_those_find_fields_gives() -> None:
    """The refused records' field walk (a C-level search of children, xpaths only for the
    values reported) finds what ``_find_fields`` finds, in its order, with its xpaths."""
    from conformance.exports._readers import XmlRecord
    from conformance.exports._validate import _field_elements, _field_xpath, _find_fields

    found: list[int] = []

    @settings(SETTINGS, max_examples=300)
    @given(
        st.lists(_tree(1), max_size=4),
        st.lists(st.sampled_from([*_LOCAL_NAMES, "*", "p:a", "c"]), min_size=1, max_size=3),
    )
    def same(children: list[str], steps: list[str]) -> None:
        text = f'<r xmlns="urn:x" xmlns:p="urn:p" xmlns:q="urn:x">{"".join(children)}</r>'
        record = XmlRecord(etree.fromstring(text.encode()), 1, "/R/r[1]")
        expected = list(_find_fields(record.element, tuple(steps), record.xpath))
        elements = list(_field_elements(record.element, tuple(steps)))
        assert elements == [element for element, _xpath in expected]
        xpaths = [_field_xpath(record, element, len(steps)) for element in elements]
        assert xpaths == [xpath for _element, xpath in expected]
        found.append(len(elements))

    same()
    assert max(found) > 1  # fields met more than once (indexed xpaths) were compared
