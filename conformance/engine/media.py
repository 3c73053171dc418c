"""Media types as OpenAPI and HTTP use them: JSON by structured-syntax suffix, ranges.

RFC 6838 section 4.2.8: a ``+json`` suffix (``application/geo+json``,
``application/problem+json``, ``application/vnd.example+json``) says the body is JSON.
OpenAPI's Media Type keys may be ranges (``application/*``, ``*/*``); when several keys
match a response's type, the most specific one applies (RFC 9110 section 12.5.1).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["best_match", "essence", "is_json", "matches", "specificity"]


def essence(media_type: str) -> str:
    """``type/subtype`` in lower case, without parameters or surrounding space."""
    return media_type.split(";", 1)[0].strip().lower()


def is_json(media_type: str | None) -> bool:
    """JSON: ``application/json`` (or ``text/json``) or any ``+json`` structured suffix."""
    if media_type is None:
        return False
    value = essence(media_type)
    return value in ("application/json", "text/json") or value.endswith("+json")


def specificity(documented: str) -> int:
    """2 for a concrete type, 1 for ``type/*``, 0 for ``*/*``."""
    value = essence(documented)
    if value == "*/*":
        return 0
    return 1 if value.endswith("/*") else 2


def matches(actual: str, documented: str) -> bool:
    """Whether the ``documented`` key (a type or a range) covers the type ``actual``."""
    value, wanted = essence(actual), essence(documented)
    if wanted == "*/*" or wanted == value:
        return True
    kind, _, sub = wanted.partition("/")
    return sub == "*" and value.partition("/")[0] == kind


def best_match(actual: str, documented: Iterable[str]) -> str | None:
    """The documented key that covers ``actual`` most specifically (first one on a tie)."""
    best: str | None = None
    for key in documented:
        if matches(actual, key) and (best is None or specificity(key) > specificity(best)):
            best = key
    return best
