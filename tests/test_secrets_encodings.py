"""Secrets never leave, whatever shape they take (issue 15 item 2).

A token with characters every encoding changes (``/ + " ' \\ & < > %``, spaces around it) is
sent to a real candidate on 127.0.0.1 that answers every request with the Authorization
header in every encoding a candidate or a message can give it: as read, stripped,
``repr``'d, ``ascii``'d, JSON-escaped (``\\/`` too), HTML-escaped, percent-encoded in upper
and lower case and with ``+`` for spaces, base64 (both alphabets, of the token and of
``Bearer <token>``), as header values, as header names and in the status line.  Both front
doors run against it (pytest with ``--showlocals``); every file written and every line
printed is then scanned for each form.  Bad tokens, credentials in a base URL, and
tracebacks of a run are covered below.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from conformance.redaction import REDACTED, Redactor, Secret, register
from tests.conftest import FIXTURE, TOKEN_ENV, Cli, run_cli, serving

LICENCE = "gov.e-licence@1.1.0"
CANDIDATE = FIXTURE / "candidate.yaml"
WINDOW = 12


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode().rstrip("=")


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _lower_hex(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def encodings(token: str) -> dict[str, str]:
    """Every form of the token a candidate may send back or a message may hold, by name."""
    bare = token.strip()
    bearer = f"Bearer {token}"
    return {
        "raw": token,
        "stripped": bare,
        "bearer": bearer,
        "repr": repr(token)[1:-1],
        "repr-stripped": repr(bare)[1:-1],
        "ascii": ascii(bearer)[1:-1],
        "json": json.dumps(token)[1:-1],
        "json-slash": json.dumps(token)[1:-1].replace("/", "\\/"),
        "json-bearer": json.dumps(bearer)[1:-1],
        "html": html.escape(token),
        "percent-upper": quote(token, safe=""),
        "percent-lower": _lower_hex(quote(token, safe="")),
        "percent-plus": quote_plus(token),
        "percent-bearer": quote(bearer, safe=""),
        "base64": _b64(token),
        "base64-bearer": _b64(bearer),
        "base64url": _b64url(token),
        "base64url-bearer": _b64url(bearer),
    }


def _windows(token: str) -> dict[str, str]:
    bare = token.strip()
    return {f"window-{i}": bare[i : i + WINDOW] for i in range(0, len(bare) - WINDOW + 1, 3)}


def _echo_body(auth: str) -> bytes:
    token = auth.removeprefix("Bearer ")
    lines = [f"{name}: {value}" for name, value in encodings(token).items()]
    lines.append(f"KeyError: {auth!r}")
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    """A hostile candidate: every answer reflects the Authorization header in every form."""

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _echo(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 1 << 20))
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            body = _echo_body(auth)
            self.send_response(500, quote(token, safe=""))  # the status line's reason
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Echo", auth)
            self.send_header("X-Echo-Stripped", token.strip())
            self.send_header("X-Echo-Json", json.dumps(token))
            self.send_header("X-Echo-Lower", _lower_hex(quote(token, safe="")))
            self.send_header("X-Echo-B64", _b64(auth))
            # the secret as header names: percent-encoded and base64url are header tokens
            self.send_header(f"X-Pct-{quote(token, safe='')}", "1")
            self.send_header(f"x-b64-{_b64url(token)}".lower(), "1")
            self.send_header("Set-Cookie", f"session={quote(token, safe='')}; HttpOnly")
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _echo

        def log_message(self, *args: object) -> None:
            pass

    with serving(Echo) as url:
        yield url


@pytest.fixture(scope="module")
def nasty_token() -> str:
    """A fresh token that every encoding changes, with spaces around it (stripped != read)."""
    return f" {secrets.token_urlsafe(12)}/+\"'\\&<> %{secrets.token_urlsafe(12)} "


@dataclass
class Done:
    root: Path
    outputs: dict[str, tuple[int, str, str]]


def _pytest_door(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env={**os.environ, **env},
    )


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory, echo_url: str, nasty_token: str) -> Done:
    root = tmp_path_factory.mktemp("encodings")
    common = ("--standard", LICENCE, "--candidate", str(CANDIDATE), "--base-url", echo_url)
    common += ("--seed", "5", "--max-examples", "2", "--request-timeout", "2")
    cli = run_cli("run", *common, "--reports-dir", str(root / "cli"), env={TOKEN_ENV: nasty_token})
    outputs = {"cli": (cli.code, cli.out, cli.err)}
    door = _pytest_door(
        root,
        *common,
        *("--reports-dir", str(root / "pytest"), "-l", "--tb=long", "-rA", "--full-trace"),
        env={TOKEN_ENV: nasty_token},
    )
    outputs["pytest"] = (door.returncode, door.stdout, door.stderr)
    return Done(root, outputs)


def test_both_front_doors_ran_against_the_echoing_candidate(done: Done) -> None:
    for label, (code, out, err) in done.outputs.items():
        assert code == 1, (label, code, out[-2000:], err[-2000:])
        assert "Traceback" not in out + err, label
    for door in ("cli", "pytest"):
        (run,) = [p for p in (done.root / door).iterdir() if p.is_dir()]
        names = {p.name for p in run.iterdir()}
        assert {"results.json", "junit.xml", "report.html"} <= names, names
        data = json.loads((run / "results.json").read_text(encoding="utf-8"))
        failures = [f for r in data["results"] for f in r.get("failures", [])]
        shown = json.dumps([f.get("evidence") for f in failures])
        # the echo was seen and redacted: header values, header names, bodies
        assert shown.count(REDACTED) > 50, door
        assert f"X-Pct-{REDACTED}" in shown or f"x-pct-{REDACTED}" in shown, door


@pytest.mark.parametrize("form", [*encodings("x"), "window"])
def test_no_encoding_of_the_secret_in_any_file_or_output(
    done: Done, nasty_token: str, form: str
) -> None:
    forms = {**encodings(nasty_token), **_windows(nasty_token)}
    wanted = {k: v for k, v in forms.items() if k == form or k.startswith(f"{form}-")}
    assert wanted
    leaks: list[str] = []
    for path in sorted(p for p in done.root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        for name, value in wanted.items():
            # case-insensitive: a header name may come back lowercased
            if value.lower() in text.lower():
                leaks.append(f"{path.relative_to(done.root)}: {name}")
    for label, (_, out, err) in done.outputs.items():
        for name, value in wanted.items():
            if value.lower() in (out + err).lower():
                leaks.append(f"{label} output: {name}")
    assert leaks == []


def test_pytest_door_never_shows_local_variables_even_with_showlocals(
    tmp_path: Path, echo_url: str, nasty_token: str
) -> None:
    """A failure that is not a conformance failure (the suite raised) is shown with its
    traceback, but no local variable, although -l asks for them; the exception's message,
    which holds the secret, is redacted."""
    (tmp_path / "conftest.py").write_text(
        "import os\n"
        "from conformance.engine.run import Run\n"
        "def _boom(self, task):\n"
        f"    secret_here = os.environ[{TOKEN_ENV!r}]\n"
        "    headers = {'Authorization': 'Bearer ' + secret_here}\n"
        "    raise RuntimeError('injected: ' + headers['Authorization'])\n"
        "Run.execute = _boom\n",
        encoding="utf-8",
    )
    done = _pytest_door(
        tmp_path,
        *("--standard", LICENCE, "--candidate", str(CANDIDATE), "--base-url", echo_url),
        *("--reports-dir", str(tmp_path / "reports"), "--max-examples", "1"),
        *("-l", "--tb=long", "-rA"),
        env={TOKEN_ENV: nasty_token},
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert f"RuntimeError: injected: Bearer  {REDACTED}" in output, output[-3000:]
    assert "secret_here" in output  # the traceback's source line is shown...
    # ...but not the locals table ("name = repr(value)" lines, as -l prints them)
    table = [
        line
        for line in output.splitlines()
        if re.match(r"\s*(secret_here|headers)\s*= ", line)
        and "os.environ" not in line
        and "+ secret_here" not in line
    ]
    assert table == []
    forms = {**encodings(nasty_token), **_windows(nasty_token)}
    assert [n for n, v in forms.items() if v.lower() in output.lower()] == []


def test_cli_shows_a_crash_of_the_suite_with_the_secret_redacted(
    tmp_path: Path, echo_url: str, nasty_token: str
) -> None:
    """An unexpected exception in `conformance run` prints its traceback (no locals), with
    every form of the secret redacted, and exits 1."""
    code = (
        "import os, sys\n"
        "from conformance.engine.run import Run\n"
        "def _boom(self):\n"
        f"    raise RuntimeError('injected ' + repr(os.environ[{TOKEN_ENV!r}]))\n"
        "Run.run = _boom\n"
        "from conformance.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [
            *(sys.executable, "-c", code, "run", "--standard", LICENCE),
            *("--candidate", str(CANDIDATE), "--base-url", echo_url),
            *("--reports-dir", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, TOKEN_ENV: nasty_token},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" in done.stderr
    assert "RuntimeError: injected '[REDACTED]'" in done.stderr
    forms = {**encodings(nasty_token), **_windows(nasty_token)}
    leaked = [n for n, v in forms.items() if v.lower() in (done.stdout + done.stderr).lower()]
    assert leaked == []


# -- bad tokens and credentials in a base URL: exit 2, one line, nothing of them shown -------


def _one_line_refusal(result: Cli, *hidden: str) -> str:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for secret in hidden:
        for i in range(0, max(1, len(secret) - 6)):
            assert secret[i : i + 6] not in result.out + result.err, secret[i : i + 6]
    return lines[0]


@pytest.mark.parametrize(
    "token",
    ["tok-{r}\n", "tok-{r}\r\n", "tok-{r}\r\nX-Injected: {r}", "tok-\x1b[31m{r}"],
    ids=["trailing-newline", "trailing-crlf", "crlf-inside", "escape-inside"],
)
def test_token_with_a_line_break_or_control_is_bad_input(tmp_path: Path, token: str) -> None:
    value = token.format(r=secrets.token_urlsafe(12))
    result = run_cli(
        *("run", "--standard", LICENCE, "--candidate", str(CANDIDATE)),
        *("--base-url", "http://127.0.0.1:9", "--reports-dir", str(tmp_path)),
        env={TOKEN_ENV: value},
    )
    line = _one_line_refusal(result, value.strip())
    assert TOKEN_ENV in line, line
    assert "not shown" in line, line
    assert not (tmp_path).exists() or not any(tmp_path.iterdir())  # nothing was run


def _candidate_with_base_url(folder: Path, base_url: str) -> Path:
    text = CANDIDATE.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^base_url: .*$", f"base_url: {base_url}", text)
    path = folder / "candidate.yaml"
    path.write_text(text, encoding="utf-8")
    # the exports the profile names, relative to it
    (folder / "exports").symlink_to(CANDIDATE.parent / "exports")
    return path


def test_password_in_the_candidates_base_url_is_refused(tmp_path: Path) -> None:
    password = secrets.token_urlsafe(16)
    path = _candidate_with_base_url(tmp_path, f"http://admin:{password}@127.0.0.1:9")
    result = run_cli(
        "run", "--standard", LICENCE, "--candidate", str(path), env={TOKEN_ENV: "t" * 20}
    )
    line = _one_line_refusal(result, password)
    assert "/base_url" in line, line
    assert "environment" in line, line


@pytest.mark.parametrize("door", ["cli", "pytest"])
def test_password_in_the_base_url_option_is_refused(tmp_path: Path, door: str) -> None:
    password = secrets.token_urlsafe(16)
    url = f"http://admin:{password}@127.0.0.1:9"
    args = ("--standard", LICENCE, "--candidate", str(CANDIDATE), "--base-url", url)
    if door == "cli":
        result = run_cli("run", *args, env={TOKEN_ENV: "t" * 20})
    else:
        ran = _pytest_door(tmp_path, *args, env={TOKEN_ENV: "t" * 20})
        result = Cli(ran.returncode, ran.stdout, ran.stderr)
        assert password not in ran.stdout
        result = Cli(ran.returncode, "", ran.stderr.strip().splitlines()[-1])
    line = _one_line_refusal(result, password)
    assert "--base-url" in line, line
    assert "environment" in line, line


# -- the redactor itself ----------------------------------------------------------------------


def test_redactor_replaces_every_encoding_and_header_names() -> None:
    token = f" {secrets.token_urlsafe(10)}/+\"'\\&<> %é中{secrets.token_urlsafe(10)} "
    redactor = Redactor([token])
    forms = encodings(token)
    for name, value in forms.items():
        shown = redactor.text(f"<{value}>")
        assert REDACTED in shown, name
        # nothing of any form is left (a prefix such as "Bearer " may be)
        assert [n for n, v in forms.items() if len(v) > 8 and v in shown] == [], (name, shown)
        assert [w for w in _windows(token).values() if w in shown] == [], (name, shown)
    headers = redactor.headers({f"X-{quote(token, safe='')}".lower(): token.strip()})
    assert headers == {f"x-{REDACTED}": REDACTED}
    data = redactor.data({"a": [f"u={quote_plus(token)}", 3, {"k": _b64(token)}]})
    assert data == {"a": [f"u={REDACTED}", 3, {"k": REDACTED}]}


def test_a_secret_read_is_registered_and_its_repr_shows_nothing() -> None:
    value = secrets.token_urlsafe(16)
    secret = register(value)
    assert isinstance(secret, Secret)
    assert secret == value
    assert value not in repr(secret)
    assert value not in repr({"headers": secret})
    from conformance.redaction import redact, redact_data

    assert redact(f"x {value} y") == f"x {REDACTED} y"
    assert redact_data({value: [value]}) == {REDACTED: [REDACTED]}


def test_a_short_secret_is_redacted_in_evidence_but_does_not_wreck_the_reports() -> None:
    """A one-letter token (tests use one) would turn every "t" of every report into
    [REDACTED]: the process's sinks redact secrets of MIN_REGISTERED characters or more,
    while a run's own redactor still replaces it in the evidence it builds."""
    from conformance.redaction import MIN_REGISTERED, redact

    assert MIN_REGISTERED == 8
    register("t")
    assert redact("format type digest") == "format type digest"
    assert Redactor(["t"]).text("a t b") == f"a {REDACTED} b"
