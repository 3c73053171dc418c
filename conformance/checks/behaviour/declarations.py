"""What lint checks in the behaviour declarations of an OpenAPI document.

``x-pagination`` (a registered pager kind and its keys), ``x-filters`` (registered filter
kinds, their keys, parameters the operation declares), ``x-item`` and ``x-state-model``
(operations and parameters that exist, a consistent set of states). Each finding is
(rule, message, JSON pointer in the OpenAPI document).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from conformance.checks.behaviour.filtering import FILTERS
from conformance.checks.behaviour.paging import PAGERS
from conformance.engine.openapi import Operation

__all__ = ["declaration_issues"]

Issue = tuple[str, str, str]
POINTER_KEYS = frozenset({"items", "total", "key", "next", "prev", "self", "field", "lon", "lat"})
RANGE_TYPES = ("number", "date", "date-time")


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _keys(
    rule: str, where: str, spec: dict[str, Any], required: Sequence[str], optional: Sequence[str]
) -> Iterator[Issue]:
    for name in required:
        if name not in spec:
            yield (
                rule,
                f"missing {name!r} (kind {spec.get('kind')!r} needs {', '.join(required)})",
                where,
            )
    for name in sorted(set(spec) - set(required) - set(optional) - {"kind"}):
        yield (
            rule,
            f"unknown key {name!r}; known: {', '.join([*required, *optional])}",
            f"{where}/{_esc(name)}",
        )
    for name in sorted(set(spec) & POINTER_KEYS):
        value = spec[name]
        if not (isinstance(value, str) and (value == "" or value.startswith("/"))):
            yield (
                rule,
                f"{name}={value!r} is not a JSON pointer (it starts with /)",
                f"{where}/{name}",
            )


def _query_params(op: Operation) -> set[str]:
    return {p.name for p in op.parameters if p.location == "query"}


def _pagination(op: Operation) -> Iterator[Issue]:
    spec = op.extensions.get("x-pagination")
    where = f"{op.pointer}/x-pagination"
    if spec is None:
        return
    if not isinstance(spec, dict):
        yield "behaviour-pagination", "x-pagination must be an object", where
        return
    kind = str(spec.get("kind", "page"))
    pager = PAGERS.get(kind)
    if pager is None:
        yield (
            "behaviour-pagination",
            f"kind={kind!r} is no registered pager; known: {', '.join(sorted(PAGERS))}",
            where,
        )
        return
    if "kind" not in spec:
        # The original page-number declaration: only what its scenario needs to run; its
        # parameters were never required to be declared, and standards rely on that.
        for name in ("page_param", "size_param", "items", "total"):
            if name not in spec:
                yield "behaviour-pagination", f"missing {name!r}", where
        return
    optional = pager.optional if kind != "page" else ("total", "key", "max_size")
    required = pager.required if kind != "page" else ("page_param", "size_param", "items", "total")
    yield from _keys("behaviour-pagination", where, spec, required, optional)
    for name in ("page_param", "size_param", "offset_param", "limit_param", "cursor_param"):
        if name in spec and spec[name] not in _query_params(op):
            yield (
                "behaviour-pagination",
                f"{name}={spec[name]!r} is not a query parameter of {op.target}",
                f"{where}/{name}",
            )
    if "max_size" in spec and not (isinstance(spec["max_size"], int) and spec["max_size"] >= 1):
        yield (
            "behaviour-pagination",
            "max_size must be an integer of 1 or more",
            f"{where}/max_size",
        )


def _filters(op: Operation) -> Iterator[Issue]:
    declared = op.extensions.get("x-filters")
    where = f"{op.pointer}/x-filters"
    if declared is None:
        return
    if not isinstance(declared, list):
        yield "behaviour-filter", "x-filters must be a list", where
        return
    if not isinstance(op.extensions.get("x-pagination"), dict):
        yield "behaviour-filter", "x-filters needs x-pagination on the same operation", where
    for index, spec in enumerate(declared):
        here = f"{where}/{index}"
        if not isinstance(spec, dict):
            yield "behaviour-filter", "a filter must be an object", here
            continue
        kind = str(spec.get("kind", "equals"))
        strategy = FILTERS.get(kind)
        if strategy is None:
            yield (
                "behaviour-filter",
                f"kind={kind!r} is no registered filter; known: {', '.join(sorted(FILTERS))}",
                here,
            )
            continue
        if "kind" not in spec:  # the original equality filter: as loose as it always was
            for name in ("param", "field"):
                if name not in spec:
                    yield "behaviour-filter", f"missing {name!r}", here
            continue
        yield from _keys("behaviour-filter", here, spec, strategy.required, strategy.optional)
        for name in ("param", "min_param", "max_param"):
            if name in spec and spec[name] not in _query_params(op):
                yield (
                    "behaviour-filter",
                    f"{name}={spec[name]!r} is not a query parameter of {op.target}",
                    f"{here}/{name}",
                )
        if "values" in spec and not (isinstance(spec["values"], list) and spec["values"]):
            yield "behaviour-filter", "values must be a non-empty list", f"{here}/values"
        if kind == "range" and spec.get("type") not in RANGE_TYPES:
            yield (
                "behaviour-filter",
                f"type must be one of {', '.join(RANGE_TYPES)}",
                f"{here}/type",
            )
        if kind == "sort" and spec.get("order") not in ("asc", "desc"):
            yield "behaviour-filter", "order must be asc or desc", f"{here}/order"


def _operation(
    rule: str, where: str, entry: Any, by_id: dict[str, Operation], default: Operation, param: bool
) -> Iterator[Issue]:
    if not isinstance(entry, dict):
        yield rule, "must be an object", where
        return
    target = by_id.get(str(entry.get("operationId", default.operation_id)))
    if target is None:
        yield rule, f"operationId={entry.get('operationId')!r} names no operation", where
        return
    if param:
        name = entry.get("param")
        if name not in {p.name for p in target.parameters if p.location == "path"}:
            yield (
                rule,
                f"param={name!r} is not a path parameter of {target.target}",
                f"{where}/param",
            )


def _item(op: Operation, by_id: dict[str, Operation]) -> Iterator[Issue]:
    spec = op.extensions.get("x-item")
    where = f"{op.pointer}/x-item"
    if spec is None:
        return
    yield from _operation("behaviour-item", where, spec, by_id, op, True)
    if isinstance(spec, dict):
        yield from _keys("behaviour-item", where, spec, ("operationId", "param", "key"), ())
    if not isinstance(op.extensions.get("x-pagination"), dict):
        yield "behaviour-item", "x-item needs x-pagination on the same operation", where


def _state_model(op: Operation, by_id: dict[str, Operation]) -> Iterator[Issue]:
    spec = op.extensions.get("x-state-model")
    where = f"{op.pointer}/x-state-model"
    rule = "behaviour-state-model"
    if spec is None:
        return
    if not isinstance(spec, dict):
        yield rule, "x-state-model must be an object", where
        return
    known = ("create", "read", "list", "delete", "state", "initial", "transition", "transitions")
    for name in sorted(set(spec) - set(known)):
        yield rule, f"unknown key {name!r}; known: {', '.join(known)}", f"{where}/{_esc(name)}"
    if "create" not in spec:
        yield rule, "missing 'create' (operationId and id, the pointer to the new id)", where
    else:
        yield from _operation(rule, f"{where}/create", spec["create"], by_id, op, False)
        if isinstance(spec["create"], dict) and not str(spec["create"].get("id", "")).startswith(
            "/"
        ):
            yield (
                rule,
                "create.id must be a JSON pointer to the new id in the answer",
                f"{where}/create",
            )
    for part in ("read", "delete", "transition"):
        if part in spec:
            yield from _operation(rule, f"{where}/{part}", spec[part], by_id, op, True)
    if "list" in spec:
        yield from _operation(rule, f"{where}/list", spec["list"], by_id, op, False)
        listed = by_id.get(str((spec["list"] or {}).get("operationId", "")))
        if listed is not None and not isinstance(listed.extensions.get("x-pagination"), dict):
            yield rule, f"list: {listed.target} declares no x-pagination", f"{where}/list"
    transitions = spec.get("transitions")
    if transitions is None:
        if "transition" in spec:
            yield rule, "transition needs transitions (state: [allowed next states])", where
        return
    if not isinstance(transitions, dict) or not all(
        isinstance(v, list) for v in transitions.values()
    ):
        yield rule, "transitions must map each state to a list of states", f"{where}/transitions"
        return
    states = {str(k) for k in transitions}
    for source, targets in transitions.items():
        for target in targets:
            if str(target) not in states:
                yield (
                    rule,
                    f"{source} -> {target}: {target!r} is not a state (a key of transitions)",
                    f"{where}/transitions/{_esc(str(source))}",
                )
    if "initial" in spec and str(spec["initial"]) not in states:
        yield rule, f"initial={spec['initial']!r} is not a state", f"{where}/initial"
    for name in ("state", "transition"):
        if name not in spec:
            yield rule, f"missing {name!r}: a model with transitions needs it", where
    if isinstance(spec.get("transition"), dict):
        refused = spec["transition"].get("refused", 409)
        target = by_id.get(str(spec["transition"].get("operationId", op.operation_id)))
        if not isinstance(refused, int) or isinstance(refused, bool):
            yield rule, f"refused={refused!r} is not a status code", f"{where}/transition"
        elif target is not None and target.response_for(refused) is None:
            yield (
                rule,
                f"refused={refused} is not a documented status of {target.target}",
                f"{where}/transition",
            )


def _export_view(op: Operation, exports: set[str]) -> Iterator[Issue]:
    spec = op.extensions.get("x-export-view")
    where = f"{op.pointer}/x-export-view"
    rule = "behaviour-export-view"
    if spec is None:
        return
    if not isinstance(spec, dict):
        yield rule, "x-export-view must be an object", where
        return
    yield from _keys(rule, where, spec, ("export", "export_key", "param", "fields"), ())
    if "export" in spec and spec["export"] not in exports:
        known = ", ".join(sorted(exports)) or "none"
        yield rule, f"export={spec['export']!r} is no export of the standard; known: {known}", where
    if "param" in spec and spec["param"] not in {
        p.name for p in op.parameters if p.location == "path"
    }:
        yield rule, f"param={spec['param']!r} is not a path parameter of {op.target}", where
    fields = spec.get("fields")
    if "fields" in spec and not (
        isinstance(fields, dict)
        and fields
        and all(isinstance(v, str) and v.startswith("/") for v in fields.values())
    ):
        yield rule, "fields must map export fields to JSON pointers in the API's item", where


def declaration_issues(operations: Sequence[Operation], exports: Sequence[str] = ()) -> list[Issue]:
    """Every malformed behaviour declaration of these operations."""
    by_id = {op.operation_id: op for op in operations if op.operation_id}
    issues: list[Issue] = []
    for op in operations:
        issues += _pagination(op)
        issues += _filters(op)
        issues += _item(op, by_id)
        issues += _state_model(op, by_id)
        issues += _export_view(op, set(exports))
    return issues
