"""A bounded HTTP client: every wait has a timeout, every read a size cap.

The candidate is hostile input, so nothing here trusts it: redirects are not followed
(credentials never travel to another host), proxies from the environment are ignored,
and a body larger than the cap is cut and flagged. Content-Encoding is undone here, not
by urllib3, so the cap holds for the decompressed size too (a gzip bomb expands ~1000:1).
An https candidate must present a certificate the trusted CAs sign; verification is
never switched off, only the CA bundle can be named.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BODY = 10 * 1024 * 1024
_CHUNK = 64 * 1024
# Codings this client undoes itself (and the only ones it asks for).
ACCEPT_ENCODING = "gzip, deflate"
# Sent with every request besides its own headers (curl lines repeat them).
SESSION_HEADERS = {"Accept-Encoding": ACCEPT_ENCODING, "Connection": "close"}


class TransportError(Exception):
    """The exchange did not complete: refused, reset, timed out."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind  # connection, timeout, protocol, tls
        super().__init__(message)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass
class HttpResponse:
    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    elapsed_s: float
    truncated: bool = False
    # Why the body is not the one the candidate meant to send: over the cap, an unknown
    # Content-Encoding, corrupt compressed data. None when the body is complete.
    problem: str | None = None
    _json: Any = field(default=None, repr=False)

    @property
    def media_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return value.split(";", 1)[0].strip().lower() if value else None


@dataclass(frozen=True)
class Limits:
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_body: int = DEFAULT_MAX_BODY
    rate_limit: float | None = None  # requests per second, across all threads
    retries_429: int = 3
    max_retry_wait_s: float = 30.0
    ca_bundle: str | None = None  # PEM file of the CAs trusted for https (default: certifi's)

    @property
    def verify(self) -> str:
        return self.ca_bundle or DEFAULT_CA_BUNDLE_PATH


def tls_context(limits: Limits) -> ssl.SSLContext:
    """The trust requests applies: the CA bundle given, else certifi's; hostnames checked."""
    return ssl.create_default_context(cafile=limits.verify)


def probe(base_url: str, limits: Limits) -> str | None:
    """None when ``base_url`` accepts a connection (and, for https, a trusted TLS handshake)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=5) as sock:
            if parts.scheme == "https":
                sock.settimeout(min(5.0, limits.timeout_s))
                # waits (issue 15 item 3): a handshake trickled a byte at a time is cut too
                watch = _Watch()
                watch.attach(sock)
                watch.start(min(5.0, limits.timeout_s))
                try:
                    with tls_context(limits).wrap_socket(sock, server_hostname=host):
                        pass
                finally:
                    watch.cancel()
    except ssl.SSLError as exc:
        return f"base_url={base_url} {tls_reason(exc)}"
    except OSError as exc:
        return f"base_url={base_url} accepts no connection ({exc.strerror or exc})"
    return None


def tls_reason(exc: BaseException) -> str:
    """A TLS failure in words a user can act on."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(exc, ssl.SSLCertVerificationError):
        detail = getattr(exc, "verify_message", None) or text.rsplit(": ", 1)[-1].strip("()'\"")
        return (
            f"TLS certificate not trusted: {detail} "
            "(give the CA that signed it with --ca-bundle PATH)"
        )
    return f"TLS handshake failed: {_reason(exc) if isinstance(exc, Exception) else text}"


def retry_after_seconds(value: str | None, attempt: int, cap: float) -> float:
    """Seconds to wait before retrying a 429: Retry-After (seconds or HTTP date), else backoff."""
    wait = 0.5 * (2**attempt)
    if value:
        value = value.strip()
        if value.isdigit():
            wait = float(value)
        else:
            from email.utils import parsedate_to_datetime

            try:
                when = parsedate_to_datetime(value)
                wait = when.timestamp() - time.time()
            except (TypeError, ValueError):
                pass
    return float(max(0.0, min(wait, cap)))


class _Watch:
    """The deadline of one exchange: when it passes, the exchange's socket is shut.

    ``requests``' read timeout bounds each read of the socket, not the exchange: a candidate
    sending its status line and headers a byte at a time, or ``100 Continue`` forever, never
    lets one read wait long.  Shutting the socket wakes whatever read or write is blocked.
    The socket is attached as it is made (before the request is sent), so the bound holds
    from the connection to the body's last byte.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.fired = False
        self._timer: threading.Timer | None = None

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            socks = list(self._socks)
        for sock in socks:
            _shutdown(sock)

    def start(self, seconds: float) -> None:
        self._timer = threading.Timer(max(0.0, seconds), self.fire)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


# The watch of the exchange this thread is making (each thread makes one at a time).
_current = threading.local()


def _attach_new(sock: socket.socket) -> socket.socket:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(sock)
    return sock


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _attach_new(super()._new_conn())


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _attach_new(super()._new_conn())  # before the TLS handshake


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections hand their socket to the exchange's watch."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


class Client:
    """One ``requests.Session`` per thread, with limits applied to every exchange.

    ``remaining`` gives the seconds left in the run's budget (``--max-duration``), or None:
    no exchange and no wait for a 429's retry outlasts it.
    """

    def __init__(
        self, limits: Limits | None = None, remaining: Callable[[], float | None] | None = None
    ) -> None:
        self.limits = limits or Limits()
        self.remaining = remaining or (lambda: None)
        self._local = threading.local()
        self._rate_lock = threading.Lock()
        self._next_slot = 0.0
        self.sent = 0  # requests on the wire, retries included
        self.retried = 0

    def _wait_for_slot(self) -> None:
        rate = self.limits.rate_limit
        if not rate:
            return
        with self._rate_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / rate
        if slot > now:
            left = self.remaining()
            if left is not None and slot - now > left:
                # waits: the rate limit's next slot comes after the run's budget ends
                time.sleep(left)
                raise TransportError(
                    "timeout", "the run's --max-duration ended before --rate-limit allowed it"
                )
            time.sleep(slot - now)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxies or netrc credentials from the environment
            adapter = _WatchedAdapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # Connection: close puts each exchange on its own connection
            session.headers.update(SESSION_HEADERS)
            self._local.session = session
        return session

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send, retrying a 429 up to ``retries_429`` times as Retry-After says (bounded)."""
        attempt = 0
        while True:
            response = self._send_once(request)
            if response.status != 429 or attempt >= self.limits.retries_429:
                return response
            wait = retry_after_seconds(response.headers.get("Retry-After"), attempt, float("inf"))
            left = self.remaining()
            if wait > self.limits.max_retry_wait_s or (left is not None and wait >= left):
                # waits (issue 15 item 3): a retry later than the client waits, or than the
                # run's budget lasts, is not waited for: the 429 is the answer (a huge
                # Retry-After held every request max_retry_wait_s per retry before)
                return response
            attempt += 1
            self.retried += 1
            time.sleep(wait)

    def _send_once(self, request: HttpRequest) -> HttpResponse:
        self._wait_for_slot()
        self.sent += 1
        limits = self.limits
        started = time.monotonic()
        # waits (issue 15 item 3): one deadline for the whole exchange (connection, status
        # line, headers, body), never past the run's budget
        allowed = limits.timeout_s
        left = self.remaining()
        if left is not None:
            allowed = max(0.0, min(allowed, left))
        deadline = started + allowed
        watch = _Watch()
        watch.start(allowed)
        _current.watch = watch
        no_response = f"no response {_within(allowed, limits)}"
        try:
            raw = self._session().request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=(max(0.001, min(5.0, allowed)), limits.timeout_s),
                allow_redirects=False,
                stream=True,
                verify=limits.verify,
            )
        except BaseException as exc:
            watch.cancel()
            if watch.fired or isinstance(exc, requests.Timeout):
                raise TransportError("timeout", no_response) from exc
            if isinstance(exc, requests.exceptions.SSLError):
                raise TransportError("tls", tls_reason(_innermost(exc))) from exc
            if isinstance(exc, requests.ConnectionError):
                raise TransportError("connection", _reason(exc)) from exc
            if isinstance(exc, requests.RequestException):
                raise TransportError("protocol", _reason(exc)) from exc
            raise
        finally:
            _current.watch = None
        if watch.fired:  # http.client takes the shut socket's end for the end of the headers
            with contextlib.suppress(Exception):
                raw.close()
            raise TransportError("timeout", no_response)
        body = _Body(limits.max_body, raw.headers.get("Content-Encoding"))
        # A trickle of bytes keeps every single read under the timeout; the watch shuts
        # the socket at the deadline so the whole exchange is bounded too.
        sock = getattr(getattr(raw.raw, "connection", None), "sock", None)
        watch.attach(sock)
        incomplete = f"body not complete {_within(allowed, limits)}"
        try:
            with raw:
                # undecoded: _Body decompresses with the cap on what comes out
                for chunk in raw.raw.stream(_CHUNK, decode_content=False):
                    if body.add(chunk) or time.monotonic() > deadline:
                        break
                else:
                    body.finish()
        except Exception as exc:  # whatever the shut socket raises inside requests/urllib3
            if watch.fired or time.monotonic() >= deadline - 0.01:
                raise TransportError("timeout", incomplete) from exc
            raise TransportError("protocol", _body_reason(exc)) from exc
        finally:
            watch.cancel()
            # One exchange per connection: bytes a candidate sends after its Content-Length
            # (at once or a moment later) would otherwise be read as the next request's answer.
            _shutdown(sock)
        if time.monotonic() > deadline and not body.over:
            raise TransportError("timeout", incomplete)
        return HttpResponse(
            status=raw.status_code,
            headers=raw.headers,
            body=body.content(),
            elapsed_s=time.monotonic() - started,
            truncated=body.over,
            problem=body.problem,
        )


class _Body:
    """A body kept up to ``cap`` bytes, gzip or deflate undone with the cap on the output.

    ``add`` returns True when reading should stop: the cap is passed or the data is corrupt.
    """

    def __init__(self, cap: int, encoding: str | None) -> None:
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0
        self.over = False
        self.problem: str | None = None
        self._inflate: Any = None
        codings = [c.strip().lower() for c in (encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        self.coding = codings[0] if len(codings) == 1 else None
        if self.coding == "x-gzip":
            self.coding = "gzip"
        if codings and self.coding not in ("gzip", "deflate"):
            # kept as sent (capped); the checks say why it cannot be read
            self.coding = None
            self.problem = (
                f"Content-Encoding {encoding!r} not supported: expected gzip, deflate or identity"
            )

    def content(self) -> bytes:
        return b"".join(self.parts)

    def _keep(self, data: bytes) -> bool:
        room = self.cap - self.size
        if len(data) > room:
            self.parts.append(data[:room])
            self.size = self.cap
            self.over = True
            how = f" after {self.coding} decompression" if self.coding else ""
            self.problem = f"body over {self.cap} bytes{how}: cut at the cap"
            return True
        self.parts.append(data)
        self.size += len(data)
        return False

    def add(self, data: bytes) -> bool:
        if self.coding is None:
            return self._keep(data)
        try:
            while data:
                if self._inflate is None:
                    self._inflate = zlib.decompressobj(self._wbits(data))
                # one byte past the room tells "over the cap" without inflating further
                out = self._inflate.decompress(data, self.cap - self.size + 1)
                if self._keep(out):
                    return True
                data = self._inflate.unconsumed_tail
                if self._inflate.eof:
                    data = self._inflate.unused_data  # a next gzip member, if any
                    self._inflate = None
        except zlib.error as exc:
            self.problem = f"{self.coding} body cannot be decompressed: {exc}"
            return True
        return False

    def _wbits(self, first: bytes) -> int:
        if self.coding == "gzip":
            return 47  # gzip, or zlib as some servers send
        # "deflate" is zlib-wrapped by the RFC; some servers send it raw
        zlib_header = (
            len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        )
        return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS

    def finish(self) -> None:
        """The stream ended: a compressed body must end with its stream's end."""
        if self._inflate is not None and not self._inflate.eof and self.problem is None:
            self.problem = f"{self.coding} body ends before its compressed stream does"


def _within(allowed: float, limits: Limits) -> str:
    if allowed >= limits.timeout_s:
        return f"within {limits.timeout_s}s"
    return f"within {allowed:.2f}s (what was left of the run's --max-duration)"


def _shutdown(sock: socket.socket | None) -> None:
    """Shut an exchange's socket: wakes a blocked read; the pool then never reuses it."""
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the causes requests and urllib3 wrap inside it, outermost first."""
    chain = [exc]
    while len(chain) < 12:
        current = chain[-1]
        inner = next((a for a in current.args if isinstance(a, BaseException)), None)
        reason = getattr(current, "reason", None)
        for candidate in (inner, reason, current.__cause__, current.__context__):
            if isinstance(candidate, BaseException) and candidate not in chain:
                chain.append(candidate)
                break
        else:
            break
    return chain


def _innermost(exc: BaseException) -> BaseException:
    """The ssl error under requests' and urllib3's wrappers."""
    return next((e for e in _chain(exc) if isinstance(e, ssl.SSLError)), exc)


def _reason(exc: BaseException) -> str:
    """The cause a user can act on: the socket error's words, not nested reprs."""
    chain = _chain(exc)
    for inner in reversed(chain):
        if isinstance(inner, OSError) and inner.strerror:
            return inner.strerror
    text = str(chain[-1])
    return text.rsplit(": ", 1)[-1].strip("()'\"") if text else type(chain[-1]).__name__


def _body_reason(exc: BaseException) -> str:
    chain = _chain(exc)
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return "connection reset in the middle of the body"
    if any("IncompleteRead" in str(e) or type(e).__name__ == "IncompleteRead" for e in chain):
        return "connection closed in the middle of the body (before its Content-Length)"
    return f"body not read: {_reason(exc)}"
