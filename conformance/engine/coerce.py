"""Reading parameter and header text as the typed value its schema describes.

Query, path and header values travel as text; "5" is a valid integer parameter.  Both
the request generator (to drop "invalid" values that serialise into valid text) and
the header check read text through here.
"""

from __future__ import annotations

import contextlib
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
