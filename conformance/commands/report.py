"""``conformance report RUN [--pdf] [--lang LANG]``: a run's report, again or on paper.

Without ``--pdf`` it writes the run's report.html again (report.reviewed.html for a reviewed
run) from its results, e.g. after installing a CJK font for the embedded subset.  With
``--pdf`` it prints the report on A4 through Debian's Chromium: report.pdf (or
report.reviewed.pdf) beside the results, in ``--lang`` (zh-CN by default).  Exit code 0, or
2 on bad input (a missing run, malformed results, no Chromium).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from conformance.errors import UsageError
from conformance.i18n import DEFAULT_LANG, LANGS


def cmd_report(args: argparse.Namespace) -> int:
    from conformance.reporting.html import write_html
    from conformance.reporting.pdf import CHROMIUM, write_pdf
    from conformance.review import REVIEWED_NAME, load_run

    path, data = load_run(Path(args.run), prefer_reviewed=True)
    reviewed = path.name == REVIEWED_NAME
    stem = "report.reviewed" if reviewed else "report"
    if args.pdf:
        out = Path(args.out) if args.out else path.parent / f"{stem}.pdf"
        chromium = Path(args.chromium) if args.chromium else CHROMIUM
        write_pdf(data, out, args.lang, chromium, _signed(path.parent))
    else:
        out = write_html(path.parent, data, f"{stem}.html", args.lang)
        if args.out:
            target = Path(args.out)
            target.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
            out = target
    print(out)
    return 0


def _signed(folder: Path) -> dict[str, Any] | None:
    """The run's signed certificate or failure record, when certify wrote one beside it."""
    for name in ("certificate.json", "failure-record.json"):
        path = folder / name
        if path.is_file() and path.stat().st_size < 4_000_000:
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise UsageError(f"{path}: not a signed document: {exc}") from None
            if isinstance(document, dict) and isinstance(document.get("payload"), dict):
                return document
    return None


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    p = sub.add_parser(
        "report", help="write a run's report.html again, or print it to an A4 PDF (--pdf)"
    )
    p.add_argument(
        "run",
        metavar="RUN",
        help="a run folder (its results.reviewed.json if present, else results.json) or a "
        "results file",
    )
    p.add_argument("--pdf", action="store_true", help="print to PDF (A4) with Chromium")
    p.add_argument(
        "--lang",
        choices=LANGS,
        default=DEFAULT_LANG,
        help="language of the PDF, or the one report.html opens in (default: zh-CN)",
    )
    p.add_argument("--out", metavar="FILE", help="write here instead of beside the results")
    p.add_argument(
        "--chromium", metavar="PATH", help="the Chromium to print with (default /usr/bin/chromium)"
    )
    p.set_defaults(func=cmd_report)
