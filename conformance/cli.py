"""The ``conformance`` command line.

Exit codes (:class:`conformance.errors.ExitCode`): 0 conforms (or: nothing wrong), 1 does
not conform (or: lint found problems), 2 usage or configuration error, 3 candidate
unreachable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from conformance._version import __version__
from conformance.errors import ConformanceError, ExitCode

EXIT_OK = ExitCode.OK
EXIT_FAIL = ExitCode.FAILED
EXIT_USAGE = ExitCode.USAGE


def _standards_dirs(args: argparse.Namespace) -> list[Any] | None:
    # --standards folders or bundles (verified with --trust): see conformance.bundles
    from conformance.bundles import resolve_standards

    return resolve_standards(args.standards_dir, getattr(args, "trust", []))


def cmd_standards_list(args: argparse.Namespace) -> int:
    from conformance.commands.standards_bundle import print_standards_list

    return print_standards_list(_standards_dirs(args))


def cmd_standards_show(args: argparse.Namespace) -> int:
    from conformance.standards.loader import StandardsRepository
    from conformance.standards.operations import load_operations
    from conformance.validation import schema_set

    standard = StandardsRepository(_standards_dirs(args)).load(args.ref)
    print(f"{standard.ref}  [{standard.status.value}]")
    print(f"  {standard.title.zh}")
    print(f"  {standard.title.en}")
    print(f"  digest:  {standard.digest}")
    print(f"  folder:  {standard.manifest_path.parent}")  # a profile's own, not its effective one
    dates = ", ".join(f"{k} {v}" for k, v in standard.dates.items())
    print(f"  dates:   {dates}")
    if standard.extends:
        print(f"  extends: {standard.extends}")
    print(f"  clauses ({len(standard.clauses)}):")
    for clause in standard.clauses:
        print(
            f"    {clause.id:<14} {clause.level.value:<6} "
            f"{clause.verification.value:<9} {clause.text.en}"
        )
    if standard.openapi_path is not None:
        operations = load_operations(schema_set(standard.folder), standard.openapi_path)
        print(f"  operations ({len(operations)}):")
        for op in operations:
            print(f"    {op.target:<40} {op.operation_id:<20} {', '.join(op.all_clauses())}")
    if standard.exports:
        print(f"  exports ({len(standard.exports)}):")
        for export in standard.exports:
            print(
                f"    {export.name:<20} {export.format:<5} {export.schema_path.name:<28} "
                f"{', '.join(export.clauses)}"
            )
    return EXIT_OK


def cmd_standards_lint(args: argparse.Namespace) -> int:
    from conformance.lint import lint_paths, lint_summary

    issues, linted = lint_paths([Path(p) for p in args.paths], _standards_dirs(args))
    for issue in issues:
        print(issue.format())
    print(lint_summary(issues, linted))
    errors = sum(1 for i in issues if i.severity == "error")
    return EXIT_FAIL if errors else EXIT_OK


def cmd_checks_list(args: argparse.Namespace) -> int:
    from conformance.checks import all_checks

    served: dict[str, list[str]] = {}
    if args.standard:
        from conformance.standards.loader import StandardsRepository

        standard = StandardsRepository(_standards_dirs(args)).load(args.standard)
        for check in all_checks():
            served[check.id] = [c.id for c in standard.clauses if c.checks and check.id in c.checks]
    for check in all_checks():
        print(f"{check.id:<26} {check.kind:<8} {check.severity:<8} {check.title}")
        print(f"{'':<44}{check.doc}")
        if args.standard:
            clauses = ", ".join(served[check.id]) or "(no clause of this standard)"
            print(f"{'':<44}clauses in {args.standard}: {clauses}")
    return EXIT_OK


def cmd_formats_list(args: argparse.Namespace) -> int:
    from conformance.formats import FORMATS

    for name, fmt in FORMATS.items():
        print(f"{name:<18} {fmt.doc}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from conformance import options
    from conformance.session import run_and_report

    parsed = options.values(lambda dest: getattr(args, dest))
    return int(run_and_report(options.run_options(parsed)))


def cmd_demo(args: argparse.Namespace) -> int:
    from conformance.demo import run_demo

    return run_demo(Path(args.reports_dir), seed=args.seed, max_examples=args.max_examples)


def _add_standards_dir(parser: argparse.ArgumentParser) -> None:
    from conformance.commands.standards_bundle import add_standards_options

    add_standards_options(parser)


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line told in one line (exit 2).

    waits (issue 15 item 8): argparse prints the whole usage first, many lines for
    ``conformance run``; ``--help`` still shows it.  Subcommands' parsers are of this class too.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(int(ExitCode.USAGE), f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="conformance",
        description="Conformance to provincial e-government interoperability standards.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    standards = sub.add_parser("standards", help="list, show and lint standards")
    ssub = standards.add_subparsers(dest="standards_command", required=True, metavar="ACTION")
    p = ssub.add_parser("list", help="list the standard versions found")
    _add_standards_dir(p)
    p.set_defaults(func=cmd_standards_list)
    p = ssub.add_parser("show", help="show one standard version, with its content digest")
    p.add_argument("ref", metavar="ID@VERSION")
    _add_standards_dir(p)
    p.set_defaults(func=cmd_standards_show)
    p = ssub.add_parser("lint", help="check standard version folders (default: all found)")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a version folder, a standard.yaml, or a folder of standards",
    )
    _add_standards_dir(p)
    p.set_defaults(func=cmd_standards_lint)

    checks = sub.add_parser("checks", help="the catalogue of checks")
    csub = checks.add_subparsers(dest="checks_command", required=True, metavar="ACTION")
    p = csub.add_parser("list", help="list every check (with --standard: the clauses it serves)")
    p.add_argument("--standard", metavar="ID@VERSION", help="show which clauses use each check")
    _add_standards_dir(p)
    p.set_defaults(func=cmd_checks_list)

    formats = sub.add_parser("formats", help="the string formats standards may use")
    fsub = formats.add_subparsers(dest="formats_command", required=True, metavar="ACTION")
    fsub.add_parser("list", help="list every format").set_defaults(func=cmd_formats_list)

    run = sub.add_parser("run", help="test a candidate against a standard")
    from conformance import options

    options.add_arguments(run.add_argument)
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="run the suite against the bundled reference candidate")
    demo.add_argument("--reports-dir", default="reports", metavar="DIR")
    demo.add_argument("--seed", type=int)
    demo.add_argument("--max-examples", type=options._count, default=20, metavar="N")
    demo.set_defaults(func=cmd_demo)

    from conformance.commands import register_all

    register_all(sub, ssub)
    return parser


def _say_error(text: str) -> None:
    """An error as the terminal may show it: secrets redacted, controls escaped (issue 15)."""
    from conformance.controls import visible
    from conformance.redaction import redact

    print(visible(redact(text), lines=True), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # run as the program (not called with arguments, as tests do)
        from conformance._process import single_threaded_blas

        single_threaded_blas()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConformanceError as exc:
        _say_error(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:
        # A bug of the suite: its traceback (never local variables), with secrets redacted.
        import traceback

        _say_error(traceback.format_exc().rstrip("\n"))
        return 1
