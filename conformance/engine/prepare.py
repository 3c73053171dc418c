"""Turning user options into a ready :class:`RunConfig`; shared by both front doors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.candidate import Candidate, load_candidate
from conformance.engine.http import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT_S, Limits
from conformance.engine.run import RunConfig, new_run_id, new_seed
from conformance.errors import (
    CandidateError,
    ConformanceError,
    Location,
    StandardError,
    UsageError,
)
from conformance.standards.loader import StandardsRepository, StandardsSource


@dataclass(frozen=True)
class RunOptions:
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
    force: bool = False  # certify against a draft or retired version anyway
    ca_bundle: Path | None = None  # CAs trusted for https (else the candidate's, else certifi's)


def _refuse_if_lint_errors(folder: Path) -> None:
    """A run against a broken standard would report the standard's faults as the candidate's."""
    from conformance.lint import lint_folder

    errors = [i for i in lint_folder(folder) if i.severity == "error"]
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
    import ssl

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


def prepare(options: RunOptions) -> RunConfig:
    """Load and cross-check everything; raise a ConformanceError on bad input."""
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
    _refuse_if_lint_errors(standard.folder)
    from conformance.standards.versioning import check_certifiable

    check_certifiable(standard, force=options.force)  # draft or retired: refused unless forced
    claim = candidate.claim(standard.ref)
    unknown = sorted(claim.implements - standard.clause_ids)
    if unknown:
        raise CandidateError(
            f"implements names clauses not in {standard.ref}: {', '.join(unknown)}", None
        )
    unknown_exports = sorted(set(claim.exports) - {e.name for e in standard.exports})
    if unknown_exports:
        known = ", ".join(e.name for e in standard.exports) or "(none)"
        raise CandidateError(
            f"exports names {', '.join(unknown_exports)}, not exports of {standard.ref}; "
            f"expected one of: {known}"
        )
    if candidate.auth is not None and standard.openapi_path is not None:
        candidate.auth.secret()  # fail now, clearly, when the variable is not set
    if options.workers < 1:
        raise UsageError(f"workers={options.workers}, expected 1 or more")
    if options.max_examples < 0:
        raise UsageError(f"max_examples={options.max_examples}, expected 0 or more")
    if options.timeout_s <= 0:
        raise UsageError(f"timeout={options.timeout_s}, expected a positive number of seconds")
    ca_bundle = _ca_bundle(options, candidate)
    return RunConfig(
        standard=standard,
        candidate=candidate,
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
    )
