"""Reading parameter and header text as the typed value its schema describes.

Query, path and header values travel as text; "5" is a valid integer parameter.  Both
the request generator (to drop "invalid" values that serialise into valid text) and
the header check read text through here.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

_INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    return ["string"]


def coerce_candidates(text: str, schema: Mapping[str, Any]) -> list[Any]:
    """Every typed reading of ``text`` that the schema's declared types allow."""
    readings: list[Any] = []
    for kind in _types(schema):
        if kind == "string":
            readings.append(text)
        elif kind == "integer" and _INTEGER.match(text):
            readings.append(int(text))
        elif kind == "number" and _NUMBER.match(text):
            readings.append(float(text) if any(c in text for c in ".eE") else int(text))
        elif kind == "boolean" and text in ("true", "false"):
            readings.append(text == "true")
        elif kind == "null" and text == "":
            readings.append(None)
        elif kind in ("array", "object"):
            with contextlib.suppress(ValueError):
                readings.append(json.loads(text))
    return readings


MAX_READINGS = 64


def value_readings(value: Any, schema: Mapping[str, Any]) -> list[Any] | None:
    """Every typed value a server could read from ``value`` once it travels as parameter
    text (an array item by item, an object member by member, a primitive as one text).

    None when the value has no parameter text at all: an array or object where the schema
    takes neither, a nested array or object, or an empty one (undefined in RFC 6570).
    """
    from conformance.engine.serialize import text_of

    types = _types(schema)
    if isinstance(value, (list, dict)):
        if not value:
            return None
        if isinstance(value, list) and "array" in types:
            items = schema.get("items")
            item_schema = items if isinstance(items, Mapping) else {}
            per_item = [_scalar_readings(v, item_schema) for v in value]
            if any(r is None for r in per_item):
                return None
            combos = itertools.islice(itertools.product(*per_item), MAX_READINGS)  # type: ignore[arg-type]
            return [list(combo) for combo in combos]
        if isinstance(value, dict) and "object" in types:
            names = list(value)
            per_member = [_scalar_readings(value[n], _member_schema(schema, n)) for n in names]
            if any(r is None for r in per_member):
                return None
            combos = itertools.islice(itertools.product(*per_member), MAX_READINGS)  # type: ignore[arg-type]
            return [dict(zip(names, combo, strict=True)) for combo in combos]
        return None
    readings = coerce_candidates(text_of(value), schema)
    if "array" in types:
        # one value where an array is expected reads as an array of one item
        items = schema.get("items")
        item_schema = items if isinstance(items, Mapping) else {}
        readings += [[r] for r in coerce_candidates(text_of(value), item_schema)]
    return readings


def _scalar_readings(value: Any, schema: Mapping[str, Any]) -> list[Any] | None:
    from conformance.engine.serialize import text_of

    if isinstance(value, (list, dict)):
        return None  # RFC 6570 defines one level only
    return coerce_candidates(text_of(value), schema)


def _member_schema(schema: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and isinstance(properties.get(name), Mapping):
        member: Mapping[str, Any] = properties[name]
        return member
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else {}
