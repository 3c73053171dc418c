"""A bounded HTTP client: every wait has a timeout, every read a size cap.

The candidate is hostile input, so nothing here trusts it: redirects are not followed
(credentials never travel to another host), proxies from the environment are ignored,
and a body larger than the cap is cut and flagged.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BODY = 10 * 1024 * 1024
_CHUNK = 64 * 1024


class TransportError(Exception):
    """The exchange did not complete: refused, reset, timed out."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind  # connection, timeout, protocol
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


class Client:
    """One ``requests.Session`` per thread, with limits applied to every exchange."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
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
            time.sleep(slot - now)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxies or netrc credentials from the environment
            self._local.session = session
        return session

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send, retrying a 429 up to ``retries_429`` times as Retry-After says (bounded)."""
        attempt = 0
        while True:
            response = self._send_once(request)
            if response.status != 429 or attempt >= self.limits.retries_429:
                return response
            wait = retry_after_seconds(
                response.headers.get("Retry-After"), attempt, self.limits.max_retry_wait_s
            )
            attempt += 1
            self.retried += 1
            time.sleep(wait)

    def _send_once(self, request: HttpRequest) -> HttpResponse:
        self._wait_for_slot()
        self.sent += 1
        limits = self.limits
        started = time.monotonic()
        deadline = started + limits.timeout_s
        try:
            raw = self._session().request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=(min(5.0, limits.timeout_s), limits.timeout_s),
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout as exc:
            raise TransportError("timeout", f"no response within {limits.timeout_s}s") from exc
        except requests.ConnectionError as exc:
            raise TransportError("connection", _reason(exc)) from exc
        except requests.RequestException as exc:
            raise TransportError("protocol", _reason(exc)) from exc
        chunks: list[bytes] = []
        size = 0
        truncated = False
        # A trickle of bytes keeps every single read under the timeout; the watchdog shuts
        # the socket at the deadline so the whole exchange is bounded too.
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shutdown, (raw,))
        watchdog.daemon = True
        watchdog.start()
        try:
            with raw:
                for chunk in raw.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > limits.max_body:
                        truncated = True
                        chunks.append(chunk[: len(chunk) - (size - limits.max_body)])
                        break
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        break
        except Exception as exc:  # whatever the shut socket raises inside requests/urllib3
            if time.monotonic() >= deadline - 0.01:
                raise TransportError(
                    "timeout", f"body not complete within {limits.timeout_s}s"
                ) from exc
            raise TransportError("protocol", _reason(exc)) from exc
        finally:
            watchdog.cancel()
        if time.monotonic() > deadline and not truncated:
            raise TransportError("timeout", f"body not complete within {limits.timeout_s}s")
        return HttpResponse(
            status=raw.status_code,
            headers=raw.headers,
            body=b"".join(chunks),
            elapsed_s=time.monotonic() - started,
            truncated=truncated,
        )


def _shutdown(raw: requests.Response) -> None:
    """Wake a read blocked on a slow candidate by shutting its socket down."""
    import socket

    connection = getattr(raw.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _reason(exc: Exception) -> str:
    text = str(exc)
    # urllib3 nests reasons; the last clause is the one a user can act on.
    return text.rsplit(": ", 1)[-1].strip("()'\"") if text else type(exc).__name__
