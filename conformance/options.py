"""Run options, defined once: the pytest plugin and ``conformance run`` both read this table.

Each front door declares them on its own parser (argparse, pytest's), reads the parsed
values back by :class:`~conformance.session.RunOptions` field name (:func:`values`) and
turns them into ``RunOptions`` (:func:`run_options`), which :func:`conformance.session.prepare`
checks and loads into the engine's configuration.  Nothing is parsed twice.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.engine.http import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT_S

if TYPE_CHECKING:
    from conformance.session import RunOptions


@dataclass(frozen=True)
class Option:
    flag: str
    name: str  # RunOptions field; the parsed attribute is "conformance_<name>"
    help: str
    type: Callable[[str], Any] | None = str
    default: Any = None
    metavar: str | None = None
    append: bool = False  # repeatable
    switch: bool = False  # a flag without a value
    aliases: tuple[str, ...] = ()  # other spellings of the flag

    @property
    def dest(self) -> str:
        return f"conformance_{self.name}"

    def kwargs(self, *, deferred: bool = False) -> dict[str, Any]:
        if self.switch:
            return {"dest": self.dest, "action": "store_true", "help": self.help}
        kwargs: dict[str, Any] = {"dest": self.dest, "help": self.help, "metavar": self.metavar}
        if self.append:
            kwargs.update(action="append", default=[])
        else:
            kind = self.type
            if deferred and kind not in (None, str):
                kind = _Deferred(self.flag, kind)
            kwargs.update(type=kind, default=self.default)
        return kwargs


@dataclass(frozen=True)
class BadValue:
    """A value its option refused, kept to be reported by :func:`values` (exit 2)."""

    flag: str
    message: str


@dataclass(frozen=True)
class _Deferred:
    """An option's type that keeps a refusal instead of raising it.

    waits (issue 15 item 8): pytest ends a session whose option argparse refused with its
    own exit status 4; the pytest door reports it as bad input (exit 2), one line, as
    ``conformance run`` does.
    """

    flag: str
    kind: Callable[[str], Any]

    def __call__(self, text: str) -> Any:
        try:
            return self.kind(text)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, argparse.ArgumentTypeError) else ""
            return BadValue(self.flag, reason or f"invalid value {text!r}")


# waits (issue 15 item 8): the largest --request-timeout; a longer one overflows the
# exchange's watchdog timer, and no candidate answer is worth an hour's wait
MAX_REQUEST_TIMEOUT_S = 3600.0


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    # waits (issue 15 item 8): nan compares false with everything, so `<= 0` let it through
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got {text!r}")
    return value


def _timeout(text: str) -> float:
    value = _positive_float(text)
    if value > MAX_REQUEST_TIMEOUT_S:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_REQUEST_TIMEOUT_S:g} seconds, got {text!r}"
        )
    return value


def _rate(text: str) -> float:
    value = _positive_float(text)
    if 1.0 / value > MAX_REQUEST_TIMEOUT_S:  # a wait between requests longer than an hour
        raise argparse.ArgumentTypeError(
            f"expected at least {1 / MAX_REQUEST_TIMEOUT_S:.6f} requests per second, got {text!r}"
        )
    return value


def _workers(text: str) -> int:
    value = _count(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"expected 1 to 64 threads, got {text}")
    return value


def _bytes(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more bytes, got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text}")
    return value


def _jobs(text: str) -> int:
    if text == "auto":  # the CPUs this process may run on, as pytest-xdist's -n auto
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return max(1, min(64, cpus or 1))
    value = _count(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"expected 1 to 64 processes, got {text}")
    return value


def _lang(text: str) -> str:
    from conformance.i18n import LANGS

    if text not in LANGS:
        raise argparse.ArgumentTypeError(f"expected one of: {', '.join(LANGS)}, got {text!r}")
    return text


def _shard(text: str) -> str:
    """``I/N`` with 1 <= I <= N, normalised (``02/4`` is ``2/4``)."""
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError(f"expected I/N with 1 <= I <= N, e.g. 2/4, got {text!r}")
    return f"{int(index)}/{int(count)}"


OPTIONS: list[Option] = [
    Option(
        "--standard",
        "standard",
        "standard version, e.g. gov.e-licence@1.1.0 (default: the candidate's only claim)",
        metavar="ID@VERSION",
    ),
    Option("--candidate", "candidate", "candidate profile (candidate.yaml)", metavar="PATH"),
    Option(
        "--seed",
        "seed",
        "generation seed; the same seed replays the same requests",
        type=int,
        metavar="N",
    ),
    Option("--run-id", "run_id", "run id (default: generated)", metavar="ID"),
    Option(
        "--reports-dir",
        "reports_dir",
        "folder for <run-id>/ reports (default: reports)",
        default="reports",
        metavar="DIR",
    ),
    Option(
        "--max-examples",
        "max_examples",
        "generated requests per operation and kind, valid and invalid (default: 20)",
        type=_count,
        default=20,
        metavar="N",
    ),
    Option("--base-url", "base_url", "override the candidate's base_url", metavar="URL"),
    Option(
        "--request-timeout",
        "timeout_s",
        "timeout per request in seconds (default: 10)",
        type=_timeout,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
    ),
    Option(
        "--max-response-bytes",
        "max_body",
        "cap on a response body (default: 10 MiB)",
        type=_bytes,
        default=DEFAULT_MAX_BODY,
        metavar="N",
    ),
    Option(
        "--ca-bundle",
        "ca_bundle",
        "PEM file of the CAs trusted for an https candidate, instead of the bundled ones "
        "(overrides ca_bundle in candidate.yaml); verification is never switched off",
        metavar="PATH",
    ),
    Option(
        "--max-duration",
        "max_duration_s",
        "time budget for the whole run in seconds; "
        "what is left when it runs out is reported as an error",
        type=_positive_float,
        metavar="S",
    ),
    Option(
        "--rate-limit",
        "rate_limit",
        "at most N requests per second",
        type=_rate,
        metavar="N",
    ),
    Option(
        "--workers",
        "workers",
        "operations probed in parallel (default: 1)",
        type=_workers,
        default=1,
        metavar="N",
    ),
    Option(
        "--max-errors-per-type",
        "max_errors_per_type",
        "export errors listed per error type; counts stay exact (default: 100)",
        type=_count,
        default=100,
        metavar="N",
    ),
    Option(
        "--jobs",
        "jobs",
        "processes for export files: files side by side, large JSON Lines files by byte "
        "ranges; auto = one per CPU (default: 1)",
        type=_jobs,
        default=1,
        metavar="N",
    ),
    Option(
        "--exact-only",
        "exact_only",
        "validate export records with the exact checker alone, no fast acceptor (as "
        "CONFORMANCE_EXACT_ONLY=1 does): slower; for tests and for debugging a suspected "
        "difference between the paths",
        switch=True,
    ),
    Option(
        "--shard",
        "shard",
        "run only slice I of N of the run's tasks (those whose index mod N is I - 1); write a "
        "partial results.json; combine the slices with: conformance merge",
        type=_shard,
        metavar="I/N",
    ),
    Option(  # folders or bundles: conformance.bundles (issue 13)
        "--standards",
        "standards_dirs",
        "a folder of standards or a standards bundle (repeatable; only these are searched)",
        metavar="PATH",
        append=True,
        aliases=("--standards-dir",),
    ),
    Option(
        "--trust",
        "standards_trust",
        "public key a signed standards bundle must be signed with (repeatable)",
        metavar="PUB",
        append=True,
    ),
    # issue 16 (evidence): the runner's signing key. Not a RunOptions field: only the end of
    # the run reads it (conformance.certificates.attest); its text is never stored or shown.
    Option(
        "--runner-key",
        "runner_key",
        "the runner's Ed25519 private key (PEM, made by `conformance keygen`): sign "
        "run-attestation.json over the run's files at its end (default: the PEM text in "
        "$CONFORMANCE_RUNNER_KEY); without either the run is not attested and cannot be certified",
        metavar="PATH",
    ),
    Option(
        "--lang",
        "lang",
        "language of the terminal summary: zh-CN (default) or en",
        type=_lang,
        default="zh-CN",
        metavar="LANG",
    ),
    Option(
        "--force",
        "force",
        "run against a draft or retired standard version anyway (the report says it was forced)",
        switch=True,
    ),
]


def add_arguments(
    add: Callable[..., Any], *, skip: Sequence[str] = (), deferred: bool = False
) -> None:
    """Declare every option through ``add`` (argparse's add_argument or pytest's addoption).

    ``deferred``: a value an option refuses is kept as a :class:`BadValue` that
    :func:`values` raises as a UsageError, instead of the parser ending the process.
    """
    for option in OPTIONS:
        if option.flag not in skip:
            add(option.flag, *option.aliases, **option.kwargs(deferred=deferred))


def values(get: Callable[[str], Any]) -> dict[str, Any]:
    """Parsed values by RunOptions field name; ``get(dest)`` reads one parsed attribute."""
    parsed = {option.name: get(option.dest) for option in OPTIONS}
    for value in parsed.values():
        if isinstance(value, BadValue):
            from conformance.errors import UsageError

            raise UsageError(f"argument {value.flag}: {value.message}")
    return parsed


def defaults() -> dict[str, Any]:
    """Every option's default value, by RunOptions field name."""
    return {o.name: ([] if o.append else False if o.switch else o.default) for o in OPTIONS}


def run_options(parsed: dict[str, Any]) -> RunOptions:
    """A RunOptions from values by field name."""
    from conformance.errors import UsageError
    from conformance.session import RunOptions

    if not parsed.get("candidate"):
        raise UsageError("--candidate is required: the candidate profile (candidate.yaml)")

    fields = {k: v for k, v in parsed.items() if k in RunOptions.__dataclass_fields__}
    fields["candidate"] = Path(fields["candidate"])
    fields["reports_dir"] = Path(fields["reports_dir"])
    if fields.get("ca_bundle"):
        fields["ca_bundle"] = Path(fields["ca_bundle"])
    from conformance.bundles import resolve_standards  # bundles verified, then unpacked

    given = parsed.get("standards_dirs") or []
    fields["standards_dirs"] = resolve_standards(given, parsed.get("standards_trust") or []) or []
    return RunOptions(**fields)


# -- waits (issue 15 item 8): what the parsers cannot see, checked on RunOptions ----------
# Both front doors, and library callers that build RunOptions themselves, go through
# session.prepare, which calls check_run_options first: a mistake is one line, exit 2,
# before anything is loaded or written.

# A run id names a folder inside the reports folder: no separator, no "..", no hidden name.
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_run_id(run_id: str, what: str = "--run-id") -> str:
    """``run_id`` when it names one folder inside the reports folder, else a UsageError."""
    from conformance.errors import UsageError

    if not _RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise UsageError(
            f"{what}={run_id!r}: expected 1 to 128 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit, without '..' (it names a folder inside the reports folder)"
        )
    return run_id


def check_reports_dir(path: Path, what: str = "--reports-dir") -> Path:
    """``path`` when it is, or can become, a folder: a UsageError when it, or the first of
    its parents that exists, is not a folder, or that folder is not writable."""
    from conformance.errors import UsageError

    existing = path
    for _ in range(256):  # bounded walk up to the first part that exists
        if existing.exists() or existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        named = "" if existing == path else f" (its part {str(existing)!r})"
        raise UsageError(f"{what}={str(path)!r}{named} is a file; expected a folder")
    if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{what}={str(path)!r}: {str(existing)!r} is not writable")
    return path


def check_base_url(url: str, what: str = "--base-url") -> str:
    """``url`` when it is an http or https URL with a host (and a valid port)."""
    from urllib.parse import urlsplit

    from conformance.errors import UsageError

    expected = "expected an http:// or https:// URL with a host, e.g. https://api.example.org"
    if not url.strip() or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise UsageError(f"{what}={url!r}: {expected}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port out of range or not a number)
    except ValueError:
        raise UsageError(f"{what}={url!r}: {expected}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what}={url!r}: {expected}")
    return url


def _check_number(what: str, value: Any, *, low: float, high: float | None = None) -> None:
    from conformance.errors import UsageError

    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and value >= low and (high is None or value <= high)
    if not ok:
        bound = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"
        raise UsageError(f"{what}={value!r}: expected a finite number {bound}")


def check_run_options(run: RunOptions) -> None:
    """Every option a parser may not have checked (a library caller's RunOptions)."""
    tiny = 1e-3  # "positive": above zero, and above what a timer can wait for
    _check_number("--request-timeout", run.timeout_s, low=tiny, high=MAX_REQUEST_TIMEOUT_S)
    if run.max_duration_s is not None:
        _check_number("--max-duration", run.max_duration_s, low=tiny)
    if run.rate_limit is not None:
        _check_number("--rate-limit", run.rate_limit, low=1 / MAX_REQUEST_TIMEOUT_S)
    _check_number("--workers", run.workers, low=1, high=64)
    _check_number("--jobs", run.jobs, low=1, high=64)
    _check_number("--max-examples", run.max_examples, low=0)
    _check_number("--max-response-bytes", run.max_body, low=1)
    _check_number("--max-errors-per-type", run.max_errors_per_type, low=0)
    if run.run_id is not None:
        check_run_id(run.run_id)
    check_reports_dir(Path(run.reports_dir))
    if run.base_url is not None:
        check_base_url(run.base_url)
