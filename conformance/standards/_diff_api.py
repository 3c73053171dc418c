"""What the OpenAPI diff compares beyond schemas: security requirements and schemes,
parameter serialization, media type ranges, and deprecation with sunset dates.

Pure functions over the raw (YAML/JSON) objects of the two versions; :mod:`.diff` walks the
documents and turns their answers into changes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NOTICE_EXTENSION",
    "SUNSET_EXTENSION",
    "Lifecycle",
    "Requirement",
    "lifecycle",
    "match_media",
    "parse_date",
    "path_renames",
    "requirements",
    "scheme_summary",
    "serialization_differs",
    "serialization_text",
]

SUNSET_EXTENSION = "x-sunset"
NOTICE_EXTENSION = "x-deprecation-notice-days"  # at the root of the OpenAPI document

# -- security ---------------------------------------------------------------------------------

Requirement = dict[str, tuple[str, ...]]  # scheme name -> scopes; every scheme is needed


def requirements(value: Any) -> list[Requirement] | None:
    """The alternatives of a ``security`` value (any one suffices); None if it is malformed."""
    if not isinstance(value, list):
        return None
    found: list[Requirement] = []
    for item in value:
        if not isinstance(item, dict):
            return None
        found.append(
            {
                str(name): tuple(sorted(str(s) for s in scopes)) if isinstance(scopes, list) else ()
                for name, scopes in item.items()
            }
        )
    return found


def anonymous(alternatives: list[Requirement] | None) -> bool:
    """Whether a request without credentials is allowed (no requirement, or an empty one)."""
    return not alternatives or any(not alt for alt in alternatives)


def scheme_summary(scheme: Any) -> dict[str, Any]:
    """What of a security scheme changes how a client authenticates (not descriptions,
    ``bearerFormat`` or scope descriptions)."""
    if not isinstance(scheme, dict):
        return {"invalid": True}
    summary: dict[str, Any] = {"type": scheme.get("type")}
    kind = scheme.get("type")
    if kind == "http":
        summary["scheme"] = str(scheme.get("scheme", "")).lower()
    elif kind == "apiKey":
        where = scheme.get("in")
        name = str(scheme.get("name", ""))
        summary["in"] = where
        summary["name"] = name.lower() if where == "header" else name  # header names: any case
    elif kind == "openIdConnect":
        summary["openIdConnectUrl"] = scheme.get("openIdConnectUrl")
    elif kind == "oauth2":
        flows = scheme.get("flows") if isinstance(scheme.get("flows"), dict) else {}
        summary["flows"] = {
            str(flow): {
                key: spec.get(key)
                for key in ("authorizationUrl", "tokenUrl")
                if isinstance(spec, dict) and key in spec
            }
            for flow, spec in sorted((flows or {}).items())
        }
    return summary


def describe_scheme(summary: Mapping[str, Any]) -> str:
    parts = [str(v) for k, v in summary.items() if k != "flows" and v is not None]
    if "flows" in summary:
        parts.append("flows " + ",".join(summary["flows"]) if summary["flows"] else "no flows")
    return " ".join(parts) or "-"


# -- parameter serialization -------------------------------------------------------------------
# The OpenAPI Specification's "Style Values" and "Style Examples" (Parameter Object), which
# follow RFC 6570: how a parameter named ``color`` is written for a primitive, an array and an
# object, per (style, explode).  None where the specification leaves a combination undefined.

_SAMPLE_ARRAY = ("blue", "black", "brown")
_SAMPLE_OBJECT = (("R", "100"), ("G", "200"), ("B", "150"))
_PRIMITIVES = frozenset({"string", "integer", "number", "boolean"})


def _render(style: str, explode: bool, name: str, kind: str) -> str | None:
    array, pairs = _SAMPLE_ARRAY, _SAMPLE_OBJECT
    flat = [x for pair in pairs for x in pair]
    if style == "simple":
        if kind == "primitive":
            return "blue"
        if kind == "array":
            return ",".join(array)
        return ",".join(f"{k}={v}" for k, v in pairs) if explode else ",".join(flat)
    if style == "label":
        sep = "." if explode else ","
        if kind == "primitive":
            return ".blue"
        if kind == "array":
            return "." + sep.join(array)
        return "." + (".".join(f"{k}={v}" for k, v in pairs) if explode else ",".join(flat))
    if style == "matrix":
        if kind == "primitive":
            return f";{name}=blue"
        if kind == "array":
            return (
                "".join(f";{name}={v}" for v in array) if explode else f";{name}=" + ",".join(array)
            )
        if explode:
            return "".join(f";{k}={v}" for k, v in pairs)
        return f";{name}=" + ",".join(flat)
    if style == "form":
        if kind == "primitive":
            return f"{name}=blue"
        if kind == "array":
            return (
                "&".join(f"{name}={v}" for v in array) if explode else f"{name}=" + ",".join(array)
            )
        return "&".join(f"{k}={v}" for k, v in pairs) if explode else f"{name}=" + ",".join(flat)
    if style in ("spaceDelimited", "pipeDelimited"):
        sep = "%20" if style == "spaceDelimited" else "|"
        if kind == "array" and not explode:
            return f"{name}=" + sep.join(array)
        if kind == "object" and not explode:
            return f"{name}=" + sep.join(flat)
        return None
    if style == "deepObject":
        if kind == "object" and explode:
            return "&".join(f"{name}[{k}]={v}" for k, v in pairs)
        return None
    return None


def _style(param: Mapping[str, Any]) -> tuple[str, bool]:
    where = param.get("in")
    default = "form" if where in ("query", "cookie") else "simple"
    style = param.get("style") if isinstance(param.get("style"), str) else default
    explode = param.get("explode")
    return str(style), bool(explode) if isinstance(explode, bool) else style == "form"


def _kinds(schema: Any) -> set[str]:
    """What shapes a parameter's schema allows: primitive, array, object."""
    if not isinstance(schema, dict) or "type" not in schema:
        return {"primitive", "array", "object"}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    kinds = set()
    for kind in types:
        if kind in _PRIMITIVES:
            kinds.add("primitive")
        elif kind in ("array", "object"):
            kinds.add(str(kind))
    return kinds or {"primitive"}


def serialization_text(param: Mapping[str, Any]) -> str:
    if "content" in param and isinstance(param["content"], dict):
        return "content " + ",".join(sorted(param["content"]))
    style, explode = _style(param)
    return f"style={style}, explode={str(explode).lower()}"


def serialization_differs(
    old: Mapping[str, Any], old_schema: Any, new: Mapping[str, Any], new_schema: Any
) -> bool:
    """Whether a value is written differently on the wire, for the shapes both schemas
    allow (style changes that leave every such shape alike are not changes; a shape only
    one schema allows is the type rules' business)."""
    old_content = old.get("content") if isinstance(old.get("content"), dict) else None
    new_content = new.get("content") if isinstance(new.get("content"), dict) else None
    if old_content is not None or new_content is not None:
        return old_content is None or new_content is None or set(old_content) != set(new_content)
    old_style, new_style = _style(old), _style(new)
    old_name, new_name = str(old.get("name")), str(new.get("name"))
    for kind in _kinds(old_schema) & _kinds(new_schema):
        before = _render(*old_style, old_name, kind)
        after = _render(*new_style, new_name, kind)
        differs = before is None or after is None or before != after
        if differs and (old_style, old_name) != (new_style, new_name):
            return True
    return False


def path_renames(old_path: str, new_path: str) -> dict[str, str]:
    """Old name -> new name of path parameters at the same place of the same template."""
    old_names = re.findall(r"\{([^}]*)\}", old_path)
    new_names = re.findall(r"\{([^}]*)\}", new_path)
    if len(old_names) != len(new_names):
        return {}
    return {a: b for a, b in zip(old_names, new_names, strict=True) if a != b}


# -- media types ---------------------------------------------------------------------------------


def _media(name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(type/subtype in lower case, sorted parameters) of a media type or range."""
    essence, _, rest = name.partition(";")
    params = []
    for part in rest.split(";"):
        key, _, value = part.strip().partition("=")
        key = key.strip().lower()
        if key:
            value = value.strip().strip('"')
            params.append((key, value.lower() if key == "charset" else value))
    return essence.strip().lower(), tuple(sorted(params))


def _covers(wide: str, narrow: str) -> bool:
    """Whether the range ``wide`` (``*/*``, ``application/*``) covers ``narrow``."""
    if wide == narrow:
        return True
    wide_type, _, wide_sub = wide.partition("/")
    narrow_type, _, _ = narrow.partition("/")
    return wide_sub == "*" and wide_type in ("*", narrow_type)


@dataclass(frozen=True)
class MediaPair:
    old: str
    new: str
    relation: str  # same, parameters, widened, narrowed


def match_media(old: list[str], new: list[str]) -> tuple[list[MediaPair], list[str], list[str]]:
    """Pair the media types of two versions: (pairs, only in new, only in old).

    Equal types (in any case, parameters in any order) pair first, then the same type with
    other parameters (``charset``), then a range with a type it covers.
    """
    pairs: list[MediaPair] = []
    left_old = list(old)
    left_new = list(new)
    for relation in ("same", "parameters", "range"):
        for name in list(left_old):
            essence, params = _media(name)
            for candidate in left_new if relation != "range" else new:
                other, other_params = _media(candidate)
                if relation == "same" and (essence, params) == (other, other_params):
                    found = "same"
                elif relation == "parameters" and essence == other:
                    found = "parameters"
                elif relation == "range" and essence != other and _covers(other, essence):
                    found = "widened"
                elif relation == "range" and essence != other and _covers(essence, other):
                    found = "narrowed"
                else:
                    continue
                pairs.append(MediaPair(name, candidate, found))
                left_old.remove(name)
                if candidate in left_new:
                    left_new.remove(candidate)
                break
    paired_new = {p.new for p in pairs}
    return pairs, [n for n in new if n not in paired_new], left_old


# -- deprecation ---------------------------------------------------------------------------------


def parse_date(value: Any) -> dt.date | None:
    """A date from ``YYYY-MM-DD`` or an RFC 3339 date-time; None otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Lifecycle:
    deprecated: bool
    sunset: dt.date | None
    sunset_text: str  # as written (shown in messages), "" when absent

    def describe(self) -> str:
        if not self.deprecated:
            return "active"
        return "deprecated" + (f", sunset {self.sunset_text}" if self.sunset_text else "")


def lifecycle(obj: Any) -> Lifecycle:
    if not isinstance(obj, dict):
        return Lifecycle(False, None, "")
    raw = obj.get(SUNSET_EXTENSION)
    text = "" if raw is None else str(raw)
    return Lifecycle(obj.get("deprecated") is True, parse_date(raw), text)


def notice_days(document: Any) -> int:
    """The deprecation notice period an OpenAPI document requires, in days (0: none)."""
    value = document.get(NOTICE_EXTENSION) if isinstance(document, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return 0
