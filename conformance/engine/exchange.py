"""A request case, the HTTP exchange it produced, and its evidence for reports.

Secrets are handled here once: requests carry the real secret, while every piece of
evidence (headers, curl lines, bodies echoed back) is built from the redacted form.
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.controls import control_in, visible
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
from conformance.redaction import REDACTED
from conformance.redaction import Redactor as BaseRedactor

if TYPE_CHECKING:
    from conformance.validation import SchemaSet

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


class Redactor(BaseRedactor):
    """Replaces every known secret value in text shown to anyone (:mod:`conformance.redaction`),
    and writes curl lines that name the secret's variable."""

    def __init__(self, secrets: list[str], shell_headers: dict[str, str]) -> None:
        super().__init__(secrets)
        self.shell_headers = shell_headers

    def carries_secret(self, name: str, value: str) -> bool:
        """Whether a request header holds the secret (the wrong token of a probe does not)."""
        return name in self.shell_headers and self.text(value) != value

    def curl(self, request: HttpRequest) -> str:
        """A shell line sending exactly what the suite sent: its headers (the client's own
        included), the secret as a ``${VARIABLE}`` reference, anything else as it was."""
        parts = ["curl", "-sS", "-i", "--compressed", "-X", request.method]
        parts.append(shell_quote(self.text(request.url)))
        for name, value in {**SESSION_HEADERS, **request.headers}.items():
            if self.carries_secret(name, value):
                # double quotes so the shell expands the variable holding the secret
                parts += ["-H", f'"{name}: {self.shell_headers[name]}"']
            else:
                parts += ["-H", shell_quote(f"{name}: {self.text(value)}")]
        if request.body is not None:
            body = request.body.decode("utf-8", errors="replace")
            parts += ["--data-binary", shell_quote(self.text(body))]
        return " ".join(parts)


def shell_quote(text: str) -> str:
    """A shell word for ``text``; one holding control characters is written ``$'...'`` with
    them escaped, so the line replays the same bytes yet shows none of them raw."""
    if control_in(text) is None:
        return shlex.quote(text)
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return "$'" + visible(escaped) + "'"


def excerpt(body: bytes, redactor: Redactor) -> str:
    # Redact before cutting: a secret straddling the cut would otherwise leave its start.
    text = body[: EXCERPT_BYTES + 4 * redactor.longest].decode("utf-8", errors="replace")
    text = redactor.text(text)[:EXCERPT_BYTES]
    suffix = f"... ({len(body)} bytes)" if len(body) > EXCERPT_BYTES else ""
    return visible(text, lines=True) + suffix


# -- waits (issue 15 item 6): JSON as strict parsers read it ------------------------------
# Python's json takes the last of a member given twice and keeps a lone surrogate escape
# ("\ud800") as a str no UTF-8 can carry; a strict parser (I-JSON, RFC 7493) refuses both,
# and a lenient one may take the first value: a schema check of Python's reading alone
# would pass what another client reads as invalid.

DUPLICATE_MEMBER = "duplicate-member"
LONE_SURROGATE = "lone-surrogate"
MAX_JSON_FINDINGS = 20
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # only escapes can carry one in


@dataclass(frozen=True)
class JsonFinding:
    """What a strict JSON parser refuses, at a JSON Pointer of the parsed value."""

    kind: str  # DUPLICATE_MEMBER or LONE_SURROGATE
    pointer: str  # "" is the whole document; a lone surrogate in it shown as \udXXX
    name: str | None = None  # the member given twice


def _visible(text: str) -> str:
    """``text`` with lone surrogates, control and format characters (escape sequences,
    bidirectional overrides) as \\uXXXX: printable, encodable anywhere."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in text
    )


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def strict_json(text: str) -> tuple[Any, list[JsonFinding]]:
    """``json.loads(text)``, and what a strict parser would refuse in it (at most
    MAX_JSON_FINDINGS, depth first).

    Raises what ``json.loads`` raises.  A member given twice is reported once per object
    and name, at its pointer; a string (member name or value) holding a lone surrogate once
    per place.
    """
    duplicated: dict[int, list[str]] = {}

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(items)
        if len(value) != len(items):
            seen: set[str] = set()
            twice: list[str] = []
            for name, _ in items:
                if name in seen and name not in twice:
                    twice.append(name)
                seen.add(name)
            duplicated[id(value)] = twice
        return value

    value = json.loads(text, object_pairs_hook=pairs)
    findings: list[JsonFinding] = []
    if not duplicated and not _SURROGATE_ESCAPE.search(text):
        return value, findings  # the common case: no walk
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and len(findings) < MAX_JSON_FINDINGS:  # iterative: bodies nest deeply
        pointer, node = stack.pop()
        if isinstance(node, dict):
            twice = duplicated.get(id(node), ())
            children = []
            for name, child in node.items():
                step = f"{pointer}/{_visible(name).replace('~', '~0').replace('/', '~1')}"
                if name in twice:
                    findings.append(JsonFinding(DUPLICATE_MEMBER, step, _visible(name)))
                if _has_lone_surrogate(name):
                    findings.append(JsonFinding(LONE_SURROGATE, step))
                children.append((step, child))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{pointer}/{i}", c) for i, c in enumerate(node)]))
        elif isinstance(node, str) and _has_lone_surrogate(node):
            findings.append(JsonFinding(LONE_SURROGATE, pointer))
    unique = list(dict.fromkeys(findings))  # a name and its value at one pointer: once
    return value, unique[:MAX_JSON_FINDINGS]


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
    # what a strict JSON parser refuses in the body (set by json())
    json_findings: list[JsonFinding] = field(default_factory=list, repr=False)

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
                self._json, self.json_findings = strict_json(self.response.body.decode("utf-8"))
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
