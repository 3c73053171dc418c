"""A request case, the HTTP exchange it produced, and its evidence for reports.

Secrets are handled here once: requests carry the real secret, while every piece of
evidence (headers, curl lines, bodies echoed back) is built from the redacted form.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from conformance.engine.http import HttpRequest, HttpResponse
from conformance.engine.openapi import Operation

if TYPE_CHECKING:
    from conformance.validation import SchemaSet

REDACTED = "[REDACTED]"
EXCERPT_BYTES = 2048
_UNSET: Any = object()


@dataclass(frozen=True)
class RequestCase:
    """What to send, before serialisation: generated or taken from the standard's examples."""

    path_params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = _UNSET
    source: str = "generated"  # or "example"

    # Set on invalid requests: what the one broken constraint is, and its kind
    # (part and keyword, e.g. "body:required"), which keys deduplication.
    mutation: str | None = None
    mutation_kind: str | None = None

    @property
    def has_body(self) -> bool:
        return self.body is not _UNSET


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def build_request(
    base_url: str,
    operation: Operation,
    case: RequestCase,
    auth_headers: dict[str, str],
    method: str | None = None,
) -> HttpRequest:
    path = operation.path
    for name, value in case.path_params.items():
        path = path.replace("{" + name + "}", quote(_scalar(value), safe=""))
    pairs: list[tuple[str, str]] = []
    for name, value in case.query.items():
        # form style, explode: an array repeats the key
        values = value if isinstance(value, list) else [value]
        pairs.extend((name, _scalar(v)) for v in values)
    url = base_url + path + (("?" + urlencode(pairs)) if pairs else "")
    headers = {"Accept": "application/json", "User-Agent": "gov-conformance"}
    headers.update({k: _scalar(v) for k, v in case.headers.items()})
    body = None
    if case.has_body and operation.body is not None:
        headers["Content-Type"] = operation.body.media_type
        body = json.dumps(case.body, ensure_ascii=False).encode("utf-8")
    if operation.secured:
        headers.update(auth_headers)
    return HttpRequest(method or operation.method, url, headers, body)


class Redactor:
    """Replaces every known secret value in text shown to anyone."""

    def __init__(self, secrets: list[str], shell_headers: dict[str, str]) -> None:
        self.secrets = [s for s in secrets if s]
        self.shell_headers = shell_headers

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {k: self.text(v) for k, v in headers.items()}

    def curl(self, request: HttpRequest) -> str:
        parts = ["curl", "-sS", "-X", request.method, shlex.quote(self.text(request.url))]
        for name, value in request.headers.items():
            if name in self.shell_headers:
                # double quotes so the shell expands the variable holding the secret
                parts += ["-H", f'"{name}: {self.shell_headers[name]}"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {self.text(value)}")]
        if request.body is not None:
            parts += ["--data-binary", shlex.quote(self.text(request.body.decode("utf-8")))]
        return " ".join(parts)


def excerpt(body: bytes, redactor: Redactor) -> str:
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    suffix = f"... ({len(body)} bytes)" if len(body) > EXCERPT_BYTES else ""
    return redactor.text(text) + suffix


@dataclass
class Exchange:
    """One request and the candidate's response: what API checks look at."""

    operation: Operation
    case: RequestCase
    request: HttpRequest
    response: HttpResponse
    schemas: SchemaSet
    probe: str | None = None  # "no credentials" or "wrong credentials" for auth probes
    expected_status: int | None = None  # what a probe must get
    error_envelope_uri: str | None = None  # the standard's error envelope schema, if declared
    _json: Any = field(default=_UNSET, repr=False)

    @property
    def mutation(self) -> str | None:
        return self.case.mutation

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError on a body that is not JSON."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.response.body.decode("utf-8"))
            except RecursionError:
                raise ValueError("JSON nested too deeply") from None
        return self._json

    def evidence(self, redactor: Redactor) -> dict[str, Any]:
        request = self.request
        response = self.response
        return {
            "source": self.case.source,
            "request": {
                "method": request.method,
                "url": redactor.text(request.url),
                "headers": redactor.headers(
                    {
                        k: (REDACTED if k in redactor.shell_headers else v)
                        for k, v in request.headers.items()
                    }
                ),
                "body": excerpt(request.body, redactor) if request.body is not None else None,
            },
            "response": {
                "status": response.status,
                "headers": redactor.headers(dict(response.headers)),
                "body": excerpt(response.body, redactor),
                "elapsed_ms": round(response.elapsed_s * 1000, 1),
            },
            "curl": redactor.curl(request),
        }
