"""`conformance report --pdf RUN`: the report on A4 paper, printed by Debian's Chromium.

The PDF's text is extracted (pypdf) and must hold the verdict, the clause matrix, the
failures with their evidence, the certificate data and page numbers, in the language asked.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from conformance.certificates.issue import certify_run
from conformance.certificates.keys import generate_keypair, load_private_key
from conformance.reporting.pdf import CHROMIUM
from tests.conftest import run_cli
from tests.review_data import FAILING, RUNNER_POLICY, make_results, make_standard, write_run

A4 = (595.0, 842.0)  # points


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing in CI (.ci/run installs chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    root = tmp_path_factory.mktemp("pdf")
    standards = root / "standards"
    run = write_run(root / "run", make_results(make_standard(standards), FAILING))
    pair = generate_keypair(root / "keys", "issuer")
    certify_run(
        run,
        load_private_key(pair.private),
        issuer="省数据局",
        policy=RUNNER_POLICY,
        standards_dirs=[standards],
    )
    return run, standards


def _text(path: Path) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(path)
    # NFKC: Chromium's ligatures (ﬁ) read as their letters
    return reader, [unicodedata.normalize("NFKC", p.extract_text() or "") for p in reader.pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_report_pdf_is_an_a4_document_with_everything_a_reviewer_archives(
    signed_run: tuple[Path, Path],
) -> None:
    run, _ = signed_run
    done = run_cli("report", "--pdf", str(run))
    assert done.code == 0, done.err
    pdf = run / "report.pdf"
    assert done.out.strip() == str(pdf)
    reader, pages = _text(pdf)
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = _flat("\n".join(pages))
    assert "不符合标准:不可认证" in text  # the verdict, first (NFKC: a plain colon)
    assert _flat(pages[0]).find("不符合标准") < _flat(pages[0]).find("T-API-001")
    for clause in ("T-API-001", "T-API-002", "T-API-003", "T-OPS-001", "T-EXP-001"):
        assert clause in text  # the clause matrix
    assert "条款覆盖矩阵" in text
    assert "按条款分组的失败" in text
    assert "/properties/name/type" in text  # a failure's schema path
    assert "curl-sS-XGET" in text  # its evidence, opened for paper
    assert "HTTP200" in text
    assert "一致性测试不通过记录" in text  # the signed record's data
    assert "省数据局" in text
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"{number} / {total}" in page, (number, page[-200:])  # page numbers
    # no control of the screen is printed
    assert "仅显示未通过" not in text


def test_report_pdf_in_english(signed_run: tuple[Path, Path], tmp_path: Path) -> None:
    run, _ = signed_run
    out = tmp_path / "en.pdf"
    done = run_cli("report", "--pdf", str(run), "--lang", "en", "--out", str(out))
    assert done.code == 0, done.err
    _, pages = _text(out)
    text = "\n".join(pages)
    assert "Does not conform: not certifiable" in text
    assert "Clause coverage matrix" in text
    assert "不符合标准" not in text


def test_report_without_pdf_writes_the_html_again(signed_run: tuple[Path, Path]) -> None:
    run, _ = signed_run
    done = run_cli("report", str(run), "--lang", "en")
    assert done.code == 0, done.err
    html = (run / "report.html").read_text(encoding="utf-8")
    assert 'data-lang="en"' in html
    assert "<title>Conformance report" in html


def test_report_of_a_missing_run_is_a_one_line_error(tmp_path: Path) -> None:
    done = run_cli("report", "--pdf", str(tmp_path / "nothing"))
    assert done.code == 2
    assert len(done.err.strip().splitlines()) == 1
    assert "Traceback" not in done.err


def test_report_pdf_names_a_missing_chromium(signed_run: tuple[Path, Path]) -> None:
    run, _ = signed_run
    done = run_cli("report", "--pdf", str(run), "--chromium", "/nonexistent/chromium")
    assert done.code == 2
    assert "chromium='/nonexistent/chromium' not found" in done.err
