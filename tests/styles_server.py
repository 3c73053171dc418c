"""A strict candidate for tests/data/styles: it reads every parameter the way its `style`
and `explode` say (OpenAPI Parameter Object) and refuses, with 400, anything else.

A request serialised in another style (an array as repeated keys where ``explode: false``
says one comma-separated value, a free-form object as one literal ``extra=`` key) is read
as invalid and refused, so a suite that sends valid requests wrongly gets "valid request
rejected"; an invalid request read as valid is answered 200, so a suite whose invalid
request is valid on the wire gets "invalid input accepted".  It negotiates on Accept:
``application/json`` or ``application/geo+json``, else 406.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

WORD = re.compile(r"^[a-z]{1,6}$")
SERVED = ("application/json", "application/geo+json")


class Invalid(Exception):
    pass


def _int(text: str, low: int, high: int) -> int:
    if not re.fullmatch(r"0|[1-9][0-9]*", text) or not low <= int(text) <= high:
        raise Invalid(f"{text!r} is not an integer in [{low}, {high}]")
    return int(text)


def _word(text: str) -> str:
    if not WORD.fullmatch(text):
        raise Invalid(f"{text!r} does not match {WORD.pattern}")
    return text


def _count(items: list[Any], low: int, high: int) -> list[Any]:
    if not low <= len(items) <= high:
        raise Invalid(f"{len(items)} items, expected {low} to {high}")
    return items


def _query(raw: str) -> dict[str, str]:
    """Pairs split on & and = before decoding; a key twice is refused."""
    pairs: dict[str, str] = {}
    for part in raw.split("&") if raw else []:
        name, _, value = part.partition("=")
        name = unquote(name)
        if name in pairs:
            raise Invalid(f"query key {name!r} sent twice")
        pairs[name] = value
    return pairs


def _things(segment: str, query: dict[str, str], headers: Any) -> None:
    _count([_int(unquote(i), 1, 999) for i in segment.split(",")], 1, 4)
    for name, raw in query.items():
        if name == "tags":
            items = [unquote(t) for t in raw.split(",")] if raw else []
            for tag in _count(items, 0, 3):
                if tag not in ("red", "green", "blue"):
                    raise Invalid(f"tag {tag!r} not in the enum")
        elif name in ("colors", "words"):
            sep = "|" if name == "colors" else " "
            _count([_word(w) for w in unquote(raw).split(sep)], 1, 3)
        elif name in ("range[min]", "range[max]"):
            _int(unquote(raw), 0, 100)
        elif name == "where":
            value = json.loads(unquote(raw))
            if not isinstance(value, dict) or set(value) != {"near"}:
                raise Invalid(f"where={value!r}, expected an object with near only")
            if not isinstance(value["near"], str):
                raise Invalid(f"where.near={value['near']!r} is not a string")
            _word(value["near"])
        else:
            raise Invalid(f"unknown query key {name!r}")
    ids = headers.get("X-Ids")
    if ids is not None:
        _count([_int(i, 1, 99) for i in ids.split(",")], 1, 3)
    cookie = headers.get("Cookie")
    if cookie is not None:
        name, _, value = cookie.partition("=")
        if name != "session" or not re.fullmatch(r"[a-z]{1,8}", unquote(value)):
            raise Invalid(f"cookie {cookie!r}")


def _labels(segment: str, query: dict[str, str], headers: Any) -> None:
    if not segment.startswith("."):
        raise Invalid(f"label {segment!r} has no leading dot")
    members = dict(m.split("=", 1) for m in segment[1:].split(".") if "=" in m)
    if set(members) != {"x", "y"} or segment.count(".") != 2:
        raise Invalid(f"label {segment!r}, expected .x=N.y=N")
    for value in members.values():
        _int(value, 0, 9)
    for name, raw in query.items():
        if name != "at":
            raise Invalid(f"unknown query key {name!r}")
        if "%2F" in raw or "%3A" in raw:
            raise Invalid(f"at={raw!r}: allowReserved sends / and : as they are")
        if not re.fullmatch(r"[a-z/:]{1,12}", unquote(raw)):
            raise Invalid(f"at={raw!r}")


def _matrix(segment: str, query: dict[str, str], headers: Any) -> None:
    parts = segment.split(";")
    if parts[0] != "" or len(parts) < 2:
        raise Invalid(f"matrix {segment!r} has no leading ;")
    items = []
    for part in parts[1:]:
        name, sep, value = part.partition("=")
        if name != "ids" or not sep:
            raise Invalid(f"matrix member {part!r}, expected ids=...")
        items.append(_word(unquote(value)))
    _count(items, 1, 3)
    if query:
        raise Invalid("no query parameters here")


def _search(segment: str, query: dict[str, str], headers: Any) -> None:
    for name, raw in query.items():
        if name == "limit":
            _int(unquote(raw), 1, 50)
        elif name == "extra":
            raise Invalid("a free-form object travels as its own keys, not as extra=")
        elif len(unquote(raw)) > 10:
            raise Invalid(f"{name}={raw!r} longer than 10")


ROUTES: dict[str, Callable[[str, dict[str, str], Any], None]] = {
    "things": _things,
    "labels": _labels,
    "matrix": _matrix,
}


def _negotiate(accept: str) -> str | None:
    ranked = []
    for index, item in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                q = float(param[2:] or 0)
        for served in SERVED:
            if media in (served, "*/*", "application/*"):
                ranked.append((-q, index, served))
    return min(ranked)[2] if ranked and min(ranked)[0] < 0 else None


class Handler(BaseHTTPRequestHandler):
    log: list[str]

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, media: str, body: dict[str, Any] | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.log.append(self.path)
        parts = urlsplit(self.path)
        steps = parts.path.split("/")
        try:
            query = _query(parts.query)
            if parts.path == "/search":
                _search("", query, self.headers)
            elif len(steps) == 3 and steps[1] in ROUTES:
                ROUTES[steps[1]](steps[2], query, self.headers)
            else:
                self._send(404, "application/problem+json", {"title": "not found"})
                return
        except (Invalid, ValueError, TypeError, KeyError) as exc:
            self._send(400, "application/problem+json", {"title": str(exc)})
            return
        media = _negotiate(self.headers.get("Accept", "*/*"))
        if media is None:
            self._send(406, "", None)
            return
        self._send(200, media, {"ok": True})


def serve_in_thread() -> tuple[ThreadingHTTPServer, str, list[str]]:
    log: list[str] = []
    handler = type("StylesHandler", (Handler,), {"log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", log
