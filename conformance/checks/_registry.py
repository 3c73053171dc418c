"""The registry of checks; :mod:`conformance.checks` fills it by importing its modules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from conformance.i18n import Message, en

if TYPE_CHECKING:
    from conformance.engine.exchange import Exchange

__all__ = [
    "CHECKS",
    "Check",
    "Problem",
    "all_checks",
    "api_check",
    "api_checks",
    "problem",
    "register",
]


@dataclass(frozen=True)
class Problem:
    """What a check found wrong with one exchange."""

    title: str
    message: str
    cause: str  # stable, short: part of the deduplication key
    pointer: str | None = None
    schema_path: str | None = None
    # The catalog message of ``message`` (its title is the message id + ".title").
    msg: Message | None = None
    # Reported beside the result at a lower severity, not as its failure: what the
    # candidate did may follow from something the standard does not declare.
    advisory: bool = False
    # What the finding is about, for binding it to the most specific clause
    # (engine/binding): ("schema", absolute keyword location), ("format", name),
    # ("parameter", name), ("export_rule", name).
    binding: tuple[tuple[str, str], ...] = ()
    # The check could not verify its assertion on this exchange (the reason is
    # ``message``): not a failure, and the exchange does not count as examined.
    unverified: bool = False
    # Another check reports this same defect (e.g. a 5xx is not_a_server_error's): where a
    # clause takes that check here, this finding is left to it.
    defer_to: str | None = None


def problem(
    message_id: str,
    *,
    cause: str,
    pointer: str | None = None,
    schema_path: str | None = None,
    advisory: bool = False,
    binding: tuple[tuple[str, str], ...] = (),
    unverified: bool = False,
    defer_to: str | None = None,
    **params: Any,
) -> Problem:
    """A Problem worded by the catalog: English title and message, and the message itself."""
    message = Message(message_id, params)
    title = en(Message(f"{message_id}.title"))
    return Problem(
        title,
        en(message),
        cause,
        pointer,
        schema_path,
        message,
        advisory=advisory,
        binding=binding,
        unverified=unverified,
        defer_to=defer_to,
    )


ApiCheckFn = Callable[["Exchange"], Iterator[Problem]]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    doc: str
    kind: Literal["api", "export", "scenario"]
    func: ApiCheckFn | None = None
    # Whether the check looks at this exchange at all; one that does not, does not count
    # it as examined (so a probe-only check never passes vacuously).
    applies: Callable[[Exchange], bool] | None = None
    # How bad a failure is on its own; the clause's level (MUST/SHOULD/MAY) decides the verdict.
    severity: Literal["error", "warning"] = "error"


CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    if check.id in CHECKS:
        raise ValueError(f"check id={check.id!r} registered twice")
    CHECKS[check.id] = check
    return check


def api_check(
    check_id: str,
    title: str,
    applies: Callable[[Exchange], bool] | None = None,
    severity: Literal["error", "warning"] = "error",
) -> Callable[[ApiCheckFn], ApiCheckFn]:
    """Register an API check; its docstring's first line is its doc line."""

    def decorate(func: ApiCheckFn) -> ApiCheckFn:
        doc = (func.__doc__ or "").strip().splitlines()[0]
        register(Check(check_id, title, doc, "api", func, applies, severity))
        return func

    return decorate


def api_checks() -> list[Check]:
    """The API checks, in registration order (the catalogue is complete once
    :mod:`conformance.checks` is imported)."""
    return [c for c in CHECKS.values() if c.kind == "api"]


def all_checks() -> list[Check]:
    return list(CHECKS.values())
