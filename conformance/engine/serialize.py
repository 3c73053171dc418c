"""Parameter values on the wire, as OpenAPI 3.0/3.1 defines it (Parameter Object, style).

``style`` and ``explode`` decide how a primitive, an array or an object travels in a path
(``simple``, ``label``, ``matrix``), a query (``form``, ``spaceDelimited``,
``pipeDelimited``, ``deepObject``), a header (``simple``) or a cookie (``form``); the
expansion and its percent-encoding follow RFC 6570 (the specification's Appendix C), with
``allowReserved`` letting RFC 3986's reserved characters through in a query value.  A
parameter described by ``content`` instead of ``schema`` is written in its media type
(JSON text for ``application/json`` and ``+json`` types, plain text otherwise) and then
encoded like a primitive.

Choices where the specification leaves a combination undefined (``n/a`` in its table),
documented so a reviewer can contest them:

- ``spaceDelimited`` or ``pipeDelimited`` with ``explode: true``, and ``deepObject`` with
  anything but an object, are sent as ``form`` with the same ``explode``;
- a value inside an array or object that is itself an array or object is written as
  compact JSON text (RFC 6570 defines one level only);
- header values are not percent-encoded (Appendix D: RFC 6570's percent-encoding is not
  appropriate for headers); the generator sends headers as printable ASCII only;
- cookie pairs are joined by ``"; "`` (RFC 6265), since ``&`` has no meaning in a cookie;
- an empty array or object (undefined in RFC 6570) adds nothing to a query, header or
  cookie; a null value is the table's "undefined" (``color=`` in a query).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

# seam: Style (the Parameter Object's serialisation fields) is part of the operations model
from conformance.standards.operations import DEFAULT_STYLES, Style

__all__ = [
    "DEFAULT_STYLES",
    "Style",
    "cookie_header",
    "cookie_pairs",
    "encode",
    "header_value",
    "path_value",
    "query_pairs",
    "query_string",
    "text_of",
]

STYLES_BY_LOCATION = {
    "path": ("simple", "label", "matrix"),
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
    "header": ("simple",),
    "cookie": ("form",),
}

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# RFC 3986 reserved characters that may stand unencoded in a query value under allowReserved;
# "[", "]" and "#" are not allowed in a query, and "&", "=", "+" mean something in
# form-urlencoded text, so they stay encoded (the specification's Appendix C example).
_RESERVED_IN_QUERY = frozenset(":/?@!$'()*,;")
_TRIPLE = re.compile(r"%[0-9A-Fa-f]{2}")


def text_of(value: Any) -> str:
    """A primitive as text (Appendix B): booleans as true/false, null as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _media_text(value: Any, media_type: str) -> str:
    base = media_type.split(";", 1)[0].strip().lower()
    if base == "application/json" or base.endswith("+json"):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text_of(value)


def encode(text: str, allow_reserved: bool = False) -> str:
    """RFC 6570 expansion of one value: every byte outside the unreserved set percent-encoded
    (``+`` for reserved expansion also keeps the reserved set and existing ``%XX`` triples)."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if allow_reserved and char == "%" and _TRIPLE.match(text, index):
            out.append(text[index : index + 3])
            index += 3
            continue
        if char in _UNRESERVED or (allow_reserved and char in _RESERVED_IN_QUERY):
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        index += 1
    return "".join(out)


def _undefined(value: Any) -> bool:
    # RFC 6570 section 2.3: null, an empty list and an empty map are undefined
    return value is None or (isinstance(value, (list, dict)) and not value)


def _items(value: list[Any], enc: Callable[[str], str]) -> list[str]:
    return [enc(text_of(v)) for v in value]


def _members(value: Mapping[str, Any], enc: Callable[[str], str]) -> list[tuple[str, str]]:
    return [(enc(str(k)), enc(text_of(v))) for k, v in value.items()]


def path_value(name: str, value: Any, style: Style) -> str:
    """The text that replaces ``{name}`` in the path (style simple, label or matrix)."""

    def enc(text: str) -> str:
        return encode(text)

    if style.media_type is not None:
        value = _media_text(value, style.media_type)
    kind = style.style if style.style in STYLES_BY_LOCATION["path"] else "simple"
    prefix = {"simple": "", "label": ".", "matrix": ";"}[kind]
    if _undefined(value) or value == "":
        return f";{name}" if kind == "matrix" else prefix
    if isinstance(value, list):
        items = _items(value, enc)
        if kind == "matrix":
            if style.explode:
                return "".join(f";{name}={item}" for item in items)
            return f";{name}=" + ",".join(items)
        joiner = "." if kind == "label" and style.explode else ","
        return prefix + joiner.join(items)
    if isinstance(value, dict):
        members = _members(value, enc)
        if style.explode:
            sep = {"simple": ",", "label": ".", "matrix": ";"}[kind]
            return prefix + sep.join(f"{k}={v}" for k, v in members)
        flat = ",".join(f"{k},{v}" for k, v in members)
        return f";{name}={flat}" if kind == "matrix" else prefix + flat
    text = enc(text_of(value))
    return f";{name}={text}" if kind == "matrix" else prefix + text


def query_pairs(name: str, value: Any, style: Style) -> list[tuple[str, str]]:
    """The ``name=value`` pairs, already percent-encoded, a query parameter contributes."""
    reserved = style.allow_reserved

    def enc(text: str) -> str:
        return encode(text, reserved)

    key = encode(name)
    if style.media_type is not None:
        return [(key, enc(_media_text(value, style.media_type)))]
    kind = style.style if style.style in STYLES_BY_LOCATION["query"] else "form"
    delimiter = {"spaceDelimited": "%20", "pipeDelimited": "%7C"}.get(kind)
    if delimiter is not None and style.explode:
        kind, delimiter = "form", None  # n/a in the specification's table: sent as form
    if kind == "deepObject" and not isinstance(value, dict):
        kind = "form"  # deepObject is defined for objects only
    if isinstance(value, (list, dict)) and not value:
        return []  # an empty array or object is undefined (RFC 6570 2.3): nothing to send
    if value is None:
        return [(key, "")]
    if isinstance(value, list):
        items = _items(value, enc)
        if kind == "form" and style.explode:
            return [(key, item) for item in items]
        return [(key, (delimiter or ",").join(items))]
    if isinstance(value, dict):
        members = _members(value, enc)
        if kind == "deepObject":
            return [(f"{key}%5B{k}%5D", v) for k, v in members]
        if kind == "form" and style.explode:
            return members
        return [(key, (delimiter or ",").join(f"{k}{delimiter or ','}{v}" for k, v in members))]
    return [(key, enc(text_of(value)))]


def query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in pairs)


def header_value(value: Any, style: Style) -> str:
    """A header parameter's value (style simple), not percent-encoded (Appendix D)."""
    if style.media_type is not None:
        return _media_text(value, style.media_type)
    if _undefined(value):
        return ""
    if isinstance(value, list):
        return ",".join(text_of(v) for v in value)
    if isinstance(value, dict):
        if style.explode:
            return ",".join(f"{k}={text_of(v)}" for k, v in value.items())
        return ",".join(f"{k},{text_of(v)}" for k, v in value.items())
    return text_of(value)


def cookie_pairs(name: str, value: Any, style: Style) -> list[tuple[str, str]]:
    """A cookie parameter's ``name=value`` pairs (style form), values percent-encoded."""
    if style.media_type is not None:
        return [(name, encode(_media_text(value, style.media_type)))]
    if isinstance(value, (list, dict)) and not value:
        return []
    if value is None:
        return [(name, "")]
    if isinstance(value, list):
        items = [encode(text_of(v)) for v in value]
        if style.explode:
            return [(name, item) for item in items]
        return [(name, ",".join(items))]
    if isinstance(value, dict):
        members = [(encode(str(k)), encode(text_of(v))) for k, v in value.items()]
        if style.explode:
            return members
        return [(name, ",".join(f"{k},{v}" for k, v in members))]
    return [(name, encode(text_of(value)))]


def cookie_header(pairs: list[tuple[str, str]]) -> str:
    return "; ".join(f"{k}={v}" for k, v in pairs)
