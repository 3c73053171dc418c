"""report.html: self-contained, escaped, complete; checked as text (the browser test renders it)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance.reporting import REPORTERS
from conformance.reporting.html import json_for_script, percentile, render_report, write_html
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli
from tests.review_data import FAILING, HOSTILE, make_results, make_standard


@pytest.fixture
def failing(tmp_path: Path) -> dict[str, Any]:
    return make_results(make_standard(tmp_path / "standards"), FAILING)


class _Collector(HTMLParser):
    """Every tag with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_html_reporter_runs_after_every_run() -> None:
    assert write_html in REPORTERS


def test_candidate_content_is_escaped_and_cannot_run(failing: dict[str, Any]) -> None:
    html = render_report(failing)
    assert HOSTILE not in html
    assert "&lt;script&gt;window.__pwned = 1;" in html
    parsed = _parse(html)
    # exactly the two scripts of the report: the JSON data block and the code
    assert [attrs.get("type") for attrs, _ in parsed.scripts] == ["application/json", None]
    assert not [t for t, a in parsed.tags if t == "img"]
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]
    assert "某某科技 &lt;b&gt;Vendor&lt;/b&gt;" in html


def test_inline_blocks_are_pinned_by_the_content_security_policy(failing: dict[str, Any]) -> None:
    html = render_report(failing)
    parsed = _parse(html)
    (csp,) = [
        a["content"] for t, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp is not None
    assert "default-src 'none'" in csp
    code = parsed.scripts[1][1]
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp


def test_no_reference_to_any_network_resource(failing: dict[str, Any]) -> None:
    html = render_report(failing)
    for tag, attrs in _parse(html).tags:
        for name in ("src", "href", "action", "data", "poster"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("#", "data:")), (tag, name, value)
    assert "@import" not in html
    # the one url() is the embedded font, a data: URL
    urls = re.findall(r"url\(([^)]*)\)", html)
    assert urls, "the CJK font subset is embedded"
    assert all(u.strip("\"'").startswith("data:font/woff;base64,") for u in urls), urls


def test_embedded_json_is_safe_in_a_script_element() -> None:
    text = json_for_script({"x": "</script><script>alert(1)</script>", "y": "a\u2028b&"})
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert "\u2028" not in text
    assert json.loads(text) == {"x": "</script><script>alert(1)</script>", "y": "a\u2028b&"}


def test_report_opens_with_the_verdict_and_why(failing: dict[str, Any]) -> None:
    html = render_report(failing)
    verdict = html.index('id="verdict"')
    assert verdict < html.index('id="coverage"') < html.index('id="failures"')
    assert "不符合标准：不可认证" in html
    assert "Does not conform: not certifiable" in html
    reasons = html[html.index('id="verdict-reasons"') : html.index("</ul>", verdict)]
    assert "T-API-001" in reasons
    assert "T-EXP-001" in reasons
    assert "T-OPS-001" in reasons  # the manual MUST clause without attestation
    assert "T-API-002" not in reasons  # SHOULD: a warning, not a reason
    assert 'id="verdict-warnings"' in html


def test_coverage_matrix_has_every_clause_with_level_and_status(failing: dict[str, Any]) -> None:
    html = render_report(failing)
    rows = re.findall(
        r'<tr class="filterable" id="c-([^"]+)" data-level="(\w+)" '
        r'data-status="([^"]+)" data-bad="(\d)"',
        html,
    )
    assert rows == [
        ("T-API-001", "MUST", "fail", "1"),
        ("T-API-002", "SHOULD", "fail", "1"),
        ("T-API-003", "MAY", "skip", "0"),
        ("T-OPS-001", "MUST", "awaiting-attestation", "1"),
        ("T-EXP-001", "MUST", "fail", "1"),
    ]
    assert "awaiting a reviewer&#x27;s attestation" in html
    assert "optional (MAY) clause not claimed by the candidate" in html


def test_failures_show_request_response_curl_pointer_and_export_counts(
    failing: dict[str, Any],
) -> None:
    html = render_report(failing)
    failures = html[html.index('id="failures"') :]
    assert 'id="f-T-API-001"' in failures
    assert "GET http://127.0.0.1:9/people/P001?q=%3Cscript%3E" in failures
    assert "HTTP 200" in failures
    assert "Authorization: [REDACTED]" in failures
    assert 'class="curl"' in failures
    assert "${CANDIDATE_TOKEN}" in failures
    assert "/properties/name/type" in failures
    assert "people.jsonl:5" in failures
    assert "export_records:pattern" in failures  # error counts per type
    assert "/data/out/people.jsonl" in html  # export files table


def test_charts_are_inline_svg_by_clause_check_and_latency(failing: dict[str, Any]) -> None:
    html = render_report(failing)
    for chart in ("chart-clauses", "chart-checks", "chart-latency"):
        assert f'<svg class="chart" id="{chart}"' in html
    clauses = html[
        html.index('id="chart-clauses"') : html.index("</svg>", html.index('id="chart-clauses"'))
    ]
    assert clauses.count('class="seg-fail"') == 1 + 3  # legend + three clauses with failures
    assert 'id="latency-table"' in html
    assert "GET /people/{id}" in html
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0


def test_bilingual_zh_first_with_a_switch(failing: dict[str, Any]) -> None:
    html = render_report(failing)
    assert html.startswith('<!DOCTYPE html>\n<html lang="zh-CN" data-lang="zh-CN">')
    assert 'id="lang-switch"' in html
    assert html.count('class="zh"') > 20
    assert html.count('class="zh"') == html.count('class="en"')


def test_large_runs_stay_bounded(tmp_path: Path, failing: dict[str, Any]) -> None:
    result = next(r for r in failing["results"] if r["status"] == "fail")
    result["failures"] = [dict(result["failures"][0], title=f"failure {n}") for n in range(500)]
    html = write_html(tmp_path, failing).read_text(encoding="utf-8")
    assert "failure 19<" in html
    assert "failure 20<" not in html
    assert "480 more distinct failures in results.json" in re.sub("<[^>]+>", "", html)


@pytest.mark.slow
def test_real_run_report_from_a_faulty_candidate(
    tmp_path: Path, faulty_server: Callable[..., str], token: str
) -> None:
    url = faulty_server("wrong-date-format", "html-error-page")
    done = run_cli(
        "run",
        "--standard",
        "gov.e-licence@1.1.0",
        "--candidate",
        str(FIXTURE / "candidate.yaml"),
        "--base-url",
        url,
        "--reports-dir",
        str(tmp_path),
        "--max-examples",
        "5",
        "--seed",
        "3",
        env={TOKEN_ENV: token},
    )
    assert done.code == 1, done.out + done.err
    (report,) = tmp_path.glob("*/report.html")
    html = report.read_text(encoding="utf-8")
    assert token not in html
    assert "LIC-API-006" in html
    assert "不符合标准" in html
    assert "curl -sS -i --compressed -X GET" in html
    assert (
        "&lt;html" in html or "&lt;!DOCTYPE" in html or "&lt;h1" in html
    )  # the HTML error page, escaped
    assert f"{report.parent / 'report.html'}" in done.out  # the terminal names the report
    # the per-clause summary table, in zh-CN by default (--lang)
    row = next(line for line in done.out.splitlines() if line.startswith("LIC-API-006 "))
    assert row.split()[:4] == ["LIC-API-006", "必须", "自动", "失败"], row
    assert "结论：不符合标准" in done.out


def test_unreachable_candidate_is_said_first(failing: dict[str, Any]) -> None:
    failing["unreachable"] = "base_url=http://127.0.0.1:9 accepts no connection <refused>"
    failing["exit_code"] = 3
    html = render_report(failing)
    verdict = html[html.index('id="verdict"') : html.index('id="run"')]
    assert "无法连接被测系统" in verdict
    assert "accepts no connection &lt;refused&gt;" in verdict


def test_certificate_view_follows_the_language_and_words_reasons_from_the_catalog(
    tmp_path: Path,
) -> None:
    from conformance.certificates.issue import certify_run
    from conformance.certificates.keys import generate_keypair, load_private_key
    from tests.review_data import FAILING, RUNNER_POLICY, make_results, make_standard, write_run

    root = tmp_path / "standards"
    run = write_run(tmp_path / "run", make_results(make_standard(root), FAILING))
    key = load_private_key(generate_keypair(tmp_path / "keys", "issuer").private)
    signing = {"issuer": "省数据局", "policy": RUNNER_POLICY, "standards_dirs": [root]}
    zh = certify_run(run, key, **signing)  # type: ignore[arg-type]
    en = certify_run(run, key, **signing, out_dir=tmp_path / "en", lang="en")  # type: ignore[arg-type]
    zh_html = zh.html_path.read_text(encoding="utf-8")
    en_html = en.html_path.read_text(encoding="utf-8")
    assert 'data-lang="zh-CN"' in zh_html
    assert "<title>一致性测试不通过记录</title>" in zh_html
    assert 'data-lang="en"' in en_html
    assert "<title>Record of a failed conformance run</title>" in en_html
    # the signed English reasons, shown in Chinese from the catalog
    reasons = zh.document["payload"]["reasons"]
    assert "MUST clause T-API-001: fail" in reasons
    assert '“必须”条款 <code class="v">T-API-001</code>：失败' in zh_html
