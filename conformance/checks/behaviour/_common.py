"""What the behaviour scenarios share: reading answers, item keys, declared lists."""

from __future__ import annotations

import json
from typing import Any

from conformance.engine.exchange import Exchange, RequestCase
from conformance.engine.openapi import Operation
from conformance.engine.scenario import ScenarioContext, pointer_get

# How many pages a walk over a list may read (each a request): the page budget.
PAGE_BUDGET = 12


def body_of(exchange: Exchange | None) -> Any:
    """The JSON body of a 2xx answer, else None."""
    if exchange is None or not 200 <= exchange.response.status < 300:
        return None
    try:
        return exchange.json()
    except ValueError:
        return None


def get(item: Any, pointer: str) -> Any:
    """The value at ``pointer`` or None (a missing member is no match, never a crash)."""
    try:
        return pointer_get(item, pointer)
    except LookupError:
        return None


def item_key(item: Any, pointer: str | None = None) -> str:
    """The identity of a listed item: its declared key, else the whole item."""
    value = get(item, pointer) if pointer else item
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def required_case(ctx: ScenarioContext, operation: Operation) -> RequestCase:
    """The operation's documented example, required parts only (optional filters narrow)."""
    from conformance.engine.cases import example_case

    example = example_case(operation)
    if example is None:
        return RequestCase(source="scenario")
    required = {p.name for p in operation.parameters if p.required}
    return RequestCase(
        dict(example.path_params),
        {k: v for k, v in example.query.items() if k in required},
        {k: v for k, v in example.headers.items() if k in required},
        source="scenario",
    )
