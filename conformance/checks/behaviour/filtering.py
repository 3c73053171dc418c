"""Filters: one registered strategy per kind of filter a standard may declare.

Each entry of ``x-filters`` has a ``kind`` (``equals`` when absent). From the items of an
unfiltered listing, a filter kind makes a few probes: the query to send and what a matching
item is (a sort probe says what order the items must come in instead). For every probe, every
returned item must match, and every item of the unfiltered listing that matches must be
returned (when both listings were read to their end within the page budget). A new kind is
one class here and one ``register_filter`` call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any, ClassVar

from conformance.checks._registry import Problem, problem
from conformance.checks.behaviour._common import get, item_key
from conformance.checks.behaviour.paging import Walk, walk
from conformance.engine.exchange import RequestCase
from conformance.engine.scenario import ScenarioContext

__all__ = ["FILTERS", "FilterKind", "Probe", "check_filters", "register_filter"]

FILTER_REQUESTS = 150
PROBE_PAGES = 4


@dataclass
class Probe:
    query: dict[str, Any]
    matches: Callable[[Any], bool] | None = None  # None: a sort probe
    order: tuple[str, bool] | None = None  # (field pointer, descending)

    @property
    def label(self) -> str:
        return "&".join(f"{k}={_text(v)}" for k, v in self.query.items())


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


class FilterKind:
    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]] = ("param", "field")
    optional: ClassVar[tuple[str, ...]] = ()

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        raise NotImplementedError


FILTERS: dict[str, FilterKind] = {}


def register_filter(kind: FilterKind) -> FilterKind:
    if kind.kind in FILTERS:
        raise ValueError(f"filter kind={kind.kind!r} registered twice")
    FILTERS[kind.kind] = kind
    return kind


def _equal_to(field: str, value: Any) -> Callable[[Any], bool]:
    return lambda item: bool(get(item, field) == value)


def _scalars(items: list[Any], pointer: str) -> list[Any]:
    """The distinct scalar values at ``pointer``, in listing order."""
    values: list[Any] = []
    for item in items:
        value = get(item, pointer)
        if value is not None and not isinstance(value, (dict, list)) and value not in values:
            values.append(value)
    return values


class Equals(FilterKind):
    kind = "equals"

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        field = spec["field"]
        return [Probe({spec["param"]: v}, _equal_to(field, v)) for v in _scalars(items, field)[:2]]


class Enum(FilterKind):
    """Every declared value, whether the listing shows it or not."""

    kind = "enum"
    required = ("param", "field", "values")

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        field = spec["field"]
        return [Probe({spec["param"]: v}, _equal_to(field, v)) for v in list(spec["values"])[:8]]


class In(FilterKind):
    """Several values at once (sent as the parameter's style says): any of them matches."""

    kind = "in"
    required = ("param", "field", "values")

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        field = spec["field"]
        chosen = list(spec["values"])[:2]
        return [Probe({spec["param"]: chosen}, lambda i: get(i, field) in chosen)]


def _ordered(kind: str) -> Callable[[Any], Any]:
    """A sort key for range values of this type (None for what cannot be read)."""

    def key(value: Any) -> Any:
        try:
            if kind == "number":
                return float(value) if not isinstance(value, bool) else None
            if kind == "date":
                return date.fromisoformat(str(value))
            if kind == "date-time":
                return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except (TypeError, ValueError):
            return None
        return None

    return key


class Range(FilterKind):
    """Inclusive bounds, each optional: the lower alone, the upper alone, both; each bound is
    a value an item has (a bound that excludes itself shows there)."""

    kind = "range"
    required = ("min_param", "max_param", "field", "type")

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        field, key = spec["field"], _ordered(spec["type"])
        values = sorted(
            (v for v in _scalars(items, field) if key(v) is not None), key=lambda v: key(v)
        )
        if not values:
            return []
        low, middle, high = (
            values[len(values) // 4],
            values[len(values) // 2],
            values[-2 if len(values) > 1 else -1],
        )

        def within(lo: Any, hi: Any) -> Callable[[Any], bool]:
            def matches(item: Any) -> bool:
                value = key(get(item, field))
                if value is None:
                    return False
                return (lo is None or value >= key(lo)) and (hi is None or value <= key(hi))

            return matches

        lo_p, hi_p = spec["min_param"], spec["max_param"]
        return [
            Probe({lo_p: middle}, within(middle, None)),
            Probe({hi_p: middle}, within(None, middle)),
            Probe({lo_p: low, hi_p: high}, within(low, high)),
        ]


class Contains(FilterKind):
    kind = "contains"

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        field = spec["field"]
        texts = [v for v in _scalars(items, field) if isinstance(v, str) and len(v) >= 3]
        if not texts:
            return []
        text = texts[len(texts) // 2]
        part = text[len(text) // 2 - 1 : len(text) // 2 + 1]
        return [Probe({spec["param"]: part}, lambda i: part in str(get(i, field) or ""))]


class Prefix(FilterKind):
    kind = "prefix"
    optional = ("length",)

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        field = spec["field"]
        texts = [v for v in _scalars(items, field) if isinstance(v, str) and len(v) >= 2]
        if not texts:
            return []
        text = texts[0]
        size = int(spec.get("length", max(2, len(text) // 2 + 1)))
        head = text[:size]
        return [Probe({spec["param"]: head}, lambda i: str(get(i, field) or "").startswith(head))]


def _coordinate(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class BBox(FilterKind):
    """``minLon,minLat,maxLon,maxLat`` around an item's coordinates: what lies inside matches."""

    kind = "bbox"
    required = ("param", "lon", "lat")
    optional = ("margin",)

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        points = [
            (get(i, spec["lon"]), get(i, spec["lat"]))
            for i in items
            if isinstance(get(i, spec["lon"]), (int, float))
            and isinstance(get(i, spec["lat"]), (int, float))
        ]
        if not points:
            return []
        lon, lat = points[len(points) // 2]
        margin = float(spec.get("margin", 0.2))
        box = [
            max(-180.0, lon - margin),
            max(-90.0, lat - margin),
            min(180.0, lon + margin),
            min(90.0, lat + margin),
        ]
        box = [float(_coordinate(v)) for v in box]

        def inside(item: Any) -> bool:
            x, y = get(item, spec["lon"]), get(item, spec["lat"])
            if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
                return False
            return bool(box[0] <= x <= box[2] and box[1] <= y <= box[3])

        return [Probe({spec["param"]: ",".join(_coordinate(v) for v in box)}, inside)]


class Interval(FilterKind):
    """ISO 8601 ``start/end`` with ``..`` for an open end (as OGC API Features' ``datetime``),
    bounds taken from the items' own timestamps, both included."""

    kind = "interval"

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        field, key = spec["field"], _ordered("date-time")
        values = sorted(
            (v for v in _scalars(items, field) if key(v) is not None), key=lambda v: key(v)
        )
        if not values:
            return []
        start, end = values[len(values) // 4], values[(3 * len(values)) // 4]

        def within(lo: Any, hi: Any) -> Callable[[Any], bool]:
            def matches(item: Any) -> bool:
                value = key(get(item, field))
                if value is None:
                    return False
                return (lo is None or value >= key(lo)) and (hi is None or value <= key(hi))

            return matches

        param = spec["param"]
        return [
            Probe({param: f"{start}/{end}"}, within(start, end)),
            Probe({param: f"{start}/.."}, within(start, None)),
            Probe({param: f"../{end}"}, within(None, end)),
        ]


class Sort(FilterKind):
    """``param=value`` orders the items by ``field``, ``order`` asc or desc."""

    kind = "sort"
    required = ("param", "value", "field", "order")

    def probes(self, spec: dict[str, Any], items: list[Any]) -> list[Probe]:
        return [
            Probe({spec["param"]: spec["value"]}, None, (spec["field"], spec["order"] == "desc"))
        ]


for _kind in (Equals(), Enum(), In(), Range(), Contains(), Prefix(), BBox(), Interval(), Sort()):
    register_filter(_kind)


def _walk_with(ctx: ScenarioContext, spec: dict[str, Any], query: dict[str, Any]) -> Walk:
    base = ctx.base_case()
    base = RequestCase(
        dict(base.path_params), {**base.query, **query}, dict(base.headers), source="scenario"
    )
    size = int(spec.get("max_size", 20))
    return walk(ctx, ctx.operation, spec, size, base, PROBE_PAGES)


def _sort_value(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)


def check_filters(ctx: ScenarioContext) -> Iterator[Problem]:
    """Every declared filter, of any registered kind, selects exactly what it says."""
    ctx.limit = max(ctx.limit, FILTER_REQUESTS)
    paging = ctx.operation.extensions["x-pagination"]
    key = paging.get("key")
    everything = _walk_with(ctx, paging, {})
    if not everything.pages:
        return
    items = everything.items
    for declared in ctx.operation.extensions.get("x-filters") or []:
        kind = FILTERS.get(str(declared.get("kind", "equals")))
        if kind is None:
            continue  # lint refuses an unknown kind
        for probe in kind.probes(declared, items):
            found = _walk_with(ctx, paging, probe.query)
            if not found.pages:
                continue
            returned = found.items
            name = probe.label
            if probe.order is not None:
                field, descending = probe.order
                values = [_sort_value(get(i, field)) for i in returned]
                for index, (before, after) in enumerate(pairwise(values)):
                    if (after > before) if descending else (after < before):
                        yield problem(
                            "problem.sort_order",
                            cause=f"sort:{name}",
                            query=name,
                            field=field,
                            position=index + 2,
                            before=repr(before[1]),
                            after=repr(after[1]),
                        )
                        break
                continue
            assert probe.matches is not None
            wrong = [i for i in returned if not probe.matches(i)]
            field = str(declared.get("field") or declared.get("lon") or "")
            if wrong:
                yield problem(
                    "problem.filter_mismatch",
                    cause=f"filter:{next(iter(probe.query))}",
                    query=name,
                    count=len(wrong),
                    field=field,
                    example=repr(get(wrong[0], field)),
                )
                break
            if everything.complete and found.complete:
                got = {item_key(i, key) for i in returned}
                missing = [i for i in items if probe.matches(i) and item_key(i, key) not in got]
                if missing:
                    yield problem(
                        "problem.filter_incomplete",
                        cause=f"filter-incomplete:{next(iter(probe.query))}",
                        query=name,
                        count=len(missing),
                        field=field,
                        example=repr(get(missing[0], field)),
                    )
                    break
