"""Pagers: one registered strategy per kind of paging a standard may declare.

``x-pagination`` on a list operation says how its pages are asked for and read; ``kind``
picks the strategy (``page`` when absent). A pager turns "the first page of this size" into a
request and a page's answer into its items, its total (when declared) and the request of the
next page (None on the last). The walk and its checks (no duplicates, no gaps, stable order,
the total, no ``next`` after the last item, ``self`` and ``prev`` links) are the same for
every kind; a new kind is one class here and one ``register_pager`` call.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urljoin, urlsplit

from conformance.checks._registry import Problem, problem
from conformance.checks.behaviour._common import PAGE_BUDGET, body_of, get, item_key
from conformance.engine.exchange import Exchange, RequestCase
from conformance.engine.openapi import Operation
from conformance.engine.scenario import ScenarioContext

__all__ = ["PAGERS", "Page", "Pager", "Walk", "register_pager", "walk"]


@dataclass
class Page:
    items: list[Any]
    total: int | None
    next: RequestCase | None  # the request of the next page; None: this is the last
    exchange: Exchange
    body: Any
    links: dict[str, RequestCase | str] = field(default_factory=dict)  # self, prev (links kind)


class Pager:
    """How one kind of paging is asked for and read."""

    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]] = ("items",)
    optional: ClassVar[tuple[str, ...]] = ("total", "key", "max_size")

    def first(self, spec: dict[str, Any], size: int, base: RequestCase) -> RequestCase:
        raise NotImplementedError

    def next(
        self,
        spec: dict[str, Any],
        case: RequestCase,
        items: list[Any],
        total: int | None,
        body: Any,
    ) -> RequestCase | None:
        raise NotImplementedError

    def links(
        self, spec: dict[str, Any], body: Any, url: str, ctx: ScenarioContext
    ) -> dict[str, Any]:
        return {}


PAGERS: dict[str, Pager] = {}


def register_pager(pager: Pager) -> Pager:
    if pager.kind in PAGERS:
        raise ValueError(f"pager kind={pager.kind!r} registered twice")
    PAGERS[pager.kind] = pager
    return pager


def _with(base: RequestCase, drop: tuple[str, ...], **query: Any) -> RequestCase:
    kept = {k: v for k, v in base.query.items() if k not in drop}
    kept.update({k: v for k, v in query.items() if v is not None})
    return RequestCase(dict(base.path_params), kept, dict(base.headers), source="scenario")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PagePager(Pager):
    kind = "page"
    required = ("page_param", "size_param", "items")

    def first(self, spec: dict[str, Any], size: int, base: RequestCase) -> RequestCase:
        drop = (spec["page_param"], spec["size_param"])
        return _with(base, drop, **{spec["page_param"]: 1, spec["size_param"]: size})

    def next(
        self,
        spec: dict[str, Any],
        case: RequestCase,
        items: list[Any],
        total: int | None,
        body: Any,
    ) -> RequestCase | None:
        page, size = int(case.query[spec["page_param"]]), int(case.query[spec["size_param"]])
        more = page * size < total if total is not None else len(items) >= size
        if not more:
            return None
        drop = (spec["page_param"],)
        return _with(case, drop, **{spec["page_param"]: page + 1})


class OffsetPager(Pager):
    kind = "offset"
    required = ("offset_param", "limit_param", "items")

    def first(self, spec: dict[str, Any], size: int, base: RequestCase) -> RequestCase:
        drop = (spec["offset_param"], spec["limit_param"])
        return _with(base, drop, **{spec["offset_param"]: 0, spec["limit_param"]: size})

    def next(
        self,
        spec: dict[str, Any],
        case: RequestCase,
        items: list[Any],
        total: int | None,
        body: Any,
    ) -> RequestCase | None:
        offset, limit = int(case.query[spec["offset_param"]]), int(case.query[spec["limit_param"]])
        reached = offset + len(items)
        more = reached < total if total is not None else len(items) >= limit
        if not more or not items:
            return None
        return _with(case, (spec["offset_param"],), **{spec["offset_param"]: reached})


class CursorPager(Pager):
    """An opaque token in the body (``next``) asked back with ``cursor_param``."""

    kind = "cursor"
    required = ("cursor_param", "size_param", "items", "next")

    def first(self, spec: dict[str, Any], size: int, base: RequestCase) -> RequestCase:
        drop = (spec["cursor_param"], spec["size_param"])
        return _with(base, drop, **{spec["size_param"]: size})

    def next(
        self,
        spec: dict[str, Any],
        case: RequestCase,
        items: list[Any],
        total: int | None,
        body: Any,
    ) -> RequestCase | None:
        token = get(body, spec["next"])
        if token in (None, ""):
            return None
        return _with(case, (spec["cursor_param"],), **{spec["cursor_param"]: str(token)})


class LinksPager(Pager):
    """Links in the body (``next``, ``prev``, ``self``: pointers to hrefs), followed as given."""

    kind = "links"
    required = ("items", "next")
    optional = ("total", "key", "max_size", "size_param", "prev", "self")

    def first(self, spec: dict[str, Any], size: int, base: RequestCase) -> RequestCase:
        size_param = spec.get("size_param")
        if not size_param:
            return _with(base, ())
        return _with(base, (size_param,), **{size_param: size})

    def next(
        self,
        spec: dict[str, Any],
        case: RequestCase,
        items: list[Any],
        total: int | None,
        body: Any,
    ) -> RequestCase | None:
        raise NotImplementedError  # links need the URL they are relative to: see links()

    def links(
        self, spec: dict[str, Any], body: Any, url: str, ctx: ScenarioContext
    ) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for rel in ("next", "prev", "self"):
            pointer = spec.get(rel)
            href = get(body, pointer) if isinstance(pointer, str) else None
            if isinstance(href, str) and href:
                found[rel] = _follow(href, url, ctx)
        return found


def _follow(href: str, url: str, ctx: ScenarioContext) -> RequestCase | str:
    """The request a link names, or the link itself (a str) when it leaves the operation."""
    absolute = urljoin(url, href)
    target, here = urlsplit(absolute), urlsplit(url)
    if (target.scheme, target.netloc, target.path) != (here.scheme, here.netloc, here.path):
        return absolute  # never followed: another host, or another operation
    query: dict[str, Any] = {}
    for name, value in parse_qsl(target.query, keep_blank_values=True):
        query.setdefault(name, value)
    return RequestCase({}, query, source="scenario")


for _pager in (PagePager(), OffsetPager(), CursorPager(), LinksPager()):
    register_pager(_pager)


@dataclass
class Walk:
    pages: list[Page]
    complete: bool  # reached a page without next within the budget
    problems: list[Problem]

    @property
    def items(self) -> list[Any]:
        return [item for page in self.pages for item in page.items]


def fetch(
    ctx: ScenarioContext, op: Operation, spec: dict[str, Any], case: RequestCase
) -> Page | None:
    """One page: sent, read by the declared pager; None when unreadable."""
    pager = PAGERS[spec.get("kind", "page")]
    case = RequestCase(
        dict(case.path_params) or _path_of(ctx, op),
        dict(case.query),
        dict(case.headers),
        source="scenario",
    )
    exchange = ctx.send(case, op)
    body = body_of(exchange)
    if exchange is None or body is None:
        return None
    items = get(body, spec["items"])
    if not isinstance(items, list):
        return None
    total = _int(get(body, spec["total"])) if spec.get("total") else None
    links: dict[str, Any] = {}
    if pager.kind == "links":
        links = pager.links(spec, body, exchange.request.url, ctx)
        follow = links.get("next")
        nxt = follow if isinstance(follow, RequestCase) else None
    else:
        nxt = pager.next(spec, case, items, total, body)
    return Page(items, total, nxt, exchange, body, links)


def _path_of(ctx: ScenarioContext, op: Operation) -> dict[str, Any]:
    base = ctx.base_case() if op is ctx.operation else RequestCase()
    return dict(base.path_params)


def walk(
    ctx: ScenarioContext,
    op: Operation,
    spec: dict[str, Any],
    size: int,
    base: RequestCase,
    budget: int = PAGE_BUDGET,
) -> Walk:
    """Follow pages from the first until the last or the page budget."""
    pager = PAGERS[spec.get("kind", "page")]
    pages: list[Page] = []
    problems: list[Problem] = []
    case: RequestCase | None = pager.first(spec, size, base)
    while case is not None and len(pages) < budget:
        page = fetch(ctx, op, spec, case)
        if page is None:
            if pages:
                problems.append(problem("problem.page_unreadable", cause="unreadable"))
            return Walk(pages, False, problems)
        pages.append(page)
        case = page.next
    return Walk(pages, case is None, problems)


def check_walk(ctx: ScenarioContext, op: Operation, spec: dict[str, Any]) -> Iterator[Problem]:
    """The paging contract of any kind, within the page budget."""
    size = 3
    base = _base(ctx, op)
    small = walk(ctx, op, spec, size, base)
    yield from small.problems
    if not small.pages:
        yield problem("problem.page_unreadable", cause="unreadable")
        return
    found = list(_page_problems(small, size, spec))
    result = small
    if not found and not small.complete:
        # small pages did not reach the end within the budget: the largest pages do
        size = int(spec.get("max_size", 20))
        result = walk(ctx, op, spec, size, base)
        found = result.problems + list(_page_problems(result, size, spec))
    if found:
        yield found[0]
        return
    kind = spec.get("kind", "page")
    key = spec.get("key")
    total = result.pages[0].total if result.pages else None
    distinct = len({item_key(i, key) for i in result.items})
    if result.complete and total is not None and distinct != total:
        yield problem(
            "problem.walk_total",
            cause=f"walk-total:{kind}",
            total=total,
            count=distinct,
            pages=len(result.pages),
        )
    # stable order: the first page again
    again = fetch(ctx, op, spec, PAGERS[kind].first(spec, 3, base))
    first = small.pages[0]
    if again is not None and [item_key(i, key) for i in again.items] != [
        item_key(i, key) for i in first.items
    ]:
        yield problem("problem.unstable_order", cause="unstable")
    if kind == "links":
        yield from _check_links(ctx, op, spec, small, key)


def _page_problems(result: Walk, size: int, spec: dict[str, Any]) -> Iterator[Problem]:
    """What the pages of one walk show: sizes, duplicates, pages after the last (first only)."""
    key = spec.get("key")
    kind = spec.get("kind", "page")
    seen: dict[str, int] = {}
    for number, page in enumerate(result.pages, start=1):
        if len(page.items) > size:
            yield problem(
                "problem.page_size",
                cause="page-size",
                param=spec.get("size_param") or spec.get("limit_param") or "size",
                size=size,
                count=len(page.items),
            )
            return
        if not page.items and number > 1:
            yield problem("problem.next_after_last", cause=f"next-after-last:{kind}", page=number)
            return
        for item in page.items:
            k = item_key(item, key)
            if k in seen:
                yield problem(
                    "problem.duplicate_across_pages",
                    cause="duplicate",
                    page=number,
                    first=seen[k],
                )
                return
            seen[k] = number
        if page.next is not None and len(page.items) < size:
            following = result.pages[number] if number < len(result.pages) else None
            if following is not None and not following.items:
                yield problem(
                    "problem.next_after_last", cause=f"next-after-last:{kind}", page=number + 1
                )
                return
            yield problem(
                "problem.short_page_not_last",
                cause=f"short-not-last:{kind}",
                page=number,
                count=len(page.items),
                size=size,
            )
            return


def _check_links(
    ctx: ScenarioContext, op: Operation, spec: dict[str, Any], result: Walk, key: str | None
) -> Iterator[Problem]:
    for page in result.pages:
        for rel, target in page.links.items():
            if isinstance(target, str):
                yield problem(
                    "problem.link_leaves", cause=f"link-leaves:{rel}", rel=rel, href=target
                )
                return
    if len(result.pages) < 2:
        return
    second = result.pages[1]
    keys = [item_key(i, key) for i in second.items]
    own = second.links.get("self")
    if spec.get("self") and isinstance(own, RequestCase):
        again = fetch(ctx, op, spec, own)
        if again is None or [item_key(i, key) for i in again.items] != keys:
            yield problem("problem.self_link", cause="self-link", page=2)
    back = second.links.get("prev")
    if spec.get("prev") and isinstance(back, RequestCase):
        previous = fetch(ctx, op, spec, back)
        first = [item_key(i, key) for i in result.pages[0].items]
        if previous is None or [item_key(i, key) for i in previous.items] != first:
            yield problem("problem.prev_link", cause="prev-link", page=2)


def _base(ctx: ScenarioContext, op: Operation) -> RequestCase:
    return ctx.base_case() if op is ctx.operation else RequestCase(source="scenario")
