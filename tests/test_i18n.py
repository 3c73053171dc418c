"""The message catalog: every message in zh-CN and en, every producer's id in it, and a real
run's failures rendered from it (English exactly as the suite wrote it, Chinese all Chinese
but for the data values)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import all_checks
from conformance.i18n import LANGS, Message, catalog, en, message_from, placeholders, render
from tests.conftest import FIXTURE, run_faulty

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff]")
# Latin words a Chinese message may keep: protocol and format names, units, level keywords
TECHNICAL = {
    "HTTP", "JSON", "Lines", "CSV", "XML", "XSD", "DTD", "BOM", "NUL", "CRLF", "LF", "UTF",
    "Content-Type", "curl", "results.json", "SHA-256", "P50", "P95", "ID", "MUST", "SHOULD",
    "MAY", "oneOf", "anyOf", "not", "contains", "false", "total", "items", "status",
    "content_type", "elapsed", "export", "export_records", "candidate.yaml", "Noto", "Sans",
    "CJK", "SC", "SIL", "Ed25519", "English", "type", "Type", "Content", "xx", "Bearer", "Accept",
}  # fmt: skip


def _entries() -> Iterator[tuple[str, str, str]]:
    zh, english = catalog("zh-CN"), catalog("en")
    for message_id in sorted(zh):
        yield message_id, zh[message_id], english[message_id]


def test_every_message_has_both_languages_with_the_same_parameters() -> None:
    zh, english = catalog("zh-CN"), catalog("en")
    assert len(zh) > 300
    assert set(zh) == set(english)
    for message_id, zh_text, en_text in _entries():
        assert zh_text.strip(), message_id
        assert en_text.strip(), message_id
        if re.fullmatch(r"\{[a-z]+\}", en_text):  # the suite's own English text, as written
            assert placeholders(en_text) <= placeholders(zh_text) or en_text == "{detail}"
            continue
        assert placeholders(zh_text) == placeholders(en_text), message_id


def _words(template: str) -> list[str]:
    literal = re.sub(r"\{[a-z_]+\}", " ", template)
    return re.findall(r"[A-Za-z][A-Za-z0-9_.:/-]*[A-Za-z0-9]|[A-Za-z]", literal)


def test_chinese_messages_are_chinese_and_english_ones_english() -> None:
    for message_id, zh_text, en_text in _entries():
        if message_id in ("text", "ui.switch_to") or (not _words(en_text) and "{" in en_text):
            continue
        if not placeholders(zh_text) or CJK.sub("", zh_text) != zh_text:
            strays = [w for w in _words(zh_text) if w not in TECHNICAL]
            assert not strays, (message_id, zh_text, strays)
        if _words(zh_text) != _words(en_text) or CJK.search(zh_text):
            assert CJK.search(zh_text) or placeholders(zh_text), (message_id, zh_text)
        assert not CJK.search(en_text) or message_id == "ui.switch_to", (message_id, en_text)


def test_every_check_and_status_has_a_name() -> None:
    names = catalog("zh-CN")
    for check in all_checks():
        assert f"check.{check.id}" in names, check.id
        assert render(Message(f"check.{check.id}"), "en") == check.title
    for key in ("pass", "fail", "error", "skip", "waived", "attested", "awaiting-attestation"):
        assert f"status.{key}" in names
    for level in ("MUST", "SHOULD", "MAY"):
        assert f"level.{level}" in names


def _source(*parts: str) -> str:
    return "".join(p.read_text(encoding="utf-8") for part in parts for p in ROOT.glob(part))


def test_every_message_id_the_code_names_is_in_the_catalog() -> None:
    names = catalog("zh-CN")
    code = _source("conformance/**/*.py")
    call = r"(?:msg|problem|Message|\bt|svg_t|_both|_plain_both|_say)\(\s*f?"
    literal = set(re.findall(call + r"""["']([a-z][a-z0-9_]*\.[A-Za-z0-9_.-]+)["']""", code))
    assert len(literal) > 100
    for message_id in literal:
        if message_id.endswith(("_", ".")):  # completed at run time (f"cert.title_{kind}")
            continue
        assert message_id in names, message_id
        if message_id.startswith("problem.") and not message_id.endswith(".title"):
            assert f"{message_id}.title" in names, message_id


def test_every_export_issue_kind_has_a_message_and_a_title() -> None:
    names = catalog("zh-CN")
    code = _source("conformance/exports/*.py")
    kinds = set(re.findall(r'(?:sink|self\.sink)\.add\(\s*[A-Z_]+,\s*"([a-z-]+)"', code))
    kinds |= set(re.findall(r'_stop\(\s*sink,\s*"([a-z-]+)"', code))
    kinds |= set(re.findall(r'CompressedError\(\s*"([a-z-]+)"', code))
    kinds |= {"unreadable", "missing-file", "not-a-file", "record_schema", "format"}
    assert len(kinds) > 30
    for kind in kinds:
        assert f"export.{kind}" in names, kind
        assert f"export.{kind}.title" in names, kind


def test_rendering_keeps_data_verbatim_and_escapes_it() -> None:
    from conformance.i18n import render_html

    message = Message("problem.header_type", {"header": "X-Total", "value": "'<b>12'"})
    assert render(message, "zh-CN") == "响应头 X-Total='<b>12' 不符合其模式"
    assert render(message, "en") == "header X-Total='<b>12' does not match its schema"
    html = render_html(message, "zh-CN")
    assert '<code class="v">&#x27;&lt;b&gt;12&#x27;</code>' in html
    nested = Message("result.fail", {"distinct": 1, "total": 3, "first": message})
    assert render(nested, "zh-CN").endswith("响应头 X-Total='<b>12' 不符合其模式")
    assert message_from(json.loads(json.dumps(nested.as_dict()))) == nested
    # an id the catalog lacks still shows its data, never raises
    assert render(Message("no.such.id", {"a": 1}), "zh-CN") == "no.such.id a=1"


# -- a real run ------------------------------------------------------------------------------


def _messages(value: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(i18n message, the English text it stands beside) in a results dictionary."""
    if isinstance(value, dict):
        said = value.get("i18n")
        if isinstance(said, dict):
            for key in ("title", "message"):
                if key in said and isinstance(value.get(key), str):
                    yield said[key], value[key]
            for key in ("reasons", "warnings", "notes"):
                yield from zip(said.get(key) or [], value.get(key) or [], strict=False)
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, list):
        for item in value:
            yield from _messages(item)


@pytest.fixture(scope="module")
def faulty_results(tmp_path_factory: pytest.TempPathFactory, token: str) -> dict[str, Any]:
    reports = tmp_path_factory.mktemp("i18n-run")
    exports = tmp_path_factory.mktemp("i18n-exports")
    source = FIXTURE / "exports" / "gov.e-licence"
    bad = (source / "licences.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(bad[0])
    code = record["holder"]["uscc"]  # a wrong check character
    record["holder"]["uscc"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    record["licence_type"] = "ZZ"
    (exports / "licences.jsonl").write_text(
        "\n".join([json.dumps(record, ensure_ascii=False), *bad[1:], bad[1]]) + "\n",
        encoding="utf-8",
    )
    (exports / "licences.xml").write_bytes(b"\xef\xbb\xbf" + (source / "licences.xml").read_bytes())
    candidate = exports / "candidate.yaml"
    text = (FIXTURE / "candidate.yaml").read_text(encoding="utf-8")
    candidate.write_text(text.replace("exports/gov.e-licence/", ""), encoding="utf-8")
    faults = {"wrong-date-format", "html-error-page", "auth-not-enforced"}
    extra = ("--max-examples", "4", "--seed", "9", "--lang", "en")
    done = run_faulty(reports, token, faults, *extra, candidate=candidate)
    assert done.code == 1, done.out + done.err
    assert "verdict: DOES NOT CONFORM" in done.out  # --lang en: the summary in English
    assert "结论" not in done.out
    (path,) = reports.glob("*/results.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_real_runs_english_is_the_catalogs_english(faulty_results: dict[str, Any]) -> None:
    pairs = list(_messages(faulty_results))
    assert len(pairs) > 20
    names = catalog("zh-CN")
    kinds = set()
    for said, english in pairs:
        message = message_from(said)
        assert message is not None
        assert message.id in names, message.id
        assert en(message) == english, (message.id, english)
        kinds.add(message.id.split(".")[0])
    assert {"problem", "result", "verdict", "export"} <= kinds, kinds


def test_a_real_runs_chinese_is_chinese_but_for_data(faulty_results: dict[str, Any]) -> None:
    checked = 0
    for said, _ in _messages(faulty_results):
        message = message_from(said)
        assert message is not None
        zh = render(message, "zh-CN")
        assert CJK.search(zh), (message.id, zh)
        data = [str(v) for v in _flat_params(message)]
        literal = zh
        for value in sorted((d for d in data if d), key=len, reverse=True):
            literal = literal.replace(value, " ")
        strays = [w for w in _words(literal.replace("{", " ")) if w not in TECHNICAL]
        assert not strays, (message.id, zh, strays)
        checked += 1
    assert checked > 20


def _flat_params(message: Message) -> Iterator[Any]:
    for value in message.params.values():
        if isinstance(value, Message):
            yield from _flat_params(value)
        else:
            yield value


def test_results_with_messages_validate_against_the_schema(faulty_results: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "conformance/schemas/results.schema.json").read_text())
    errors = list(Draft202012Validator(schema).iter_errors(faulty_results))
    assert not errors, errors[0].message
    assert faulty_results["i18n"]["reasons"]
    assert all(lang in LANGS for lang in ("zh-CN", "en"))
