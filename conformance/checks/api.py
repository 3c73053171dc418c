"""API checks: each looks at one exchange and yields what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.checks import Problem, api_check
from conformance.engine.exchange import Exchange
from conformance.validation import instance_pointer, schema_error_path

MAX_SCHEMA_ERRORS = 20


def _media_matches(actual: str, documented: str) -> bool:
    documented = documented.split(";", 1)[0].strip().lower()
    if documented in ("*/*", actual):
        return True
    kind, _, sub = documented.partition("/")
    return sub == "*" and actual.startswith(kind + "/")


@api_check("status_code_documented", "Status code documented")
def status_code_documented(exchange: Exchange) -> Iterator[Problem]:
    """The response status code is documented for the operation (exactly, as NXX or default)."""
    status = exchange.response.status
    if exchange.operation.response_for(status) is None:
        documented = ", ".join(r.status for r in exchange.operation.responses)
        yield Problem(
            "Undocumented status code",
            f"status={status}, expected one of: {documented}",
            cause=f"status:{status}",
        )


@api_check("content_type_documented", "Content-Type documented")
def content_type_documented(exchange: Exchange) -> Iterator[Problem]:
    """The response Content-Type is one documented for its status; a body needs a Content-Type."""
    spec = exchange.operation.response_for(exchange.response.status)
    if spec is None:
        return  # reported by status_code_documented
    actual = exchange.response.media_type
    if not spec.content:
        if exchange.response.body:
            yield Problem(
                "Unexpected body",
                f"status={exchange.response.status} documents no content, "
                f"got {len(exchange.response.body)} bytes",
                cause="unexpected-body",
            )
        return
    documented = ", ".join(spec.content)
    if actual is None:
        yield Problem(
            "Missing Content-Type",
            f"no Content-Type header, expected one of: {documented}",
            cause="content-type:missing",
        )
    elif not any(_media_matches(actual, media) for media in spec.content):
        yield Problem(
            "Undocumented Content-Type",
            f"content_type={actual!r}, expected one of: {documented}",
            cause=f"content-type:{actual}",
        )


@api_check("response_schema", "Response body matches its schema")
def response_schema(exchange: Exchange) -> Iterator[Problem]:
    """The body validates against the documented schema, every format enforced."""
    spec = exchange.operation.response_for(exchange.response.status)
    actual = exchange.response.media_type
    if spec is None or actual is None:
        return
    schema_uri = next(
        (uri for media, uri in spec.content.items() if _media_matches(actual, media)), None
    )
    if schema_uri is None:
        return
    if exchange.response.truncated:
        yield Problem("Body too large", "the body exceeded the size cap", cause="truncated")
        return
    try:
        instance = exchange.json()
    except ValueError as exc:
        yield Problem("Body is not JSON", f"cannot parse the body: {exc}", cause="not-json")
        return
    validator = exchange.schemas.validator_for(schema_uri)
    for count, error in enumerate(validator.iter_errors(instance)):
        if count >= MAX_SCHEMA_ERRORS:
            break
        pointer = instance_pointer(error)
        schema_path = schema_error_path(error)
        yield Problem(
            "Response violates schema",
            f"at {pointer or '/'}: {_short(error.message)} (schema {schema_path})",
            cause=f"schema:{schema_path}",
            pointer=pointer,
            schema_path=schema_path,
        )


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@api_check("auth_enforced", "Authentication enforced", applies=lambda e: e.probe is not None)
def auth_enforced(exchange: Exchange) -> Iterator[Problem]:
    """A secured operation answers 401 to a request without credentials or with wrong ones."""
    status = exchange.response.status
    if status != 401:
        yield Problem(
            "Authentication not enforced",
            f"request with {exchange.probe} got status={status}, expected 401",
            cause=f"{exchange.probe}:{status}",
        )
