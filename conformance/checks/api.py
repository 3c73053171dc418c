"""API checks: each looks at one exchange and yields what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from conformance.checks._registry import Problem, api_check, problem
from conformance.engine.exchange import Exchange, RequestCase
from conformance.engine.media import best_match, essence, is_json, matches
from conformance.validation import (
    instance_pointer,
    keyword_location,
    schema_error_message,
    schema_error_path,
)

MAX_SCHEMA_ERRORS = 20


def _refused_undocumented(exchange: Exchange) -> bool:
    """A 406 answer to an Accept of an undocumented type: what HTTP says to answer."""
    return exchange.negotiation == "undocumented" and exchange.response.status == 406


@api_check("status_code_documented", "Status code documented")
def status_code_documented(exchange: Exchange) -> Iterator[Problem]:
    """The response status code is documented for the operation (exactly, as NXX or default)."""
    status = exchange.response.status
    if _refused_undocumented(exchange):
        return  # not_acceptable judges that answer
    if exchange.operation.response_for(status) is None:
        documented = ", ".join(r.status for r in exchange.operation.responses)
        yield problem(
            "problem.status_undocumented",
            cause=f"status:{status}",
            status=status,
            documented=documented,
        )


@api_check("content_type_documented", "Content-Type documented")
def content_type_documented(exchange: Exchange) -> Iterator[Problem]:
    """The response Content-Type is one documented for its status; a body needs a Content-Type."""
    spec = exchange.operation.response_for(exchange.response.status)
    if spec is None or exchange.negotiation == "undocumented":
        return  # reported by status_code_documented, or judged by not_acceptable
    actual = exchange.response.media_type
    if not spec.content:
        if exchange.response.body:
            yield problem(
                "problem.unexpected_body",
                cause="unexpected-body",
                status=exchange.response.status,
                bytes=len(exchange.response.body),
            )
        return
    documented = ", ".join(spec.content)
    if actual is None:
        yield problem(
            "problem.content_type_missing", cause="content-type:missing", documented=documented
        )
    elif best_match(actual, spec.content) is None:
        yield problem(
            "problem.content_type_undocumented",
            cause=f"content-type:{actual}",
            content_type=repr(actual),
            documented=documented,
        )


def _strict_json(exchange: Exchange) -> Iterator[Problem]:
    """waits (issue 15 item 6): what a strict JSON parser refuses in a parsed body."""
    for finding in exchange.json_findings:
        kind = finding.kind.replace("-", "_")
        yield problem(
            f"problem.json_{kind}",
            cause=f"json:{finding.kind}",
            pointer=finding.pointer,
            at=finding.pointer or "/",
            name=repr(finding.name),
        )


@api_check("response_schema", "Response body matches its schema")
def response_schema(exchange: Exchange) -> Iterator[Problem]:
    """The body validates against the documented schema, every format enforced."""
    status = exchange.response.status
    spec = exchange.operation.response_for(status)
    if spec is None:
        return  # status_code_documented reports it; nothing here to check a body against
    actual = exchange.response.media_type
    if not spec.content:
        yield _unverified("no-body-documented", "problem.unverified_no_body", status=status)
        return
    if actual is None:
        yield _unverified("no-content-type", "problem.unverified_no_type", status=status)
        return
    key = best_match(actual, spec.content)
    if key is None:
        # content_type_documented fails it; the schema of a body in another type is unknown
        yield _unverified(
            f"media:{essence(actual)}",
            "problem.unverified_media",
            status=status,
            content_type=repr(actual),
        )
        return
    schema_uri = spec.content[key]
    if schema_uri is None:
        yield _unverified(
            f"no-schema:{key}", "problem.unverified_no_schema", status=status, content_type=key
        )
        return
    if exchange.response.problem:
        cause = "truncated" if exchange.response.truncated else "undecodable"
        yield problem(f"problem.body_{cause}", cause=cause, detail=exchange.response.problem)
        return
    if is_json(actual):
        try:
            instance = exchange.json()
        except ValueError as exc:
            yield problem("problem.body_not_json", cause="not-json", detail=str(exc))
            return
        yield from _strict_json(exchange)
    elif actual.startswith("text/"):
        # a text body is one string instance of its schema
        try:
            instance = exchange.response.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            detail = f"invalid UTF-8 at byte {exc.start}: {exc.reason}"
            yield problem("problem.body_undecodable", cause="undecodable", detail=detail)
            return
    else:
        # a binary type: its schema describes no JSON instance
        yield _unverified(
            f"binary:{key}", "problem.unverified_binary", status=status, content_type=key
        )
        return
    validator = exchange.schemas.validator_for(schema_uri)
    for count, error in enumerate(validator.iter_errors(instance)):
        if count >= MAX_SCHEMA_ERRORS:
            break
        pointer = instance_pointer(error)
        schema_path = schema_error_path(error)
        yield problem(
            "problem.response_schema",
            cause=f"schema:{schema_path}",
            pointer=pointer,
            schema_path=schema_path,
            binding=_schema_binding(exchange, schema_uri, error),
            at=pointer or "/",
            detail=schema_error_message(error),
            path=schema_path,
        )


def _unverified(cause: str, message_id: str, **params: Any) -> Problem:
    """The check could not verify its assertion on this exchange, and says why."""
    return problem(message_id, cause=f"unverified:{cause}", unverified=True, **params)


def _schema_binding(exchange: Exchange, root_uri: str, error: Any) -> tuple[tuple[str, str], ...]:
    """Where a schema error is written (and its format), for binding it to a clause."""
    found: list[tuple[str, str]] = []
    location = keyword_location(exchange.schemas, root_uri, error.absolute_schema_path)
    if location is not None:
        found.append(("schema", location))
    if error.validator == "format" and isinstance(error.validator_value, str):
        found.append(("format", error.validator_value))
    return tuple(found)


@api_check("auth_enforced", "Authentication enforced", applies=lambda e: e.probe is not None)
def auth_enforced(exchange: Exchange) -> Iterator[Problem]:
    """A secured operation answers 401 to a request without credentials or with wrong ones."""
    status = exchange.response.status
    if status != 401:
        probe = "wrong" if exchange.probe == "wrong credentials" else "none"
        yield problem(f"problem.auth_{probe}", cause=f"{exchange.probe}:{status}", status=status)


def _is_valid_request(exchange: Exchange) -> bool:
    # an Accept of an undocumented type is judged by not_acceptable alone
    return (
        exchange.probe is None
        and exchange.mutation is None
        and exchange.negotiation != "undocumented"
    )


def _is_invalid_request(exchange: Exchange) -> bool:
    return exchange.mutation is not None


@api_check("not_a_server_error", "No server error")
def not_a_server_error(exchange: Exchange) -> Iterator[Problem]:
    """The candidate never answers with a 5xx status, whatever it is sent."""
    status = exchange.response.status
    if status >= 500:
        # one cause per broken constraint: a crash on one parameter hides no other
        cause = f"5xx:{status}:{exchange.case.mutation_kind or 'valid'}"
        yield problem("problem.server_error", cause=cause, status=status)


@api_check("valid_input_accepted", "Valid input accepted", applies=_is_valid_request)
def valid_input_accepted(exchange: Exchange) -> Iterator[Problem]:
    """A request that conforms to the standard is not refused as bad input (400, 422).

    A failure only where the standard declares its inputs complete (``x-inputs-complete``):
    elsewhere the candidate may enforce a constraint the standard never wrote down (a
    dependency between parameters), so the rejection is an advisory with the request.
    A leap second (second 60, which RFC 3339 allows) refused is its own advisory.
    """
    status = exchange.response.status
    if status not in (400, 422):
        return
    leap = leap_second_in(exchange.case)
    if leap is not None:
        yield problem(
            "problem.leap_second_rejected",
            cause=f"rejected-leap-second:{status}",
            advisory=True,
            status=status,
            value=leap,
        )
        return
    stated, named = stated_cause(exchange)
    binding = (("parameter", named[0]),) if len(named) == 1 else ()
    if exchange.operation.extensions.get("x-inputs-complete") is True:
        yield problem(
            "problem.valid_rejected",
            cause=f"rejected:{status}:{stated}",
            binding=binding,
            status=status,
        )
    else:
        yield problem(
            "problem.valid_rejected_undeclared",
            cause=f"rejected-undeclared:{status}:{stated}",
            advisory=True,
            binding=binding,
            status=status,
        )


_LEAP_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:60")


def leap_second_in(case: RequestCase) -> str | None:
    """A date-time with second 60 anywhere in the request's values, or None."""
    stack: list[Any] = [case.path_params, case.query, case.headers, case.cookies]
    if case.has_body:
        stack.append(case.body)
    seen = 0
    while stack and seen < 10_000:  # bounded: bodies are generated, but stay careful
        value = stack.pop()
        seen += 1
        if isinstance(value, str):
            found = _LEAP_SECOND.search(value)
            if found:
                return value
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DIGITS = re.compile(r"[0-9]+")
MAX_STATED = 80
MAX_STATED_TEXT = 2000


def stated_cause(exchange: Exchange) -> tuple[str, list[str]]:
    """Why the candidate says it refused a request: the parameters or body members it
    names, else its error code and message with values taken out; and the names.

    Deduplication keys on it, so a "valid datetime rejected" is not hidden under an
    earlier "valid bbox rejected" (issue 14 item 5)."""
    case = exchange.case
    sent = {*case.path_params, *case.query, *case.headers, *case.cookies}
    if isinstance(case.body, dict):
        sent |= {str(k) for k in case.body}
    try:
        body = exchange.json()
    except ValueError:
        body = None
    text = ""
    code = ""
    if isinstance(body, dict):
        code = str(body.get("code") or body.get("error") or body.get("type") or "")[:40]
        text = " ".join(
            str(body[k]) for k in ("message", "detail", "title", "error_description") if k in body
        )
    elif isinstance(body, str):
        text = body
    text = text[:MAX_STATED_TEXT]  # the candidate's text, bounded before any search
    named = sorted(n for n in sent if n and re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text))
    if named:
        return "param:" + ",".join(named), named
    said = _DIGITS.sub("0", _QUOTED.sub("_", text)).strip()[:MAX_STATED]
    return f"said:{code}:{said}", []


@api_check("invalid_input_rejected", "Invalid input rejected", applies=_is_invalid_request)
def invalid_input_rejected(exchange: Exchange) -> Iterator[Problem]:
    """A request breaking one constraint gets a documented 4xx, never a 2xx or 5xx."""
    status = exchange.response.status
    spec = exchange.operation.response_for(status)
    if 200 <= status < 300:
        yield problem(
            "problem.invalid_accepted",
            cause=f"accepted:{exchange.case.mutation_kind}",
            status=status,
            mutation=exchange.mutation,
        )
    elif not 400 <= status < 500 or spec is None or spec.status.upper() == "DEFAULT":
        yield problem(
            "problem.invalid_not_4xx",
            cause=f"status:{status}:{exchange.case.mutation_kind}",
            # a 5xx is one defect, the server error: blamed there where a clause takes it
            defer_to="not_a_server_error" if status >= 500 else None,
            status=status,
            mutation=exchange.mutation,
        )


def _is_error(exchange: Exchange) -> bool:
    return exchange.response.status >= 400 and exchange.error_envelope_uri is not None


@api_check("error_envelope", "Error responses carry the error envelope", applies=_is_error)
def error_envelope(exchange: Exchange) -> Iterator[Problem]:
    """Every 4xx and 5xx response body is the standard's error envelope (x-error-envelope)."""
    assert exchange.error_envelope_uri is not None
    actual = exchange.response.media_type
    spec = exchange.operation.response_for(exchange.response.status)
    documented = spec is not None and actual is not None and best_match(actual, spec.content)
    if not is_json(actual) and spec is not None and spec.content and not documented:
        # an undocumented type is content_type_documented's failure: the envelope is unknown
        yield _unverified(
            f"media:{actual}",
            "problem.unverified_media",
            status=exchange.response.status,
            content_type=repr(actual),
        )
        return
    if not is_json(actual):
        yield problem(
            "problem.envelope_media",
            cause=f"media:{exchange.response.media_type}",
            status=exchange.response.status,
            content_type=repr(exchange.response.media_type),
        )
        return
    try:
        instance = exchange.json()
    except ValueError as exc:
        yield problem("problem.envelope_not_json", cause="not-json", detail=str(exc))
        return
    yield from _strict_json(exchange)
    validator = exchange.schemas.validator_for(exchange.error_envelope_uri)
    for error in validator.iter_errors(instance):
        pointer = instance_pointer(error)
        yield problem(
            "problem.envelope_incomplete",
            cause=f"envelope:{schema_error_path(error)}",
            pointer=pointer,
            schema_path=schema_error_path(error),
            binding=_schema_binding(exchange, exchange.error_envelope_uri, error),
            status=exchange.response.status,
            at=pointer or "/",
            detail=schema_error_message(error),
        )


@api_check("response_headers", "Required response headers present and typed")
def response_headers(exchange: Exchange) -> Iterator[Problem]:
    """Headers a response documents as required are present, and every documented one is typed."""
    spec = exchange.operation.response_for(exchange.response.status)
    if spec is None:
        return
    for name, header in spec.headers.items():
        if not isinstance(header, dict) or name.lower() == "content-type":
            continue
        value = exchange.response.headers.get(name)
        if value is None:
            if header.get("required"):
                yield problem(
                    "problem.header_missing",
                    cause=f"header-missing:{name.lower()}",
                    status=exchange.response.status,
                    header=name,
                )
            continue
        schema = header.get("schema")
        if isinstance(schema, dict) and not _text_matches(value, schema, exchange):
            yield problem(
                "problem.header_type",
                cause=f"header-type:{name.lower()}",
                header=name,
                value=repr(value[:80]),
            )


def _text_matches(text: str, schema: dict[str, object], exchange: Exchange) -> bool:
    from jsonschema import Draft202012Validator

    from conformance.engine.coerce import coerce_candidates
    from conformance.formats import format_checker

    validator = Draft202012Validator(schema, format_checker=format_checker())
    return any(validator.is_valid(v) for v in coerce_candidates(text, schema))


def _within_budget(exchange: Exchange) -> bool:
    return "x-response-time-ms" in exchange.operation.extensions


@api_check(
    "response_time", "Response within the time budget", applies=_within_budget, severity="warning"
)
def response_time(exchange: Exchange) -> Iterator[Problem]:
    """The response arrives within the operation's x-response-time-ms budget (a SHOULD)."""
    budget = float(exchange.operation.extensions["x-response-time-ms"])
    elapsed = exchange.response.elapsed_s * 1000
    if elapsed > budget:
        yield problem(
            "problem.slow",
            cause="over-budget",
            elapsed=f"{elapsed:.0f}",
            budget=f"{budget:.0f}",
        )


def _asks_documented(exchange: Exchange) -> bool:
    return exchange.negotiation == "documented"


def _asks_undocumented(exchange: Exchange) -> bool:
    return exchange.negotiation == "undocumented"


@api_check("accept_honoured", "Documented media type served when asked", applies=_asks_documented)
def accept_honoured(exchange: Exchange) -> Iterator[Problem]:
    """A request that Accepts one documented response media type gets that type (or a
    non-success answer); a documented type it serves another way is not refused with 406."""
    status = exchange.response.status
    accepted = exchange.case.accept or ""
    if status == 406:
        yield problem("problem.accept_refused", cause=f"406:{essence(accepted)}", accept=accepted)
        return
    spec = exchange.operation.response_for(status)
    actual = exchange.response.media_type
    if not 200 <= status < 300 or spec is None or not spec.content or actual is None:
        return
    documented_here = best_match(accepted, spec.content) is not None
    if documented_here and not matches(actual, accepted) and best_match(actual, spec.content):
        # an undocumented type is content_type_documented's finding, not this one's
        yield problem(
            "problem.accept_not_honoured",
            cause=f"served:{essence(accepted)}->{actual}",
            accept=accepted,
            content_type=repr(actual),
            status=status,
        )


@api_check(
    "not_acceptable",
    "Undocumented media type refused with 406 or answered in a documented one",
    applies=_asks_undocumented,
)
def not_acceptable(exchange: Exchange) -> Iterator[Problem]:
    """A request that Accepts only a media type no response documents gets 406 Not
    Acceptable, or an answer in a type its status documents (RFC 9110 section 12.5.1)."""
    status = exchange.response.status
    accepted = exchange.case.accept or ""
    if status == 406:
        return
    spec = exchange.operation.response_for(status)
    actual = exchange.response.media_type
    if spec is None or not spec.content:
        return  # an undocumented status is status_code_documented's; no body, nothing to serve
    if actual is None or best_match(actual, spec.content) is None:
        documented = ", ".join(spec.content)
        yield problem(
            "problem.undocumented_media_served",
            cause=f"served:{actual}",
            accept=accepted,
            status=status,
            content_type=repr(actual),
            documented=documented,
        )
