"""What both front doors do around the engine: prepare a run, and write what it found.

``conformance run`` and ``pytest --standard`` each turn their own options into
:class:`RunOptions`, then:

1. :func:`prepare` checks every input and loads what the run needs, once: the candidate
   profile, the standard (loaded once, linted once with what was loaded, its operations read
   once), the CA bundle, the secret's variable.  Bad input raises a
   :class:`~conformance.errors.ConformanceError` (exit code 2) before anything is sent.
   The result is the engine's :class:`~conformance.engine.config.RunConfig`.
2. The engine runs (:class:`~conformance.engine.run.Run`) and returns a typed
   :class:`~conformance.engine.outcome.RunOutcome`.
3. :func:`write_reports` writes results.json (the outcome, serialised), then every reporter
   of :data:`conformance.reporting.REPORTERS` from it, into ``<reports-dir>/<run-id>/``,
   then signs the run attestation over those files with the runner's key (issue 16;
   :func:`runner_key` reads it before the run starts, so a bad key stops it first).
   This is the one place a run ends, for both front doors.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.candidate import Candidate, load_candidate, refuse_base_url_credentials
from conformance.certificates.attest import attest_finished_run, load_runner_key
from conformance.engine.config import RunConfig, Shard, new_run_id, new_seed
from conformance.engine.http import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT_S, Limits
from conformance.engine.outcome import RunOutcome
from conformance.engine.run import Run
from conformance.errors import (
    CandidateError,
    ConformanceError,
    ExitCode,
    Location,
    StandardError,
    UsageError,
)
from conformance.lint import lint_standard
from conformance.redaction import base_url_credentials
from conformance.reporting import REPORTERS
from conformance.reporting.results_json import build_results, write_results
from conformance.reporting.terminal import RunDisplay
from conformance.standards._documents import join_pointer
from conformance.standards.loader import StandardsRepository, StandardsSource
from conformance.standards.model import Standard
from conformance.standards.operations import Operation, load_operations
from conformance.standards.versioning import check_certifiable
from conformance.validation import SchemaSet

__all__ = ["Reports", "RunOptions", "prepare", "run_and_report", "runner_key", "write_reports"]


@dataclass(frozen=True)
class RunOptions:
    """A run's options as the user gave them (both front doors parse into this)."""

    standard: str | None
    candidate: Path
    seed: int | None = None
    run_id: str | None = None
    reports_dir: Path = Path("reports")
    max_examples: int = 20
    base_url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_body: int = DEFAULT_MAX_BODY
    standards_dirs: Sequence[Path | StandardsSource] = ()  # a bundle arrives unpacked (bundles)
    max_errors_per_type: int = 100
    max_duration_s: float | None = None
    rate_limit: float | None = None
    workers: int = 1
    jobs: int = 1  # processes for export files
    exact_only: bool = False  # export records: the exact checker alone (exports/_paths.py)
    shard: str | None = None  # "I/N"
    force: bool = False  # certify against a draft or retired version anyway
    ca_bundle: Path | None = None  # CAs trusted for https (else the candidate's, else certifi's)
    lang: str = "zh-CN"  # the terminal summary's language and the report's first language
    runner_key: str | None = None  # the runner's signing key file (issue 16); not the engine's


def _refuse_if_lint_errors(
    standard: Standard, schemas: SchemaSet, operations: Sequence[Operation] | None
) -> None:
    """A run against a broken standard would report the standard's faults as the candidate's."""
    folder = standard.folder
    errors = [i for i in lint_standard(standard, schemas, operations) if i.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run: conformance standards lint {folder})"
        raise StandardError(
            f"the standard does not pass lint: {first.message} [{first.rule}]"
            + (more if len(errors) > 1 else ""),
            first.location,
        )


def _ca_bundle(options: RunOptions, candidate: Candidate) -> str | None:
    """The CA bundle to trust, checked now: a file that is missing or holds no CA is bad input."""
    error: type[ConformanceError] = UsageError
    where: Location | None = None
    if options.ca_bundle is not None:
        path = options.ca_bundle
    elif candidate.ca_bundle is not None:
        path, error = candidate.ca_bundle, CandidateError
        where = Location(candidate.path, None, "/ca_bundle")
    else:
        return None
    if not path.is_file():
        raise error(
            f"ca_bundle={path}: no such file; expected a PEM file of CA certificates",
            where,
        )
    try:
        ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise error(
            f"ca_bundle={path}: cannot be read as PEM CA certificates ({exc})", where
        ) from None
    return str(path.resolve())


def _operations(standard: Standard, schemas: SchemaSet) -> list[Operation] | None:
    """The standard's operations, or None when they cannot be read (lint then says why)."""
    if standard.openapi_path is None:
        return []
    try:
        return load_operations(schemas, standard.openapi_path)
    except StandardError:
        return None


def refuse_base_url_secrets(base_url: str | None) -> None:
    """--base-url with user info is refused before anything can show it (issue 15 item 2)."""
    if base_url and base_url_credentials(base_url):
        raise UsageError(refuse_base_url_credentials("--base-url"))


def prepare(options: RunOptions) -> RunConfig:
    """Load and cross-check everything, once; raise a ConformanceError on bad input."""
    from conformance.options import check_run_options

    refuse_base_url_secrets(options.base_url)
    check_run_options(options)  # waits (issue 15 item 8): one line, exit 2, nothing written
    if not options.candidate.exists():
        raise CandidateError(f"candidate profile not found: {options.candidate}")
    candidate = load_candidate(options.candidate)
    ref = options.standard
    if ref is None:
        if len(candidate.claims) != 1:
            claimed = ", ".join(c.standard for c in candidate.claims)
            raise UsageError(f"--standard is required: the candidate claims several: {claimed}")
        ref = candidate.claims[0].standard
    repository = StandardsRepository(list(options.standards_dirs) or None)
    standard = repository.load(ref)
    schemas = SchemaSet(standard.folder)
    operations = _operations(standard, schemas)
    _refuse_if_lint_errors(standard, schemas, operations)
    if operations is None:  # lint passed, so they load; read them the usual way to say why not
        assert standard.openapi_path is not None
        operations = load_operations(schemas, standard.openapi_path)
    check_certifiable(standard, force=options.force)  # draft or retired: refused unless forced
    claim = candidate.claim(standard.ref)
    at = f"/claims/{candidate.claims.index(claim)}"  # the claim's place in the profile
    unknown = sorted(claim.implements - standard.clause_ids)
    if unknown:
        raise CandidateError(
            f"implements names clauses not in {standard.ref}: {', '.join(unknown)}",
            candidate.location(f"{at}/implements"),
        )
    unknown_exports = sorted(set(claim.exports) - {e.name for e in standard.exports})
    if unknown_exports:
        known = ", ".join(e.name for e in standard.exports) or "(none)"
        raise CandidateError(
            f"exports names {', '.join(unknown_exports)}, not exports of {standard.ref}; "
            f"expected one of: {known}",
            candidate.location(join_pointer(f"{at}/exports", unknown_exports[0])),
        )
    if candidate.auth is not None and standard.openapi_path is not None:
        candidate.auth.secret()  # fail now, clearly, when the variable is not set
    if options.workers < 1:
        raise UsageError(f"workers={options.workers}, expected 1 or more")
    if options.jobs < 1:
        raise UsageError(f"jobs={options.jobs}, expected 1 or more")
    if options.max_examples < 0:
        raise UsageError(f"max_examples={options.max_examples}, expected 0 or more")
    if options.timeout_s <= 0:
        raise UsageError(f"timeout={options.timeout_s}, expected a positive number of seconds")
    ca_bundle = _ca_bundle(options, candidate)
    return RunConfig(
        standard=standard,
        candidate=candidate,
        schemas=schemas,
        operations=tuple(operations),
        seed=new_seed() if options.seed is None else options.seed,
        run_id=options.run_id or new_run_id(),
        reports_dir=options.reports_dir,
        max_examples=options.max_examples,
        limits=Limits(
            timeout_s=options.timeout_s,
            max_body=options.max_body,
            rate_limit=options.rate_limit,
            ca_bundle=ca_bundle,
        ),
        base_url=options.base_url.rstrip("/") if options.base_url else None,
        max_errors_per_type=options.max_errors_per_type,
        max_duration_s=options.max_duration_s,
        workers=options.workers,
        jobs=options.jobs,
        exact_only=options.exact_only,
        shard=Shard.parse(options.shard) if options.shard else None,
    )


def runner_key(options: RunOptions) -> Ed25519PrivateKey | None:
    """The runner's signing key (``--runner-key``, else CONFORMANCE_RUNNER_KEY), read before
    the run starts: a bad key is bad input (exit 2), never echoed."""
    return load_runner_key(options.runner_key)


@dataclass(frozen=True)
class Reports:
    """What :func:`write_reports` wrote: the run folder and results.json's dictionary."""

    run_dir: Path
    data: dict[str, Any]
    files: tuple[Path, ...]
    attestation: str  # the line to show: where the attestation is, or why there is none


def write_reports(outcome: RunOutcome, key: Ed25519PrivateKey | None = None) -> Reports:
    """results.json from the outcome, then every reporter from results.json's dictionary,
    then the run attestation over them (with ``key``; without one, the line says so)."""
    data = build_results(outcome)
    run_dir = outcome.config.run_dir
    files = [write_results(run_dir, data)]
    files += [reporter(run_dir, data) for reporter in REPORTERS]
    attestation = attest_finished_run(run_dir, data, key)
    return Reports(run_dir, data, tuple(files), attestation)


def run_and_report(options: RunOptions, *, quiet: bool = False) -> ExitCode:
    """``conformance run``: prepare once, run the engine with the terminal display, write the
    reports, print the summary; the run's exit code.  ``quiet``: no progress lines."""
    config = prepare(options)  # bad input stops here, with exit code 2
    key = runner_key(options)  # issue 16: a bad key stops the run before it starts
    print(
        f"conformance: seed={config.seed} run_id={config.run_id} "
        f"standard={config.standard.ref} (replay with --seed {config.seed})",
        flush=True,
    )
    display = RunDisplay(quiet=quiet, lang=options.lang)
    outcome = Run(config, [display]).run()
    reports = write_reports(outcome, key)
    display.summary(reports.data, reports.run_dir)
    print(reports.attestation, flush=True)
    return outcome.exit_code
