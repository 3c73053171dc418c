"""A loopback HTTP/1.1 server on raw sockets that misbehaves on purpose.

``http.server`` cannot lie about Content-Length, stall half-way through a body, reset a
connection or smuggle a second response after the first; this server can. A behaviour
decides what each request gets; it may forward the request to an upstream (the real
reference candidate) to bend a correct answer rather than invent one.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
MAX_REQUEST_BODY = 1024 * 1024
IO_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Reply:
    """An upstream's answer, ready to be bent and sent."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def head(self, **override: str) -> bytes:
        """Status line and headers; ``override`` replaces (or with "" drops) a header."""
        names = {k.replace("_", "-").lower(): v for k, v in override.items()}
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        for name, value in self.headers:
            if name.lower() in names or name.lower() in ("connection", "transfer-encoding"):
                continue
            lines.append(f"{name}: {value}")
        lines += [f"{k.title()}: {v}" for k, v in names.items() if v != ""]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def wire(self, **override: str) -> bytes:
        """The reply as it should be sent, with an exact Content-Length."""
        return self.head(content_length=str(len(self.body)), **override) + self.body


# A behaviour gets the server, the client socket and the request; it returns True to keep
# the connection open for the next request (keep-alive) and False to close it.
Behaviour = Callable[["HostileServer", socket.socket, Request], bool]


def response(status: int, body: bytes = b"", **headers: str) -> bytes:
    """A well-formed response with an exact Content-Length (unless one is given)."""
    fields = {"content-type": "application/json", "content-length": str(len(body))}
    fields.update({k.replace("_", "-").lower(): v for k, v in headers.items()})
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k.title()}: {v}\r\n" for k, v in fields.items())
    return (head + "\r\n").encode("latin-1") + body


def reset(conn: socket.socket) -> None:
    """Close with a TCP reset (RST) rather than an orderly FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@dataclass
class HostileServer:
    behaviour: Behaviour
    upstream: str | None = None  # base URL requests may be forwarded to
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    sent_bytes: int = 0  # what behaviours report sending (gigabyte and bomb cases)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        self.stop.set()
        self._thread.join(5)
        with self._lock:
            open_connections = list(self._open)
        for conn in open_connections:  # wake threads blocked reading an idle keep-alive socket
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def count(self, sent: int) -> None:
        with self._lock:
            self.sent_bytes += sent

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(IO_TIMEOUT_S)
        try:
            if self.tls is not None:
                plain, conn = conn, self.tls.wrap_socket(conn, server_side=True)
                with self._lock:  # the plain socket is detached now: close() must see this one
                    self._open[self._open.index(plain)] = conn
            reader = conn.makefile("rb")
            for _ in range(10_000):  # requests on one keep-alive connection
                request = _read_request(reader)
                if request is None or self.stop.is_set():
                    break
                with self._lock:
                    self.requests.append(request)
                if not self.behaviour(self, conn, request):
                    break
        except (OSError, ValueError):
            pass  # the client went away, or the handshake failed: both are the point
        finally:
            with suppress(OSError):
                conn.close()

    def forward(self, request: Request) -> Reply:
        """The upstream's answer to the same request."""
        assert self.upstream is not None
        parts = urlsplit(self.upstream)
        upstream = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in ("host", "connection")}
            upstream.request(request.method, request.target, request.body or None, headers)
            answer = upstream.getresponse()
            body = answer.read(MAX_REQUEST_BODY * 16)
            return Reply(answer.status, answer.reason, answer.getheaders(), body)
        finally:
            upstream.close()


def _read_request(reader: BinaryIO) -> Request | None:
    readline = reader.readline
    line = readline(MAX_HEAD)
    if not line or not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    size = 0
    while True:
        raw = readline(MAX_HEAD)
        size += len(raw)
        if raw in (b"\r\n", b"\n", b"") or size > MAX_HEAD:
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), MAX_REQUEST_BODY)
    body = reader.read(length) if length else b""
    return Request(method, target, headers, body)


@contextmanager
def hostile(
    behaviour: Behaviour, *, upstream: str | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[HostileServer]:
    server = HostileServer(behaviour, upstream=upstream, tls=tls)
    try:
        yield server
    finally:
        server.close()
