"""report.pdf: the report printed on A4 paper by headless Chromium (Debian's, no download).

The page's print stylesheet makes the document: the verdict, the clause matrix, the failures
with their evidence (every ``<details>`` opened), the run's and the review's data, and page
numbers ("N / M") in the bottom margin.  Chromium prints the report written for one language
to a PDF; it runs with a fresh profile, no sandbox (it runs as root in CI containers), and no
background networking, bounded in time.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.errors import UsageError
from conformance.i18n import DEFAULT_LANG
from conformance.reporting.html import render_report

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "print_pdf", "write_pdf"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-default-apps",
)
PRINT_TIMEOUT_S = 180


def printable(
    data: Mapping[str, Any],
    lang: str = DEFAULT_LANG,
    certificate: Mapping[str, Any] | None = None,
) -> str:
    """The report's HTML for paper: in ``lang``, every evidence block open."""
    # "<details" only ever comes from the reporter: the candidate's text is escaped.
    return render_report(data, lang, certificate).replace("<details>", "<details open>")


def print_pdf(html_file: Path, out: Path, chromium: Path = CHROMIUM) -> Path:
    """Print ``html_file`` to ``out`` (A4, as its print stylesheet says) with Chromium."""
    if not (chromium.is_file() or shutil.which(str(chromium))):
        raise UsageError(
            f"chromium={str(chromium)!r} not found; expected Debian's Chromium "
            "(apt-get install chromium) or --chromium PATH"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="conformance-chromium-") as profile:
        command = [
            str(chromium),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            html_file.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PRINT_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise UsageError(
                f"chromium did not print {html_file} within {PRINT_TIMEOUT_S} s"
            ) from None
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"chromium could not print {html_file}: exit {done.returncode}: {last}")
    return out


def write_pdf(
    data: Mapping[str, Any],
    out: Path,
    lang: str = DEFAULT_LANG,
    chromium: Path = CHROMIUM,
    certificate: Mapping[str, Any] | None = None,
) -> Path:
    """Render the report of ``data`` for paper in ``lang`` and print it to ``out``."""
    with tempfile.TemporaryDirectory(prefix="conformance-print-") as folder:
        page = Path(folder) / "report.html"
        page.write_text(printable(data, lang, certificate), encoding="utf-8")
        return print_pdf(page, out, chromium)
