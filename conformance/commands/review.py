"""``conformance review RUN --waivers FILE --attestations FILE``: a reviewer's decisions.

Writes results.reviewed.json and report.reviewed.html beside the run's results.json (which
is never changed).  Exit code: 0 when the reviewed verdict is pass, 1 when not, 2 on bad
input.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from conformance.errors import UsageError


def _say(text: str) -> None:
    """A line for the terminal: control and bidirectional characters escaped, secrets
    redacted (issue 15)."""
    from conformance.reporting.terminal import terminal_text

    print(terminal_text(text))


def cmd_review(args: argparse.Namespace) -> int:
    from conformance.review import iter_waiver_lines, review_run

    if args.waivers is None and args.attestations is None:
        raise UsageError("give --waivers FILE and/or --attestations FILE")
    as_of = None
    if args.as_of is not None:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise UsageError(f"--as-of {args.as_of!r}; expected YYYY-MM-DD") from None
    outcome = review_run(
        Path(args.run),
        waivers=Path(args.waivers) if args.waivers else None,
        attestations=Path(args.attestations) if args.attestations else None,
        as_of=as_of,
    )
    data = outcome.data
    ref = data["standard"]["ref"]
    _say(f"review of run {data['run_id']} ({ref}) as of {data['review']['as_of']}")
    for line in iter_waiver_lines(data):
        _say(f"  {line}")
    for reason in data["reasons"]:
        _say(f"  - {reason}")
    for warning in data["warnings"]:
        _say(f"  - warning: {warning}")
    verdict = "CONFORMS" if data["verdict"] == "pass" else "DOES NOT CONFORM"
    _say(f"reviewed verdict: {verdict}")
    _say(f"reports: {outcome.results}  {outcome.report}")
    return 0 if data["verdict"] == "pass" else 1


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    p = sub.add_parser("review", help="apply a reviewer's waivers and attestations to a run")
    p.add_argument("run", metavar="RUN", help="a run folder or its results.json")
    p.add_argument("--waivers", metavar="FILE", help="waivers.yaml (schema waivers.schema.json)")
    p.add_argument(
        "--attestations",
        metavar="FILE",
        help="attestations.yaml (schema attestations.schema.json)",
    )
    p.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="judge waiver expiry on this day (default: today)"
    )
    p.set_defaults(func=cmd_review)
