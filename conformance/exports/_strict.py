"""JSON as strict parsers read it: a member name given twice, a lone surrogate escape.

Python's json, orjson and msgspec all keep the last of two members of one name, so a
record ``{"n": "bad", "n": "good"}`` validates; a strict parser refuses it, or keeps the
first. A lone surrogate escape (``"\\ud800"``) decodes in Python's json to a string that is
not Unicode text. Both are findings, ``duplicate-member`` and ``lone-surrogate``, with the
line and the JSON pointer.

The test is exact and cheap on the accepting path, without a Python call per member:

    colons(text) + escaped colons(text) == colons(canonical encoding of the decoded value)

Every member has one ``:`` outside strings; every colon inside a string is written either as
``:`` or as ``\\u003a``; the canonical encoding (orjson's, or msgspec's of the typed
records) writes each decoded member once and each colon of a string as ``:``. So the left
side exceeds the right by exactly the number of members a duplicate dropped (counting
``\\u003a`` textually may over-count a ``\\\\u003a``, which only sends a clean line to the
exact analysis). A value the encoder refuses (a lone surrogate, an integer past 64 bits)
goes to the exact analysis too. Only when the counts differ is the text parsed again,
exactly, to name each duplicate and surrogate.

Typed records (msgspec structs of leaves and nested structs) in a block without a backslash
need no encoding at all: there every ``"`` opens or closes a string, two for each member
name and two for each string value, so the ``"`` bytes of the lines (:func:`quotes`) equal
what the records' types and present members say (``_typed.quote_counter``) exactly when no
line repeats a name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

from conformance.exports._model import RECORDS, Sink

__all__ = [
    "colons",
    "maybe_strict_problem",
    "plain_colons",
    "quotes",
    "report_strict",
    "strict_problems",
]

_LONE = re.compile("[\ud800-\udfff]")
_COLON = ord(":")
_QUOTE = ord('"')


def colons(raw: bytes, start: int = 0, end: int | None = None) -> int:
    """The colons of a JSON text (``raw[start:end]``), an escaped colon (``\\u003a``)
    counted as one. numpy counts: bytes.count of one byte is four times slower."""
    end = len(raw) if end is None else end
    count = plain_colons(raw, start, end)
    if raw.find(b"\\", start, end) >= 0:
        count += raw.count(b"\\u003a", start, end) + raw.count(b"\\u003A", start, end)
    return count


def plain_colons(raw: bytes, start: int = 0, end: int | None = None) -> int:
    """The ``:`` bytes of ``raw[start:end]`` (of an encoder's output: it never escapes one)."""
    return _byte_count(raw, _COLON, start, end)


def quotes(raw: bytes, start: int = 0, end: int | None = None) -> int:
    """The ``"`` bytes of ``raw[start:end]``: in a text without a backslash, two for each
    string (:func:`conformance.exports._typed.quote_counter`)."""
    return _byte_count(raw, _QUOTE, start, end)


def _byte_count(raw: bytes, byte: int, start: int, end: int | None) -> int:
    end = len(raw) if end is None else end
    if end - start < 4096:
        return raw.count(byte, start, end)
    data = np.frombuffer(raw, np.uint8, count=end - start, offset=start)
    return int(np.count_nonzero(data == byte))


def encoded_colons(value: Any) -> int | None:
    """Colons of ``value``'s canonical encoding; None when orjson refuses to encode it."""
    try:
        return orjson.dumps(value).count(b":")
    except (orjson.JSONEncodeError, TypeError):
        return None


def maybe_strict_problem(text: str | bytes, value: Any) -> bool:
    """Whether ``text`` (which decoded to ``value``) may repeat a member name or hold a lone
    surrogate; False proves it does neither."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    out = encoded_colons(value)  # None for a lone surrogate: orjson encodes Unicode only
    return out is None or colons(raw) != out


def report_strict(sink: Sink, text: str, line: int | None, byte_offset: int | None) -> None:
    """Report what :func:`strict_problems` finds in one record's text."""
    for kind, pointer, message in strict_problems(text):
        sink.add(RECORDS, kind, message, line=line, byte_offset=byte_offset, pointer=pointer)


class _Members(dict[str, Any]):
    """A decoded object that remembers its names given more than once."""

    twice: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> _Members:
    members = _Members(pairs)  # the last value wins, as everywhere else
    members.twice = []
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen and name not in members.twice:
                members.twice.append(name)
            seen.add(name)
    return members


_EXACT = json.JSONDecoder(object_pairs_hook=_pairs)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _shown(text: str) -> str:
    """A string with its surrogates as escapes (printable, never raw)."""
    return _LONE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def strict_problems(text: str) -> list[tuple[str, str, str]]:
    """(kind, JSON pointer, message) of each repeated member name and lone surrogate in the
    JSON ``text``, in document order; [] when it is not JSON (the caller says so)."""
    try:
        value = _EXACT.decode(text)
    except (ValueError, RecursionError):
        return []
    found: list[tuple[str, str, str]] = []
    for pointer, node in _walk(value):
        if isinstance(node, _Members):
            for name in node.twice:
                at = f"{pointer}/{_escape(name)}"
                found.append(
                    (
                        "duplicate-member",
                        at,
                        f"member {_shown(name)!r} given more than once in the object at "
                        f"{pointer or '/'}; expected unique names (RFC 8259 section 4: "
                        "strict parsers refuse it, others keep the first or the last value; "
                        "the last was checked)",
                    )
                )
            for name in node:
                if _LONE.search(name):
                    found.append(_lone(f"{pointer}/{_escape(name)}", name, "member name"))
        elif isinstance(node, str) and _LONE.search(node):
            found.append(_lone(pointer, node, "string"))
    return found


def _lone(pointer: str, text: str, what: str) -> tuple[str, str, str]:
    code = ord(_LONE.search(text).group())  # type: ignore[union-attr]  # searched before
    return (
        "lone-surrogate",
        pointer,
        f"{what} at {pointer or '/'} holds a lone surrogate escape \\u{code:04x} "
        f"({_shown(text)[:60]!r}); expected Unicode text (RFC 8259 section 8.2: strict "
        "parsers refuse it)",
    )


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    """(pointer, node) of every node, in document order (no recursion: depth is the
    reader's bound, not Python's)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        pointer, node = stack.pop()
        yield pointer, node
        if isinstance(node, dict):
            stack.extend(reversed([(f"{pointer}/{_escape(k)}", v) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{pointer}/{i}", v) for i, v in enumerate(node)]))
