"""A strict candidate for tests/data/inputs (test.inputs@1.0.0).

It enforces exactly what the standard declares, dependencies between parameters included
(start before end, a box's minimum below its maximum, lat and lon together, cursor or
offset, a csv format with its delimiter), refuses unknown query keys and body members and
missing required ones with 400, a body-less POST with 415, and answers 404 for a record
that does not exist. Faults make it deviate the way real servers do:

- ``unknown-accepted``: unknown body members are accepted at any depth;
- ``no-leap-seconds``: a date-time with second 60 is refused with 400 (its own cause);
- ``slow``: ``GET /slow`` answers after ``slow_s`` seconds;
- ``offset-cap``: ``offset`` above 500 is refused, a constraint the standard does not state.

Every request is logged on arrival as ``> METHOD PATH?QUERY`` and, once answered, as
``METHOD PATH?QUERY -> STATUS``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")


class Invalid(Exception):
    pass


class Unsupported(Exception):
    pass


def _instant(text: str, leap_ok: bool) -> datetime:
    found = DATE_TIME.match(text)
    if not found:
        raise Invalid(f"{text!r} is not an RFC 3339 date-time")
    day, hour, minute, second, fraction, offset = found.groups()
    if second == "60" and not leap_ok:
        raise Invalid(f"{text!r}: leap seconds are not supported")
    zone = "+00:00" if offset in "Zz" else offset
    if offset not in "Zz" and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        raise Invalid(f"{text!r}: offset out of range")
    if second == "60":
        minutes = 0 if offset in "Zz" else int(offset[1:3]) * 60 + int(offset[4:6])
        minutes *= -1 if offset.startswith("-") else 1
        if (int(hour) * 60 + int(minute) - minutes) % 1440 != 23 * 60 + 59:
            raise Invalid(f"{text!r}: a leap second is only at 23:59:60 UTC")
    try:
        value = datetime.fromisoformat(
            f"{day}T{hour}:{minute}:{'59' if second == '60' else second}{fraction or ''}{zone}"
        )
    except ValueError as exc:
        raise Invalid(f"{text!r}: {exc}") from None
    return value + timedelta(microseconds=999_999) if second == "60" else value.astimezone(UTC)


def _int(text: str, low: int, high: int) -> int:
    if not INTEGER.match(text) or not low <= int(text) <= high:
        raise Invalid(f"{text!r} is not an integer in [{low}, {high}]")
    return int(text)


def _query(raw: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in raw.split("&") if raw else []:
        name, _, value = part.partition("=")
        name = unquote(name)
        if name in pairs:
            raise Invalid(f"query key {name!r} sent twice")
        pairs[name] = unquote(value)
    return pairs


def _observations(query: dict[str, str], leap_ok: bool, offset_cap: int = 1000) -> None:
    known = {"start", "end", "bbox", "lat", "lon", "cursor", "offset", "format", "delimiter"}
    unknown = set(query) - known
    if unknown:
        raise Invalid(f"unknown query parameters {sorted(unknown)}")
    start = _instant(query["start"], leap_ok) if "start" in query else None
    end = _instant(query["end"], leap_ok) if "end" in query else None
    if end is not None and start is None:
        raise Invalid("end requires start")
    if start is not None and end is not None and not start < end:
        raise Invalid("start must be before end")
    if "bbox" in query:
        box = [_int(v, -90, 90) for v in query["bbox"].split(",")]
        if len(box) != 4:
            raise Invalid("bbox has four numbers")
        if not (box[0] < box[2] and box[1] < box[3]):
            raise Invalid("bbox minimum must be below its maximum")
    if ("lat" in query) != ("lon" in query):
        raise Invalid("lat and lon go together")
    if "lat" in query:
        _int(query["lat"], -90, 90)
        _int(query["lon"], -180, 180)
    if "cursor" in query and "offset" in query:
        raise Invalid("cursor or offset, not both")
    if "cursor" in query and not re.fullmatch(r"[a-z]{1,8}", query["cursor"]):
        raise Invalid("bad cursor")
    if "offset" in query and _int(query["offset"], 0, 1000) > offset_cap:
        raise Invalid(f"offset above {offset_cap}")
    if query.get("format", "json") not in ("json", "csv"):
        raise Invalid("bad format")
    if query.get("format") == "csv" and "delimiter" not in query:
        raise Invalid("a csv format requires a delimiter")
    if "delimiter" in query and query["delimiter"] not in ("comma", "tab"):
        raise Invalid("bad delimiter")


def _closed(
    value: Any, required: set[str], optional: set[str], where: str, unknown_ok: bool
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{where} is not an object")
    missing = required - set(value)
    if missing:
        raise Invalid(f"{where}: missing {sorted(missing)}")
    extra = set(value) - required - optional
    if extra and not unknown_ok:
        raise Invalid(f"{where}: unknown members {sorted(extra)}")
    return value


def _text(value: Any, low: int, high: int, where: str) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise Invalid(f"{where} is not a string of {low} to {high} characters")


def _record(body: Any, unknown_ok: bool) -> None:
    _closed(body, {"title", "kind", "meta"}, set(), "body", unknown_ok)
    _text(body["title"], 1, 40, "title")
    if body["kind"] not in ("note", "task"):
        raise Invalid("bad kind")
    meta = _closed(body["meta"], {"source"}, {"tags"}, "meta", unknown_ok)
    _text(meta["source"], 1, 20, "meta.source")
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 3:
        raise Invalid("bad tags")
    for tag in tags:
        _text(tag, 0, 8, "tag")


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: dict[str, dict[str, Any]] = {}
        for index, title in enumerate(("first", "second")):
            ident = str(uuid.UUID(int=index + 1, version=4))
            self.records[ident] = {"id": ident, "title": title}

    def add(self, title: str) -> dict[str, Any]:
        with self.lock:
            ident = str(uuid.uuid4())
            self.records[ident] = {"id": ident, "title": title}
            return self.records[ident]


def make_server(
    faults: frozenset[str] = frozenset(), slow_s: float = 0.0
) -> tuple[ThreadingHTTPServer, list[str]]:
    store = Store()
    log: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            with lock:
                log.append(f"{self.command} {self.path} -> {status}")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw or self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                raise Unsupported("a JSON body is required")
            try:
                return json.loads(raw)
            except ValueError:
                raise Invalid("body is not JSON") from None

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def do_PUT(self) -> None:
            self.route("PUT")

        def do_DELETE(self) -> None:
            self.route("DELETE")

        def do_PATCH(self) -> None:
            self.route("PATCH")

        def route(self, method: str) -> None:
            with lock:
                log.append(f"> {method} {self.path}")  # on arrival: a hung answer counts too
            parts = urlsplit(self.path)
            segments = [unquote(s) for s in parts.path.split("/")[1:]]
            try:
                query = _query(parts.query)
                self.dispatch(method, segments, query)
            except Invalid as exc:
                self.answer(400, {"error": str(exc)})
            except Unsupported as exc:
                self.answer(415, {"error": str(exc)})

        def dispatch(self, method: str, segments: list[str], query: dict[str, str]) -> None:
            leap_ok = "no-leap-seconds" not in faults
            unknown_ok = "unknown-accepted" in faults
            if segments == ["observations"] and method == "GET":
                _observations(query, leap_ok, 500 if "offset-cap" in faults else 1000)
                return self.answer(200, {"ok": True})
            if len(segments) == 2 and segments[0] == "notes" and method == "GET":
                return self.answer(200, {"ok": True})
            if segments == ["events"] and method == "GET":
                if set(query) != {"at"}:
                    raise Invalid("at is required, and alone")
                _instant(query["at"], leap_ok)
                return self.answer(200, {"ok": True})
            if segments == ["slow"] and method == "GET":
                if "slow" in faults:
                    time.sleep(slow_s)
                if set(query) - {"n"}:
                    raise Invalid("unknown query parameters")
                if "n" in query:
                    _int(query["n"], 1, 9)
                return self.answer(200, {"ok": True})
            if segments == ["records"] and method == "GET":
                with store.lock:
                    items = list(store.records.values())
                return self.answer(200, {"items": items})
            if segments == ["records"] and method == "POST":
                body = self.body()
                _record(body, unknown_ok)
                return self.answer(201, store.add(body["title"]))
            if len(segments) >= 2 and segments[0] == "records":
                ident = segments[1]
                if segments[2:] == [] and method == "GET":
                    if not UUID.match(ident):
                        raise Invalid("id is a uuid")
                    record = store.records.get(ident)
                    if record is None:
                        return self.answer(404, {"error": "no such record"})
                    return self.answer(200, record)
                if segments[2:] == ["copy"] and method == "POST":
                    body = self.body()
                    if not UUID.match(ident):
                        raise Invalid("id is a uuid")
                    _closed(body, {"title"}, set(), "body", unknown_ok)
                    _text(body["title"], 1, 40, "title")
                    if ident not in store.records:
                        return self.answer(404, {"error": "no such record"})
                    return self.answer(201, store.add(body["title"]))
            return self.answer(405 if segments[0] in ("records", "slow") else 404, {"error": "no"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda *args: None  # type: ignore[method-assign]  # a client gone
    return server, log


def serve_in_thread(
    faults: frozenset[str] = frozenset(), slow_s: float = 0.0
) -> tuple[ThreadingHTTPServer, str, list[str]]:
    server, log = make_server(faults, slow_s)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", log
