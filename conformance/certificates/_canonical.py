"""Canonical JSON: the exact bytes a signature covers.

Sorted keys, no insignificant whitespace, UTF-8 (characters outside ASCII are written as
themselves, not escaped).  Only strings, integers, booleans, null, arrays and objects with
string keys are allowed: floats have no single textual form across implementations, so a
payload holding one is refused rather than signed ambiguously.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["CanonicalError", "canonical_json", "parse_strict"]

MAX_DEPTH = 32


class CanonicalError(ValueError):
    """A value that canonical JSON cannot represent."""


def _check(value: Any, pointer: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CanonicalError(f"nested deeper than {MAX_DEPTH} at {pointer or '/'}")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        raise CanonicalError(f"a float at {pointer or '/'}; expected an integer or a string")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{pointer}/{index}", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"a non-string key {key!r} at {pointer or '/'}")
            _check(item, f"{pointer}/{key}", depth + 1)
        return
    raise CanonicalError(f"a {type(value).__name__} at {pointer or '/'}; not a JSON value")


def canonical_json(value: Any) -> bytes:
    _check(value, "", 0)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise CanonicalError(f"duplicate key {key!r}")
        data[key] = value
    return data


def _no_constant(name: str) -> Any:
    raise CanonicalError(f"{name} is not JSON")


def parse_strict(text: str) -> Any:
    """Parse JSON refusing duplicate keys, NaN and Infinity (ambiguous in a signed document)."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except RecursionError:
        raise CanonicalError("nested too deeply") from None
