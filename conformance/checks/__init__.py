"""The catalogue of checks: small typed functions in a registry, each with a stable id.

API checks take one :class:`~conformance.engine.exchange.Exchange` (a request and the
candidate's response to it) and yield :class:`Problem` values; an empty iteration is a
pass.  Export checks are run by :mod:`conformance.exports`, which tags every issue with
the id of the check it belongs to; they are registered here so that standards, lint and
``conformance checks list`` see one catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from conformance.i18n import Message, en

if TYPE_CHECKING:
    from conformance.engine.exchange import Exchange

__all__ = ["CHECKS", "Check", "Problem", "api_checks", "problem", "register"]


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


def problem(
    message_id: str,
    *,
    cause: str,
    pointer: str | None = None,
    schema_path: str | None = None,
    **params: Any,
) -> Problem:
    """A Problem worded by the catalog: English title and message, and the message itself."""
    message = Message(message_id, params)
    title = en(Message(f"{message_id}.title"))
    return Problem(title, en(message), cause, pointer, schema_path, message)


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
    _load()
    return [c for c in CHECKS.values() if c.kind == "api"]


def all_checks() -> list[Check]:
    _load()
    return list(CHECKS.values())


def _load() -> None:
    # Importing the modules registers their checks.
    from conformance.checks import api, exports, scenarios  # noqa: F401
