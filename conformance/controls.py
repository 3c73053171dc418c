"""Control characters are data (issue 15 item 7).

Text from a candidate or a file may hold escape sequences (ESC, other C0 and C1 controls,
DEL) and bidirectional controls (U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C) that
would drive a terminal or reorder what a reviewer reads.  Every sink shows them visibly
escaped (:func:`visible`: ``\\x1b``, ``\\u202e``); an identity that gets signed refuses them
(:func:`control_in`).

The values layer: every layer may import it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["control_in", "visible", "visible_data"]

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = f"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029{_BIDI}"
# One line: every control is escaped, tab and line breaks too.
_LINE = re.compile(f"[\t\n\r{_CONTROL}]")
# Several lines (an excerpt, a report's text): tab, LF and CR LF stay, a lone CR does not.
_LINES = re.compile(f"[{_CONTROL}]|\r(?!\n)")
# Anything a signed identity must not hold: tab and line breaks included.
_SIGNED = _LINE


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``).

    ``lines``: keep tab, LF and CR LF (text shown as several lines); otherwise the text is one
    line and those are escaped too.
    """
    return (_LINES if lines else _LINE).sub(_escape, text)


def visible_data(value: Any, *, lines: bool = True) -> Any:
    """A JSON-like value with :func:`visible` applied to every string in it (keys too)."""
    if isinstance(value, str):
        return visible(value, lines=lines)
    if isinstance(value, Mapping):
        return {
            visible_data(k, lines=False): visible_data(v, lines=lines) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [visible_data(v, lines=lines) for v in value]
    return value


def control_in(text: str) -> str | None:
    """The first control character of ``text`` named (``U+202E``), or None when it has none."""
    match = _SIGNED.search(text)
    return None if match is None else f"U+{ord(match.group()):04X}"
