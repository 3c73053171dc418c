"""Run options, defined once: the pytest plugin and ``conformance run`` both read this table.

Each front door declares them on its own parser (argparse, pytest's), reads the parsed
values back by :class:`~conformance.session.RunOptions` field name (:func:`values`) and
turns them into ``RunOptions`` (:func:`run_options`), which :func:`conformance.session.prepare`
checks and loads into the engine's configuration.  Nothing is parsed twice.
"""

from __future__ import annotations

import argparse
import os
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

    def kwargs(self) -> dict[str, Any]:
        if self.switch:
            return {"dest": self.dest, "action": "store_true", "help": self.help}
        kwargs: dict[str, Any] = {"dest": self.dest, "help": self.help, "metavar": self.metavar}
        if self.append:
            kwargs.update(action="append", default=[])
        else:
            kwargs.update(type=self.type, default=self.default)
        return kwargs


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
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
        type=_positive_float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
    ),
    Option(
        "--max-response-bytes",
        "max_body",
        "cap on a response body (default: 10 MiB)",
        type=_count,
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
        type=_positive_float,
        metavar="N",
    ),
    Option(
        "--workers",
        "workers",
        "operations probed in parallel (default: 1)",
        type=int,
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


def add_arguments(add: Callable[..., Any], *, skip: Sequence[str] = ()) -> None:
    """Declare every option through ``add`` (argparse's add_argument or pytest's addoption)."""
    for option in OPTIONS:
        if option.flag not in skip:
            add(option.flag, *option.aliases, **option.kwargs())


def values(get: Callable[[str], Any]) -> dict[str, Any]:
    """Parsed values by RunOptions field name; ``get(dest)`` reads one parsed attribute."""
    return {option.name: get(option.dest) for option in OPTIONS}


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
