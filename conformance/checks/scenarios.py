"""Scenario checks: small conversations with the candidate, declared by the standard.

Each takes a :class:`ScenarioContext` and yields Problems; it applies only where the
standard declares what it checks (``x-pagination``, ``x-filters``, OpenAPI ``links``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from conformance.checks._registry import Check, Problem, problem, register
from conformance.engine.exchange import Exchange, RequestCase
from conformance.engine.openapi import Operation
from conformance.engine.scenario import ScenarioContext, pointer_get

ScenarioFn = Callable[[ScenarioContext], Iterator[Problem]]
SCENARIOS: dict[str, tuple[ScenarioFn, Callable[[Operation, list[Operation]], bool]]] = {}
MAX_PAGES = 12


def scenario(
    check_id: str, title: str, applies: Callable[[Operation, list[Operation]], bool]
) -> Callable[[ScenarioFn], ScenarioFn]:
    def decorate(func: ScenarioFn) -> ScenarioFn:
        doc = (func.__doc__ or "").strip().splitlines()[0]
        register(Check(check_id, title, doc, "scenario"))
        SCENARIOS[check_id] = (func, applies)
        return func

    return decorate


def _json(exchange: Exchange | None) -> Any:
    if exchange is None or not 200 <= exchange.response.status < 300:
        return None
    try:
        return exchange.json()
    except ValueError:
        return None


def _first_on_path(op: Operation, operations: list[Operation]) -> bool:
    return next(o for o in operations if o.path == op.path) is op


@scenario("method_not_allowed", "Undocumented method gets 405", _first_on_path)
def method_not_allowed(ctx: ScenarioContext) -> Iterator[Problem]:
    """A method the standard does not document on a path is answered with 405."""
    documented = {o.method for o in ctx.operations if o.path == ctx.operation.path}
    method = next(
        m.upper() for m in ("delete", "patch", "put", "post", "get") if m.upper() not in documented
    )
    exchange = ctx.send(ctx.base_case(), method=method)
    if exchange is None:
        return
    if exchange.response.status != 405:
        yield problem(
            "problem.method_not_refused",
            cause=f"{method}:{exchange.response.status}",
            method=method,
            path=ctx.operation.path,
            status=exchange.response.status,
        )


def _paginated(op: Operation, operations: list[Operation]) -> bool:
    return isinstance(op.extensions.get("x-pagination"), dict)


def _page(
    ctx: ScenarioContext,
    spec: dict[str, Any],
    page: int,
    size: int,
    extra: dict[str, Any] | None = None,
) -> tuple[list[Any], Any] | None:
    base = ctx.base_case()
    query = {
        k: v for k, v in base.query.items() if k not in (spec["page_param"], spec["size_param"])
    }
    query.update(extra or {})
    query[spec["page_param"]] = page
    query[spec["size_param"]] = size
    body = _json(ctx.send(RequestCase(base.path_params, query, base.headers, source="scenario")))
    if body is None:
        return None
    try:
        items = pointer_get(body, spec["items"])
        total = pointer_get(body, spec["total"])
    except LookupError:
        return None
    return (items if isinstance(items, list) else []), total


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


@scenario("pagination", "Pagination contract", _paginated)
def pagination(ctx: ScenarioContext) -> Iterator[Problem]:
    """Page size honoured, total consistent with the items, no duplicates or gaps, stable order."""
    spec = ctx.operation.extensions["x-pagination"]
    if spec.get("kind", "page") != "page":  # the other kinds: registered pagers
        from conformance.checks.behaviour.paging import check_walk

        yield from check_walk(ctx, ctx.operation, spec)
        return
    size = 3
    first = _page(ctx, spec, 1, size)
    if first is None:
        yield problem("problem.page_unreadable", cause="unreadable")
        return
    items, total = first
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        yield problem("problem.total_type", cause="total-type", total=repr(total))
        return
    if len(items) > size:
        yield problem(
            "problem.page_size",
            cause="page-size",
            param=spec["size_param"],
            size=size,
            count=len(items),
        )
        return
    if len(items) < min(size, total):
        yield problem(
            "problem.short_page",
            cause="short-page",
            total=total,
            param=spec["size_param"],
            size=size,
            count=len(items),
        )
    again = _page(ctx, spec, 1, size)
    if again is not None and [_key(i) for i in again[0]] != [_key(i) for i in items]:
        yield problem("problem.unstable_order", cause="unstable")
    pages = -(-total // size) if total else 0
    seen: dict[str, int] = {}
    for number in range(1, min(pages, MAX_PAGES) + 1):
        page = items if number == 1 else (_page(ctx, spec, number, size) or ([], total))[0]
        for item in page:
            key = _key(item)
            if key in seen:
                yield problem(
                    "problem.duplicate_across_pages",
                    cause="duplicate",
                    page=number,
                    first=seen[key],
                )
                return
            seen[key] = number
        expected = size if number < pages else total - size * (pages - 1)
        if len(page) != expected:
            yield problem(
                "problem.page_gap",
                cause="gap",
                page=number,
                pages=pages,
                count=len(page),
                expected=expected,
                total=total,
            )
            return


def _filtered(op: Operation, operations: list[Operation]) -> bool:
    return bool(op.extensions.get("x-filters")) and _paginated(op, operations)


@scenario("filters", "Declared filters select what they say", _filtered)
def filters(ctx: ScenarioContext) -> Iterator[Problem]:
    """Every item a filter returns satisfies it; the unfiltered total is at least the filtered."""
    spec = ctx.operation.extensions["x-pagination"]
    declared_kinds = {f.get("kind", "equals") for f in ctx.operation.extensions["x-filters"]}
    if spec.get("kind", "page") != "page" or declared_kinds != {"equals"}:
        from conformance.checks.behaviour.filtering import check_filters  # registered kinds

        yield from check_filters(ctx)
        return
    unfiltered = _page(ctx, spec, 1, 20)
    if unfiltered is None:
        return
    items, total = unfiltered
    for declared in ctx.operation.extensions["x-filters"]:
        param, field = declared["param"], declared["field"]
        values = []
        for item in items:
            try:
                value = pointer_get(item, field)
            except LookupError:
                continue
            if value is not None and not isinstance(value, (dict, list)) and value not in values:
                values.append(value)
        for value in values[:2]:
            result = _page(ctx, spec, 1, 20, {param: value})
            if result is None:
                continue
            found, filtered_total = result
            wrong = [i for i in found if _safe_get(i, field) != value]
            if wrong:
                yield problem(
                    "problem.filter_not_applied",
                    cause=f"filter:{param}",
                    param=param,
                    value=repr(value),
                    count=len(wrong),
                    field=field,
                    example=repr(_safe_get(wrong[0], field)),
                )
                break
            if (
                isinstance(total, int)
                and isinstance(filtered_total, int)
                and filtered_total > total
            ):
                yield problem(
                    "problem.filter_total",
                    cause=f"filter-total:{param}",
                    param=param,
                    value=repr(value),
                    filtered=filtered_total,
                    total=total,
                )
                break
            if not found:
                yield problem(
                    "problem.filter_empty",
                    cause=f"filter-empty:{param}",
                    param=param,
                    value=repr(value),
                )
                break


def _safe_get(item: Any, pointer: str) -> Any:
    try:
        return pointer_get(item, pointer)
    except LookupError:
        return None


def _linked(op: Operation, operations: list[Operation]) -> bool:
    return any(r.links for r in op.responses)


@scenario("links_lifecycle", "Linked resources are readable", _linked)
def links_lifecycle(ctx: ScenarioContext) -> Iterator[Problem]:
    """What an operation's response links to (OpenAPI links) can be read by the linked operation."""
    case = ctx.base_case()
    exchange = ctx.send(case)
    if exchange is None:
        return
    spec = ctx.operation.response_for(exchange.response.status)
    if spec is None or not spec.links or not 200 <= exchange.response.status < 300:
        return
    for name, link in spec.links.items():
        target = ctx.operation_by_id(link.get("operationId", ""))
        if target is None:
            continue
        params: dict[str, Any] = {}
        for param, expression in (link.get("parameters") or {}).items():
            params[param] = _evaluate(expression, exchange)
        location = {p.name: p.location for p in target.parameters}
        path = {k: v for k, v in params.items() if location.get(k) == "path"}
        query = {k: v for k, v in params.items() if location.get(k) == "query"}
        followed = ctx.send(_link_case(link, path, query, target, exchange), target)
        if followed is None:
            continue
        if not 200 <= followed.response.status < 300:
            yield problem(
                "problem.link_unreadable",
                cause=f"link:{name}:{followed.response.status}",
                link=repr(name),
                method=target.method,
                url=followed.request.url,
                status=followed.response.status,
                source=ctx.operation.target,
            )


def _link_case(
    link: dict[str, Any],
    path: dict[str, Any],
    query: dict[str, Any],
    target: Operation,
    exchange: Exchange,
) -> RequestCase:
    """The linked request; a link's ``requestBody`` (a value or a runtime expression) is
    sent as its body, so an operation that needs one is not answered 415 for its lack."""
    if "requestBody" not in link or target.body is None:
        return RequestCase(path, query, source="scenario")
    body = _evaluate(link["requestBody"], exchange)
    return RequestCase(path, query, {}, body, source="scenario")


def _evaluate(expression: Any, exchange: Exchange) -> Any:
    """OpenAPI runtime expressions used by links (the common forms)."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression
    if expression == "$response.body":
        return _json(exchange)
    if expression == "$request.body":
        return exchange.case.body if exchange.case.has_body else None
    if expression.startswith("$response.body#"):
        return _safe_get(_json(exchange), expression.split("#", 1)[1])
    if expression.startswith("$response.header."):
        return exchange.response.headers.get(expression.split(".", 2)[2])
    if expression.startswith("$request.path."):
        return exchange.case.path_params.get(expression.split(".", 2)[2])
    if expression.startswith("$request.query."):
        return exchange.case.query.get(expression.split(".", 2)[2])
    if expression.startswith("$request.body#"):
        return _safe_get(exchange.case.body, expression.split("#", 1)[1])
    return None


__all__ = ["SCENARIOS"]
