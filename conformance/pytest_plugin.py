"""The pytest front door: ``pytest --standard ID@VERSION --candidate candidate.yaml``.

Registered under the ``pytest11`` entry point and inert unless ``--standard`` or
``--candidate`` is given; then it replaces collection with one test item per operation
and per export of the standard.  ``conformance run`` drives this same plugin.
Exit status follows the verdict: 0 conforms, 1 does not, 3 candidate unreachable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

from conformance import options
from conformance.engine.prepare import RunOptions, prepare
from conformance.engine.run import Run, Task
from conformance.engine.verdict import Verdict, decide
from conformance.errors import ConformanceError
from conformance.reporting import REPORTERS
from conformance.reporting.results_json import build_results, write_results
from conformance.results import CheckResult, Outcome

# Options are defined once, in conformance.options.
OPT_STANDARD = "--standard"
OPT_CANDIDATE = "--candidate"

EXIT_CONFORMS = 0
EXIT_DOES_NOT_CONFORM = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

RUN_KEY = pytest.StashKey[Run]()
RUNNER_KEY = pytest.StashKey[Any]()  # issue 16: the runner's signing key (or None)
ATTESTED_KEY = pytest.StashKey[str]()  # issue 16: the attestation line for the terminal
SHARD_KEY = pytest.StashKey[tuple[int, int]]()
OUTCOME_KEY = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "conformance to an e-government standard")
    options.add_arguments(group.addoption)


def _active(config: pytest.Config) -> bool:
    return bool(
        config.getoption("conformance_standard") or config.getoption("conformance_candidate")
    )


def options_from(config: pytest.Config) -> RunOptions:
    parsed = options.values(config.getoption)
    if not parsed["candidate"]:
        _usage_error(f"{OPT_CANDIDATE} is required with {OPT_STANDARD}")
    result: RunOptions = options.run_options(parsed)
    return result


def _usage_error(message: str) -> NoReturn:
    """End the session with ``conformance run``'s exit code for bad input (pytest's own
    usage errors exit 4)."""
    pytest.exit(message, returncode=EXIT_USAGE)


def pytest_configure(config: pytest.Config) -> None:
    if not _active(config):
        return
    try:
        run_config = prepare(options_from(config))
        config.stash[RUN_KEY] = run = Run(run_config)
        # issue 16: read the runner key now, so a bad key stops the run before it starts
        from conformance.certificates.attest import load_runner_key

        config.stash[RUNNER_KEY] = load_runner_key(config.getoption("conformance_runner_key"))
    except ConformanceError as exc:
        _usage_error(str(exc))
    run.export_jobs = int(config.getoption("conformance_jobs", 1) or 1)
    run.export_progress = _progress_factory(config)
    shard = config.getoption("conformance_shard", None)
    if shard:
        index, count = (int(part) for part in str(shard).split("/"))
        config.stash[SHARD_KEY] = (index, count)


def _progress_factory(config: pytest.Config) -> Any:
    """Progress of export files on the terminal, past output capture (none when not a tty)."""
    from conformance.exports.progress import terminal_progress

    capture = config.pluginmanager.getplugin("capturemanager")
    return lambda name: terminal_progress(name, capture)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """On an interactive terminal, a progress bar per phase (operations, exports)."""
    run = session.config.stash.get(RUN_KEY, None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if run is None or reporter is None or not sys.stdout.isatty():
        return
    from conformance.reporting.terminal import PhaseProgress

    targets = [task.target for task in run.tasks()]
    run.listeners.append(PhaseProgress(targets, reporter.write, tty=True))


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    return [
        f"conformance: seed={run.config.seed} run_id={run.config.run_id}",
        f"conformance: standard={run.standard.ref} digest={run.standard.digest}",
        f"conformance: candidate={run.candidate.system} {run.candidate.version} "
        f"({run.base_url or 'no base_url'})",
    ]


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
        if run.config.workers > 1 and self.task.kind == "api" and not run.prefetched:
            run.prefetched = True
            run.prefetch(run.tasks(), run.config.workers)
        results = run.execute(self.task)
        bad = [r for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
        if bad:
            raise ConformanceFailed(bad)
        if results and all(r.outcome is Outcome.SKIP for r in results):
            pytest.skip(results[0].message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailed):
            lines = []
            for result in excinfo.value.results:
                lines.append(
                    f"{result.outcome.value.upper()} {result.clause} {result.check}: "
                    f"{result.message}"
                )
                for failure in result.failures[:5]:
                    lines.append(f"    [x{failure.count}] {failure.title}: {failure.message}")
                    curl = failure.evidence.get("curl")
                    if curl:
                        lines.append(f"      reproduce: {curl}")
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        run = self.config.stash[RUN_KEY]
        return run.standard.manifest_path, None, self.task.target


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
    run.preflight()
    suite = ConformanceSuite.from_parent(session, name=run.standard.ref)
    items = suite.collect()
    shard = session.config.stash.get(SHARD_KEY, None)
    if shard is not None:  # --shard I/N: the tasks whose index % N == I - 1
        items = [item for number, item in enumerate(items) if number % shard[1] == shard[0] - 1]
    hook = session.config.hook
    collected: list[pytest.Item | pytest.Collector] = list(items)
    hook.pytest_collectreport(report=pytest.CollectReport(suite.nodeid, "passed", None, collected))
    hook.pytest_collection_modifyitems(session=session, config=session.config, items=items)
    session.items = items
    session.testscollected = len(items)
    hook.pytest_collection_finish(session=session)
    return True


def finish_run(run: Run) -> tuple[Verdict, int, dict[str, Any]]:
    verdict = decide(run.standard, run.results)
    if run.unreachable:
        code = EXIT_UNREACHABLE
    elif verdict.verdict == "pass":
        code = EXIT_CONFORMS
    else:
        code = EXIT_DOES_NOT_CONFORM
    data = build_results(run, verdict, code)
    run_dir = run.config.reports_dir / run.config.run_id
    write_results(run_dir, data)
    for reporter in REPORTERS:
        reporter(run_dir, data)
    return verdict, code, data


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR):
        return
    shard = session.config.stash.get(SHARD_KEY, None)
    if shard is not None:
        from conformance.commands.merge import finish_shard

        code, data = finish_shard(run, shard)
    else:
        _, code, data = finish_run(run)
    # issue 16: the runner signs an attestation over every file the run (or shard) wrote
    from conformance.certificates.attest import attest_finished_run

    run_dir = run.config.reports_dir / run.config.run_id
    key = session.config.stash.get(RUNNER_KEY, None)
    session.config.stash[ATTESTED_KEY] = attest_finished_run(run_dir, data, key)
    session.config.stash[OUTCOME_KEY] = data
    session.exitstatus = code


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    data = config.stash.get(OUTCOME_KEY, None)
    if data is None:
        return
    run = config.stash[RUN_KEY]
    run_dir = run.config.reports_dir / run.config.run_id
    tr = terminalreporter
    tr.section("conformance")
    from conformance.reporting.terminal import summary

    # the summary's words follow --lang (zh-CN by default)
    lang = config.getoption("conformance_lang", None) or "zh-CN"
    for line, markup in summary(data, run_dir, lang):
        tr.write_line(line, **markup)
    attested = config.stash.get(ATTESTED_KEY, None)  # issue 16
    if attested is not None:
        tr.write_line(attested, yellow=attested.startswith("attestation: none"))
