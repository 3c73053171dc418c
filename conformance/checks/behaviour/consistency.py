"""Consistency between views: an item in a list equals the same item fetched alone.

``x-item`` on a list operation names the operation that reads one item (``operationId``),
the parameter it takes (``param``) and where the item's key is (``key``, a JSON pointer).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.checks._registry import Problem, problem
from conformance.checks.behaviour._common import body_of, get
from conformance.checks.behaviour.paging import walk
from conformance.checks.scenarios import scenario
from conformance.engine.exchange import RequestCase
from conformance.engine.openapi import Operation
from conformance.engine.scenario import ScenarioContext

__all__ = ["first_difference", "view_consistency"]

ITEMS_COMPARED = 5


def _applies(op: Operation, operations: list[Operation]) -> bool:
    return isinstance(op.extensions.get("x-item"), dict) and isinstance(
        op.extensions.get("x-pagination"), dict
    )


def first_difference(left: Any, right: Any, pointer: str = "") -> str | None:
    """The JSON pointer of the first place two documents differ, or None when equal."""
    if isinstance(left, dict) and isinstance(right, dict):
        for name in sorted(set(left) | set(right)):
            if name not in left or name not in right:
                return f"{pointer}/{name}"
            found = first_difference(left[name], right[name], f"{pointer}/{name}")
            if found is not None:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return pointer or "/"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{pointer}/{index}")
            if found is not None:
                return found
        return None
    same = type(left) is type(right) or (
        isinstance(left, (int, float)) and isinstance(right, (int, float))
    )
    return None if same and left == right else (pointer or "/")


@scenario("view_consistency", "List and detail agree", _applies)
def view_consistency(ctx: ScenarioContext) -> Iterator[Problem]:
    """An item in the list equals the same item read alone (x-item)."""
    declared = ctx.operation.extensions["x-item"]
    detail = ctx.operation_by_id(str(declared.get("operationId", "")))
    if detail is None:
        return
    paging = ctx.operation.extensions["x-pagination"]
    listing = walk(ctx, ctx.operation, paging, ITEMS_COMPARED, ctx.base_case(), 1)
    if not listing.pages:
        return
    for item in listing.items[:ITEMS_COMPARED]:
        key = get(item, str(declared["key"]))
        if key is None:
            continue
        alone = body_of(
            ctx.send(RequestCase({str(declared["param"]): key}, source="scenario"), detail)
        )
        if alone is None:
            yield problem("problem.listed_unreadable", cause="listed-unreadable", id=repr(key))
            return
        where = first_difference(item, alone)
        if where is not None:
            yield problem(
                "problem.view_mismatch",
                cause=f"view:{where}",
                id=repr(key),
                at=where,
                listed=repr(get(item, where))[:200],
                alone=repr(get(alone, where))[:200],
            )
            return
