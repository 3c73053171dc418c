"""A request case, the HTTP exchange it produced, and its evidence for reports.

Secrets are handled here once: requests carry the real secret, while every piece of
evidence (headers, curl lines, bodies echoed back) is built from the redacted form.
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from conformance.engine.http import SESSION_HEADERS, HttpRequest, HttpResponse
from conformance.engine.media import matches
from conformance.engine.openapi import Operation, Parameter
from conformance.engine.serialize import (
    Style,
    cookie_header,
    cookie_pairs,
    header_value,
    path_value,
    query_pairs,
    query_string,
)

if TYPE_CHECKING:
    from conformance.validation import SchemaSet

REDACTED = "[REDACTED]"
NEGOTIATION = "negotiation"  # RequestCase.source of a content negotiation probe
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
    cookies: dict[str, Any] = field(default_factory=dict)
    # The Accept header to send instead of every documented type (content negotiation probes).
    accept: str | None = None

    @property
    def has_body(self) -> bool:
        return self.body is not _UNSET


def accept_header(operation: Operation) -> str:
    """Every response media type the operation documents, success ones first.

    A candidate that negotiates on Accept then answers in a type the standard documents
    (``application/geo+json``, ``application/problem+json``...), not only JSON; with
    nothing documented, anything is acceptable.
    """
    preferred: dict[str, None] = {}
    others: dict[str, None] = {}
    for response in operation.responses:
        target = preferred if response.status.startswith("2") else others
        target.update(dict.fromkeys(m.strip() for m in response.content))
    ranked = list(preferred) + [f"{m};q=0.5" for m in others if m not in preferred]
    return ", ".join(ranked) if ranked else "*/*"


def _parameters(operation: Operation, location: str) -> dict[str, Parameter]:
    return {p.name: p for p in operation.parameters if p.location == location}


def _style(declared: dict[str, Parameter], name: str, location: str) -> Style:
    parameter = declared.get(name)
    return parameter.serialization if parameter is not None else Style.default(location)


def build_request(
    base_url: str,
    operation: Operation,
    case: RequestCase,
    auth_headers: dict[str, str],
    method: str | None = None,
) -> HttpRequest:
    """The request on the wire: every parameter serialised as its ``style`` and ``explode``
    say (OpenAPI Parameter Object), the body as JSON in the documented media type."""
    path = operation.path
    declared = _parameters(operation, "path")
    for name, value in case.path_params.items():
        text = path_value(name, value, _style(declared, name, "path"))
        path = path.replace("{" + name + "}", text)
    pairs: list[tuple[str, str]] = []
    declared = _parameters(operation, "query")
    for name, value in case.query.items():
        pairs.extend(query_pairs(name, value, _style(declared, name, "query")))
    url = base_url + path + (("?" + query_string(pairs)) if pairs else "")
    accept = case.accept if case.accept is not None else accept_header(operation)
    headers = {"Accept": accept, "User-Agent": "gov-conformance"}
    declared = _parameters(operation, "header")
    headers.update(
        {
            k: header_value(v, _style(declared, k, "header"))
            for k, v in case.headers.items()
            if not (isinstance(v, (list, dict)) and not v)  # empty: undefined, not sent
        }
    )
    if case.cookies:
        declared = _parameters(operation, "cookie")
        cookies: list[tuple[str, str]] = []
        for name, value in case.cookies.items():
            cookies.extend(cookie_pairs(name, value, _style(declared, name, "cookie")))
        if cookies:
            headers["Cookie"] = cookie_header(cookies)
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
        # A hostile candidate may reflect the secret encoded: redact those forms too,
        # longest first so a form containing another is replaced whole.
        forms = {form for s in secrets if s for form in secret_forms(s)}
        self.secrets = sorted(forms, key=lambda f: (-len(f), f))
        self.shell_headers = shell_headers
        self.longest = len(self.secrets[0]) if self.secrets else 0

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {k: self.text(v) for k, v in headers.items()}

    def carries_secret(self, name: str, value: str) -> bool:
        """Whether a request header holds the secret (the wrong token of a probe does not)."""
        return name in self.shell_headers and self.text(value) != value

    def curl(self, request: HttpRequest) -> str:
        """A shell line sending exactly what the suite sent: its headers (the client's own
        included), the secret as a ``${VARIABLE}`` reference, anything else as it was."""
        parts = ["curl", "-sS", "-i", "--compressed", "-X", request.method]
        parts.append(shlex.quote(self.text(request.url)))
        for name, value in {**SESSION_HEADERS, **request.headers}.items():
            if self.carries_secret(name, value):
                # double quotes so the shell expands the variable holding the secret
                parts += ["-H", f'"{name}: {self.shell_headers[name]}"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {self.text(value)}")]
        if request.body is not None:
            parts += ["--data-binary", shlex.quote(self.text(request.body.decode("utf-8")))]
        return " ".join(parts)


# Control characters (ANSI escapes, NUL, C1) shown as \xNN: a report or a terminal showing
# an excerpt must not be driven by the candidate's bytes. Tab and line breaks are kept.
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"}


def secret_forms(secret: str) -> list[str]:
    """The secret, URL-encoded, and the part of its base64 encodings that it alone decides.

    Base64 of a longer text containing the secret (``Bearer <token>``, ``user:<password>``)
    depends on where the secret starts modulo 3: for each offset, the characters encoding
    only the secret's bytes are kept (both alphabets, no padding).
    """
    forms = {secret, quote(secret, safe="")}
    raw = secret.encode("utf-8")
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        start = -(-offset * 4 // 3)  # characters touched by the offset's bytes
        end = (offset + len(raw)) // 3 * 4  # whole groups of the secret only
        core = encoded[start:end] if end - start >= 8 else ""
        if core:
            forms |= {core, core.replace("+", "-").replace("/", "_")}
    return sorted(form for form in forms if form)


def excerpt(body: bytes, redactor: Redactor) -> str:
    # Redact before cutting: a secret straddling the cut would otherwise leave its start.
    text = body[: EXCERPT_BYTES + 4 * redactor.longest].decode("utf-8", errors="replace")
    text = redactor.text(text)[:EXCERPT_BYTES]
    suffix = f"... ({len(body)} bytes)" if len(body) > EXCERPT_BYTES else ""
    return text.translate(_CONTROLS) + suffix


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

    @property
    def negotiation(self) -> str | None:
        """For a content negotiation probe, whether the type it Accepts is one the operation
        documents ("documented") or not ("undocumented"); None for any other request."""
        if self.case.source != NEGOTIATION or self.case.accept is None:
            return None
        documented = [m for r in self.operation.responses for m in r.content]
        if any(matches(self.case.accept, key) for key in documented):
            return "documented"
        return "undocumented"

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError saying where a body is not JSON."""
        if self._json is _UNSET:
            if self.response.problem:  # cut at the cap, or not decodable: not the real body
                raise ValueError(self.response.problem)
            try:
                self._json = json.loads(self.response.body.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ValueError(f"invalid UTF-8 at byte {exc.start}: {exc.reason}") from None
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos})"
                ) from None
            except RecursionError:
                raise ValueError("JSON nested too deeply") from None
        return self._json

    def evidence(self, redactor: Redactor) -> dict[str, Any]:
        response = self.response
        evidence = request_evidence(self.case, self.request, redactor)
        curl = evidence.pop("curl")
        evidence["response"] = {
            "status": response.status,
            "headers": redactor.headers(dict(response.headers)),
            "body": excerpt(response.body, redactor),
            "elapsed_ms": round(response.elapsed_s * 1000, 1),
        }
        evidence["curl"] = curl
        return evidence


def request_evidence(case: RequestCase, request: HttpRequest, redactor: Redactor) -> dict[str, Any]:
    """What was sent, redacted, with its curl line: the evidence of a request whether or
    not an answer came (a timeout has none)."""
    return {
        "source": case.source,
        "request": {
            "method": request.method,
            "url": redactor.text(request.url),
            "headers": redactor.headers(
                {
                    k: (REDACTED if redactor.carries_secret(k, v) else v)
                    for k, v in request.headers.items()
                }
            ),
            "body": excerpt(request.body, redactor) if request.body is not None else None,
        },
        "curl": redactor.curl(request),
    }
