"""JSON as strict parsers read it, in API answers (issue 15 item 6).

Python's json takes the last of a member given twice and keeps a lone surrogate escape;
a schema check of that reading alone passed an answer whose first ``events`` was not a list,
or whose text no UTF-8 can carry.  Both are now failures of the response's schema clause,
named as such, from a real candidate on 127.0.0.1 bent by a hostile proxy.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from conformance.engine.exchange import DUPLICATE_MEMBER, LONE_SURROGATE, JsonFinding, strict_json
from tests.hostile_server import HostileServer, Request, hostile
from tests.test_hostile_candidates import (
    HOSTILE,
    assert_others_pass,
    on_history,
    run_in_process,
)


@pytest.mark.parametrize(
    ("text", "findings"),
    [
        ('{"a": 1}', []),
        ('{"a": "\\ud83d\\ude00"}', []),  # a pair is one character
        ('"\\\\ud800"', []),  # an escaped backslash, then plain text
        ('{"a": "x", "a": 1}', [JsonFinding(DUPLICATE_MEMBER, "/a", "a")]),
        (
            '{"b": {"x": 1, "x": 2, "x": 3}, "c": [{"y/~": 1, "y/~": 2}]}',
            [
                JsonFinding(DUPLICATE_MEMBER, "/b/x", "x"),
                JsonFinding(DUPLICATE_MEMBER, "/c/0/y~1~0", "y/~"),
            ],
        ),
        ('["ok", "\\ud800"]', [JsonFinding(LONE_SURROGATE, "/1")]),
        ('{"\\udc00k": "v"}', [JsonFinding(LONE_SURROGATE, "/\\udc00k")]),
        ('"\\ude00\\ud83d"', [JsonFinding(LONE_SURROGATE, "")]),  # reversed: two lone halves
        (  # a name with a lone surrogate and an escape sequence: shown escaped, reported once
            '{"\\udc00\\u001b[31m": "\\ud801"}',
            [JsonFinding(LONE_SURROGATE, "/\\udc00\\u001b[31m")],
        ),
    ],
)
def test_strict_json_names_what_strict_parsers_refuse(
    text: str, findings: list[JsonFinding]
) -> None:
    value, found = strict_json(text)
    assert value == json.loads(text)
    assert found == findings
    for finding in found:  # shown anywhere without an encoding error
        finding.pointer.encode("utf-8")


def test_strict_json_is_bounded_on_deep_and_wide_bodies() -> None:
    deep = '{"a": ' * 900 + '"\\ud800"' + "}" * 900
    _, found = strict_json(deep)
    assert len(found) == 1
    assert found[0].pointer == "/a" * 900
    wide = "[" + ",".join(['{"k": 1, "k": 2}'] * 5000) + "]"
    _, found = strict_json(wide)
    assert len(found) == 20  # MAX_JSON_FINDINGS


def duplicate_events(server: HostileServer, conn: socket.socket, request: Request) -> bool:
    """The real answer with ``events`` given twice: first not a list, then the real one."""
    reply = server.forward(request)
    reply.body = reply.body.replace(b'"events": [', b'"events": "not-a-list", "events": [', 1)
    conn.sendall(reply.wire())
    return True


def lone_surrogate_reason(server: HostileServer, conn: socket.socket, request: Request) -> bool:
    """The real answer with each event's reason holding a lone high surrogate escape."""
    reply = server.forward(request)
    reply.body = re.sub(rb'"reason": "[^"]*"', rb'"reason": "\\ud800 first issue"', reply.body)
    conn.sendall(reply.wire())
    return True


@pytest.mark.slow
@pytest.mark.parametrize(
    ("bend", "pattern", "cause"),
    [
        pytest.param(
            duplicate_events,
            r"member 'events' given more than once in one object, at /events",
            "json:duplicate-member",
            id="duplicate-member",
        ),
        pytest.param(
            lone_surrogate_reason,
            r"the string at /events/0/reason holds a lone surrogate escape",
            "json:lone-surrogate",
            id="lone-surrogate",
        ),
    ],
)
def test_api_answer_strict_json_is_a_named_failure(
    bend: object,
    pattern: str,
    cause: str,
    reference_url: str,
    token: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with hostile(on_history(bend), upstream=reference_url) as server:  # type: ignore[arg-type]
        outcome = run_in_process(server.url, tmp_path, monkeypatch, token)
    results = outcome.results(HOSTILE, "response_schema")
    # the 200 answer's clauses fail (the bent body); the clauses of error answers are intact
    failing = [r for r in results if r["status"] != "pass"]
    assert failing, results
    for result in failing:
        assert result["status"] == "fail", result
        assert re.search(pattern, result["message"]), result["message"]
    found = [f for r in failing for f in r["failures"] if re.search(pattern, f["message"])]
    assert found
    assert found[0]["title"] in ("JSON member given twice", "JSON string with a lone surrogate")
    assert_others_pass(outcome)
    written = (outcome.run_dir / "results.json").read_text(encoding="utf-8")
    assert f"problem.json_{cause.split(':')[1].replace('-', '_')}" in written
