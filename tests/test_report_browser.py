"""report.html in a real headless Chromium (Debian's, driven by playwright).

The page renders, the verdict is visible, the language switch and the filters work, the
console has no errors, a response holding <script> does not run, and no request leaves the
page (every request is routed and any URL other than file: or data: fails the test).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.certificates.issue import certify_run
from conformance.certificates.keys import generate_keypair, load_private_key
from conformance.reporting.html import write_html
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli
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
        state = Browser(context)

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
