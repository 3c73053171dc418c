"""The pytest front door: ``pytest --standard ID@VERSION --candidate candidate.yaml``.

Registered under the ``pytest11`` entry point and inert unless ``--standard`` or
``--candidate`` is given; then it replaces collection with one test item per task of the
run (an operation, an export).  Like ``conformance run``, it turns its own options into
:class:`~conformance.session.RunOptions`, prepares the run once
(:func:`conformance.session.prepare`) and hands the configuration to the engine; each item
runs its task (:meth:`conformance.engine.run.Run.execute`), and the session's end finishes
the run and writes the reports (:func:`conformance.session.write_reports`).

An item fails when one of its results fails or errs on a clause the verdict counts (MUST);
a SHOULD or MAY result that fails is reported as an expected failure (``xfailed``, with why)
since it does not decide conformance.  The exit status is the run's
(:class:`conformance.errors.ExitCode`): 0 conforms, 1 does not, 2 bad input, 3 candidate
unreachable; it is never 0 when pytest saw an item fail.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

from conformance import options
from conformance.engine.events import Event
from conformance.engine.outcome import RunOutcome
from conformance.engine.run import Run, Task
from conformance.errors import ConformanceError, ExitCode
from conformance.i18n import DEFAULT_LANG
from conformance.reporting.terminal import (
    ExportProgress,
    PhaseProgress,
    cause_lines,
    summary_lines,
    terminal_text,
)
from conformance.results import CheckResult, Outcome
from conformance.session import Reports, RunOptions, prepare, runner_key, write_reports
from conformance.standards.model import Level

# Options are defined once, in conformance.options.
OPT_STANDARD = "--standard"
OPT_CANDIDATE = "--candidate"

RUN_KEY = pytest.StashKey[Run]()
RUNNER_KEY = pytest.StashKey[Any]()  # issue 16: the runner's signing key (or None)
OUTCOME_KEY = pytest.StashKey[tuple[RunOutcome, Reports]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "conformance to an e-government standard")
    options.add_arguments(group.addoption, deferred=True)  # bad values: exit 2


def _active(config: pytest.Config) -> bool:
    return bool(
        config.getoption("conformance_standard") or config.getoption("conformance_candidate")
    )


def options_from(config: pytest.Config) -> RunOptions:
    parsed = options.values(config.getoption)
    if not parsed["candidate"]:
        _usage_error(f"{OPT_CANDIDATE} is required with {OPT_STANDARD}")
    return options.run_options(parsed)


def _usage_error(message: str) -> NoReturn:
    """End the session with ``conformance run``'s exit code for bad input (pytest's own
    usage errors exit 4)."""
    pytest.exit(terminal_text(message), returncode=int(ExitCode.USAGE))


class _Listeners:
    """The engine's events, forwarded to the displays this session has (set at start)."""

    def __init__(self) -> None:
        self.displays: list[Any] = []

    def __call__(self, event: Event) -> None:
        for display in self.displays:
            display(event)


LISTENERS_KEY = pytest.StashKey[_Listeners]()


def pytest_configure(config: pytest.Config) -> None:
    if not _active(config):
        return
    # A traceback's local variables hold requests and their headers, so the secret: a run
    # never shows them, whatever --showlocals (-l) says (issue 15 item 2).
    config.option.showlocals = False
    listeners = _Listeners()
    try:
        run_options = options_from(config)
        run_config = prepare(run_options)
        config.stash[RUNNER_KEY] = runner_key(run_options)  # a bad key stops the run first
        config.stash[RUN_KEY] = Run(run_config, [listeners])
    except ConformanceError as exc:
        _usage_error(str(exc))
    config.stash[LISTENERS_KEY] = listeners
    capture = config.pluginmanager.getplugin("capturemanager")
    listeners.displays.append(ExportProgress(capture))  # past output capture (stderr)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """On an interactive terminal, a progress bar per phase (operations, exports)."""
    run = session.config.stash.get(RUN_KEY, None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if run is None or reporter is None or not sys.stdout.isatty():
        return
    targets = [task.target for task in run.tasks()]
    session.config.stash[LISTENERS_KEY].displays.append(
        PhaseProgress(targets, reporter.write, tty=True)
    )


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    c = run.config
    lines = [
        f"conformance: seed={c.seed} run_id={c.run_id}",
        f"conformance: standard={c.standard.ref} digest={c.standard.digest}",
        f"conformance: candidate={c.candidate.system} {c.candidate.version} "
        f"({c.target_url or 'no base_url'})",
    ]
    return [terminal_text(line) for line in lines]


class ConformanceFailed(Exception):
    def __init__(self, results: list[CheckResult]) -> None:
        self.results = results
        super().__init__(f"{len(results)} result(s) failed")


class ConformanceItem(pytest.Item):
    def __init__(self, *, task: Task, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task = task

    def runtest(self) -> None:
        run = self.config.stash[RUN_KEY]
        if run.config.workers > 1 and self.task.kind == "api":
            run.probe_ahead()  # once: the other api tasks are then done already
        results = run.execute(self.task)
        bad = [r for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
        standard = run.config.standard
        blocking = [r for r in bad if standard.clause(r.clause).level is Level.MUST]
        if blocking:
            raise ConformanceFailed(bad)
        if bad:
            levels = sorted({standard.clause(r.clause).level.value for r in bad})
            pytest.xfail(
                terminal_text(
                    f"{len(bad)} {'/'.join(levels)} result(s) failed (a warning: the verdict "
                    f"counts MUST clauses): {bad[0].clause} {bad[0].check}: {bad[0].message}"
                )
            )
        if results and all(r.outcome is Outcome.SKIP for r in results):
            pytest.skip(terminal_text(results[0].message))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailed):
            run = self.config.stash[RUN_KEY]
            unreachable = run.unreachable
            said = [f"candidate unreachable: {unreachable}"] if unreachable else []
            lines = [
                line
                for line, _ in cause_lines([r.as_dict() for r in excinfo.value.results], said=said)
            ]
            if unreachable:
                lines.insert(0, terminal_text(f"candidate unreachable: {unreachable}"))
            return "\n".join(lines)
        # anything else (a bug of the suite): its traceback without local variables (they
        # are off for a run), secrets redacted, controls escaped
        self.config.option.showlocals = False
        text = str(super().repr_failure(excinfo, style=style))
        return "\n".join(terminal_text(line) for line in text.split("\n"))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        run = self.config.stash[RUN_KEY]
        return run.config.standard.manifest_path, None, self.task.target


class ConformanceSuite(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        run = self.config.stash[RUN_KEY]
        return [
            ConformanceItem.from_parent(self, name=task.target, task=task) for task in run.tasks()
        ]


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> bool | None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    run.start()  # is the candidate reachable; RunStarted
    suite = ConformanceSuite.from_parent(session, name=run.config.standard.ref)
    items = suite.collect()
    hook = session.config.hook
    collected: list[pytest.Item | pytest.Collector] = list(items)
    hook.pytest_collectreport(report=pytest.CollectReport(suite.nodeid, "passed", None, collected))
    hook.pytest_collection_modifyitems(session=session, config=session.config, items=items)
    session.items = items
    session.testscollected = len(items)
    hook.pytest_collection_finish(session=session)
    return True


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR):
        return
    outcome = run.finish()  # tasks pytest did not run (-k, -x) are missing: not a pass
    reports = write_reports(outcome, session.config.stash.get(RUNNER_KEY, None))
    session.config.stash[OUTCOME_KEY] = (outcome, reports)
    code = outcome.exit_code
    if session.testsfailed and code == ExitCode.OK:
        code = ExitCode.FAILED  # pytest saw a failure the outcome does not show: never 0
    session.exitstatus = int(code)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    finished = config.stash.get(OUTCOME_KEY, None)
    if finished is None:
        return
    _, reports = finished
    terminalreporter.section("conformance")
    # the summary's words follow --lang (zh-CN by default)
    lang = config.getoption("conformance_lang", None) or DEFAULT_LANG
    for line, markup in summary_lines(reports.data, reports.run_dir, lang):
        terminalreporter.write_line(line, **markup)
    attested = reports.attestation  # issue 16
    terminalreporter.write_line(attested, yellow=attested.startswith("attestation: none"))
