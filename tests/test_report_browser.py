"""report.html in a real headless Chromium (Debian's, driven by playwright).

The page renders, the verdict is visible, the language switch and the filters work, the
console has no errors, a response holding <script> does not run, and no request leaves the
page (every request is routed and any URL other than file: or data: fails the test).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.certificates.issue import certify_run
from conformance.certificates.keys import generate_keypair, load_private_key
from conformance.reporting.html import write_html
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli, run_faulty
from tests.review_data import (
    ALL_PASS,
    FAILING,
    RUNNER_POLICY,
    make_results,
    make_standard,
    write_run,
)

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    # CI installs chromium and playwright (.ci/run): there a missing piece is a failure
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


@dataclass
class Browser:
    context: Any
    playwright: Any = None  # to launch another Chromium (another environment)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
        return
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
            timeout=60_000,
        )
        state = Browser(context, playwright)

        def route(route: Any) -> None:
            url = route.request.url
            state.requests.append(url)
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                state.blocked.append(url)
                route.abort()

        context.route("**/*", route)
        try:
            yield state
        finally:
            context.close()


@dataclass
class Page:
    page: Any
    console_errors: list[str]
    dialogs: list[str]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[Path], Page]]:
    pages: list[Any] = []

    def open_(path: Path) -> Page:
        page = browser.context.new_page()
        pages.append(page)
        errors: list[str] = []
        dialogs: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def dialog(d: Any) -> None:
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.set_default_timeout(15_000)
        page.goto(path.resolve().as_uri(), wait_until="load")
        return Page(page, errors, dialogs)

    yield open_
    for page in pages:
        page.close()
    assert browser.blocked == [], f"requests left the page: {browser.blocked}"


def _visible_rows(page: Any) -> list[str]:
    return [
        row.get_attribute("id")
        for row in page.locator("#coverage tr.filterable").all()
        if row.is_visible()
    ]


def test_report_renders_switches_language_and_filters(
    tmp_path: Path, open_page: Callable[[Path], Page], browser: Browser
) -> None:
    data = make_results(make_standard(tmp_path / "standards"), FAILING)
    report = write_html(tmp_path, data)
    view = open_page(report)
    page = view.page
    headline = page.locator("#verdict-headline")
    assert headline.is_visible()
    assert headline.inner_text() == "不符合标准：不可认证"
    assert page.title().startswith("一致性测试报告")
    # the hostile response body and message are text, never markup: nothing ran
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert view.dialogs == []
    assert page.locator("img").count() == 0
    assert "<script>window.__pwned = 1;" in page.locator("#failures").inner_text()
    # language switch
    page.click("#lang-switch")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert headline.inner_text() == "Does not conform: not certifiable"
    assert page.title().startswith("Conformance report")
    assert page.locator("#lang-switch").inner_text() == "中文"
    page.click("#lang-switch")
    assert headline.inner_text() == "不符合标准：不可认证"
    # filters
    all_rows = ["c-T-API-001", "c-T-API-002", "c-T-API-003", "c-T-OPS-001", "c-T-EXP-001"]
    assert _visible_rows(page) == all_rows
    assert page.locator("#filter-count").inner_text() == "显示 5 / 5 条款"
    page.check("#filter-failures")
    assert _visible_rows(page) == ["c-T-API-001", "c-T-API-002", "c-T-OPS-001", "c-T-EXP-001"]
    page.select_option("#filter-level", "MUST")
    assert _visible_rows(page) == ["c-T-API-001", "c-T-OPS-001", "c-T-EXP-001"]
    assert not page.locator("#f-T-API-002").is_visible()  # SHOULD failures hidden too
    assert page.locator("#f-T-API-001").is_visible()
    page.select_option("#filter-level", "MAY")
    page.uncheck("#filter-failures")
    assert _visible_rows(page) == ["c-T-API-003"]
    page.click("#lang-switch")
    assert page.locator("#filter-count").inner_text() == "1 of 5 clauses shown"
    page.select_option("#filter-level", "all")
    assert _visible_rows(page) == all_rows
    # charts are drawn
    for chart in ("#chart-clauses", "#chart-checks", "#chart-latency"):
        box = page.locator(chart).bounding_box()
        assert box is not None
        assert box["width"] > 300
    assert view.console_errors == []
    assert all(url.startswith("file:") for url in browser.requests)


def test_certificate_view_renders_without_errors(
    tmp_path: Path, open_page: Callable[[Path], Page]
) -> None:
    root = tmp_path / "standards"
    standard = make_standard(root, manual_level="SHOULD")
    run = write_run(tmp_path / "run", make_results(standard, ALL_PASS))
    pair = generate_keypair(tmp_path / "keys", "issuer")
    issued = certify_run(
        run,
        load_private_key(pair.private),
        issuer="省数据局",
        policy=RUNNER_POLICY,
        standards_dirs=[root],
    )
    view = open_page(issued.html_path)
    assert (
        "people-hub 2.0.0 符合 test.review@1.0.0"
        in view.page.locator("#verdict-headline").inner_text()
    )
    view.page.click("#lang-switch")
    assert "conforms to test.review@1.0.0" in view.page.locator("#verdict-headline").inner_text()
    assert view.console_errors == []


@pytest.mark.slow
def test_real_report_of_a_faulty_candidate_in_the_browser(
    tmp_path: Path,
    faulty_server: Callable[..., str],
    token: str,
    open_page: Callable[[Path], Page],
) -> None:
    url = faulty_server("html-error-page", "wrong-date-format")
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
        "11",
        env={TOKEN_ENV: token},
    )
    assert done.code == 1, done.out + done.err
    (report,) = tmp_path.glob("*/report.html")
    view = open_page(report)
    page = view.page
    assert page.locator("#verdict-headline").is_visible()
    assert page.locator("#c-LIC-API-006").get_attribute("data-status") == "fail"
    assert (
        page.evaluate("document.querySelectorAll('h1').length") == 1
    )  # the candidate's <h1> is text
    assert token not in page.content()
    page.check("#filter-failures")
    assert "c-LIC-API-006" in _visible_rows(page)
    assert view.console_errors == []
    assert view.dialogs == []


# -- any screen, any machine -------------------------------------------------------------


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory, token: str) -> Path:
    """report.html of a real run against a faulty reference candidate (long values, export
    files, HTML error pages): the page to fit on a phone and to render without CJK fonts."""
    reports = tmp_path_factory.mktemp("browser-run")
    faults = {"html-error-page", "wrong-date-format", "non-ascii-500"}
    done = run_faulty(reports, token, faults, "--max-examples", "5", "--seed", "11")
    assert done.code == 1, done.out + done.err
    (report,) = reports.glob("*/report.html")
    return report


WIDE_ELEMENTS = """() => Array.from(document.querySelectorAll("body *"))
  .filter((e) => !e.closest(".table-wrap") && e.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map((e) => e.tagName + "." + e.className)"""


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 900)])
def test_no_page_level_horizontal_scroll(
    real_report: Path, open_page: Callable[[Path], Page], width: int, height: int
) -> None:
    view = open_page(real_report)
    page = view.page
    page.set_viewport_size({"width": width, "height": height})
    for lang in ("zh-CN", "en"):
        if page.evaluate("document.documentElement.lang") != lang:
            page.click("#lang-switch")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, lang
        assert page.evaluate(WIDE_ELEMENTS) == [], lang
        # the coverage matrix's status is on screen without scrolling anything sideways
        status = page.locator("#c-LIC-API-006 td.status").bounding_box()
        assert status is not None
        assert status["x"] >= 0, (lang, status)
        assert status["x"] + status["width"] <= width, (lang, status)
        # a wide table (export files) scrolls inside its own box
        for wrap in page.locator("#exports .table-wrap").all():
            box = wrap.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= width + 1
    assert view.console_errors == []


NO_CJK_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>/usr/share/fonts/truetype/dejavu</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""
CJK = "[\\u3000-\\u303f\\u3400-\\u9fff\\uff00-\\uffef]"


@pytest.mark.slow
def test_chinese_renders_with_the_embedded_font_where_no_cjk_font_is_installed(
    real_report: Path, tmp_path: Path, browser: Browser
) -> None:
    """Chromium sees only DejaVu (FONTCONFIG_FILE): every CJK glyph must come from the
    report's own font, and that font must hold every character the page shows."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    config = tmp_path / "fonts.conf"
    config.write_text(NO_CJK_FONTS.format(cache=tmp_path / "cache"), encoding="utf-8")
    check = subprocess.run(
        ["fc-list", ":lang=zh"],
        env={**os.environ, "FONTCONFIG_FILE": str(config)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert check.stdout.strip() == "", "the isolated fontconfig still sees a CJK font"
    html = real_report.read_text(encoding="utf-8")
    covered = {
        chr(c)
        for data in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", html)
        for c in TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
    }
    context = browser.playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        env={**os.environ, "FONTCONFIG_FILE": str(config)},
        viewport={"width": 1366, "height": 900},
    )
    try:
        page = context.new_page()
        page.goto(real_report.resolve().as_uri(), wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        shown = page.evaluate("document.body.textContent")
        cjk = set(re.findall(CJK, shown))
        assert len(cjk) > 300
        assert cjk <= covered, "".join(sorted(cjk - covered))
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        checked = 0
        for selector in (
            "#verdict-headline .zh",
            "header .sub .zh",
            "#verdict li .zh",
            "#coverage td .zh",
            "#failures .failure .zh",
            ".badge .zh",
            "footer .zh",
        ):
            nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})
            for node in nodes["nodeIds"][:15]:
                text = cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
                wanted = len(re.findall(CJK, re.sub("<[^>]+>", "", text)))
                if not wanted:
                    continue
                used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                embedded = sum(f["glyphCount"] for f in used if f["isCustomFont"])
                # DejaVu has no CJK glyph: any CJK character it drew would be a box
                assert embedded >= wanted, (selector, text[:120], used)
                checked += 1
        assert checked > 20
    finally:
        context.close()
