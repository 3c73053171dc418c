"""Secrets (issue 7, item 4): the candidate's token never reaches any output.

One module fixture drives the whole suite path in real subprocesses with one known token:
a passing run, a failing run (faults switched on, so failures with curl lines and response
excerpts are rendered), a run against a hostile candidate that reflects the Authorization
header back (raw, base64, URL-encoded, in the body, in headers, and straddling the excerpt
cut), shard runs and their merge, keygen, certify (a certificate and a signed failure
record), verify, review, and the registry (add, list, index). Every file written and every
line printed is then scanned for the token in each form it could take.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote

import pytest

from conformance.engine.exchange import EXCERPT_BYTES
from fixtures.reference_candidate.server import serve_in_thread
from tests.conftest import FIXTURE, TOKEN_ENV, Cli, run_cli, serving

pytestmark = pytest.mark.slow
LICENCE = "gov.e-licence@1.1.0"
FAULTS = ("wrong-date-format", "html-error-page", "wrong-content-type", "undocumented-status")
WINDOW = 12  # a leaked run of this many characters of the token counts as a leak


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _urlsafe_b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def secret_forms(token: str) -> dict[str, str]:
    """Every form in which the token could leak, by name."""
    bearer = f"Bearer {token}"
    forms = {
        "raw": token,
        "bearer": bearer,
        "base64": _b64(token).rstrip("="),
        "base64-bearer": _b64(bearer).rstrip("="),
        "urlsafe-base64": _urlsafe_b64(token),
        "url-encoded": quote(token, safe=""),
        "url-encoded-bearer": quote(bearer, safe=""),
    }
    # a partial leak (an excerpt cut through the token) is still a leak
    forms.update(
        {f"window-{i}": token[i : i + WINDOW] for i in range(0, len(token) - WINDOW + 1, 4)}
    )
    return forms


def _echo_body(auth: str, token: str) -> bytes:
    """A 500 body echoing the secret several ways, the raw token cut by the excerpt limit."""
    head = (
        json.dumps(
            {
                "code": "ECHO",
                "message": f"you sent {auth}",
                "trace_id": _b64(token),
                "url": quote(auth, safe=""),
            }
        )[:-1]
        + ', "pad": "'
    )
    pad = EXCERPT_BYTES - len(head.encode()) - (len(token) - 6)  # 6 characters past the cut
    return (head + "x" * pad + token + '"}').encode()


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    """A hostile candidate: every answer reflects the Authorization header it was sent."""

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _echo(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 1 << 20))
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            body = _echo_body(auth, token)
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Echo", auth)
            self.send_header("X-Echo-B64", _b64(auth))
            self.send_header("Set-Cookie", f"session={token}; HttpOnly")
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _echo

        def log_message(self, *args: object) -> None:
            pass

    with serving(Echo) as url:
        yield url


@dataclass
class Session:
    root: Path
    token: str
    outputs: dict[str, Cli] = field(default_factory=dict)

    def cli(self, label: str, *args: str, code: int | None) -> Cli:
        """Run a command with the token in its environment; None: any exit code but 2."""
        result = run_cli(*args, env={TOKEN_ENV: self.token})
        self.outputs[label] = result
        expected = result.code != 2 if code is None else result.code == code
        assert expected, (label, result.code, result.out[-3000:], result.err[-3000:])
        assert "Traceback" not in result.out + result.err
        return result

    def run(self, label: str, url: str, *extra: str, code: int) -> Path:
        reports = self.root / "reports" / label
        self.cli(
            label,
            *("run", "--standard", LICENCE, "--candidate", str(FIXTURE / "candidate.yaml")),
            *("--base-url", url, "--reports-dir", str(reports), "--seed", "5"),
            *("--max-examples", "3", "--request-timeout", "2", *extra),
            code=code,
        )
        (folder,) = [p for p in reports.iterdir() if p.is_dir()]
        return folder


WAIVERS = """\
standard: gov.e-licence@1.1.0
waivers:
  - id: W-SECRETS-1
    clause: LIC-API-006
    reason: 日期格式迁移中 / date format migration
    approved_by: 审核员
    expires: 2099-12-31
"""


@pytest.fixture(scope="module")
def session(
    tmp_path_factory: pytest.TempPathFactory, token: str, echo_url: str
) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("secrets")
    done = Session(root, token)
    good, good_url = serve_in_thread(token=token)
    bad, bad_url = serve_in_thread(token=token, faults=frozenset(FAULTS))
    keys = root / "keys"
    runner = ("--runner-key", str(keys / "runner.key.pem"))  # runs are attested (issue 16)
    try:
        done.cli("keygen-runner", "keygen", "--out", str(keys), "--name", "runner", code=0)
        passing = done.run("run-pass", good_url, *runner, code=0)
        failing = done.run("run-fail", bad_url, *runner, code=1)
        done.run("run-echo", echo_url, code=1)
        shards = [done.run(f"shard-{i}", good_url, "--shard", f"{i}/2", code=0) for i in (1, 2)]
        done.cli(
            "merge",
            *("merge", *(str(s) for s in shards), "--reports-dir", str(root / "merged")),
            code=0,
        )
        done.cli("keygen", "keygen", "--out", str(keys), code=0)
        key = keys / "issuer.key.pem"
        trusted = ("--trust-runner", str(keys / "runner.pub.pem"), "--log", str(root / "log.jsonl"))
        done.cli("certify-pass", "certify", str(passing), "--key", str(key), *trusted, code=0)
        (certificate,) = passing.glob("certificate.json")
        done.cli(
            "verify", "verify", str(certificate), "--trust", str(keys / "issuer.pub.pem"), code=0
        )
        waivers = root / "waivers.yaml"
        waivers.write_text(WAIVERS, encoding="utf-8")
        review = ("review", str(failing), "--waivers", str(waivers), "--as-of", "2026-11-29")
        done.cli("review", *review, code=None)
        assert (failing / "results.reviewed.json").is_file()
        done.cli("certify-fail", "certify", str(failing), "--key", str(key), *trusted, code=None)
        records = [*failing.glob("certificate.json"), *failing.glob("failure-record.json")]
        assert records
        db = root / "registry.sqlite"
        done.cli(
            "registry-add",
            *("registry", "add", str(certificate), *(str(r) for r in records)),
            *("--db", str(db), "--trust", str(keys / "issuer.pub.pem")),
            code=0,
        )
        done.cli("registry-list", "registry", "list", "--db", str(db), code=0)
        done.cli("registry-index", "registry", "index", "--db", str(db), code=0)
        yield done
    finally:
        for server in (good, bad):
            server.shutdown()
            server.server_close()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_every_command_of_the_path_ran_and_wrote_its_files(session: Session) -> None:
    names = {p.name for p in _files(session.root)}
    for expected in (
        "results.json",
        "junit.xml",
        "report.html",
        "results.reviewed.json",
        "certificate.json",
        "issuer.key.pem",
        "registry.sqlite",
        "index.html",
    ):
        assert expected in names, sorted(names)
    assert any(n.startswith("failure-record") for n in names) or "certificate.json" in names
    assert set(session.outputs) >= {"run-pass", "run-fail", "run-echo", "merge", "verify"}


def _failures(run: Path) -> list[dict[str, object]]:
    data = json.loads((run / "results.json").read_text(encoding="utf-8"))
    return [f for r in data["results"] for f in r.get("failures", [])]


def _run_folder(session: Session, label: str) -> Path:
    (folder,) = [p for p in (session.root / "reports" / label).iterdir() if p.is_dir()]
    return folder


def test_failures_carry_curl_lines_that_name_the_variable(session: Session) -> None:
    for label in ("run-fail", "run-echo"):
        failures = _failures(_run_folder(session, label))
        curls = [f["evidence"]["curl"] for f in failures if f.get("evidence")]  # type: ignore[index]
        assert curls, label
        authorised = [c for c in curls if "Authorization" in c]
        assert authorised, label
        for curl in authorised:
            # the right token as its variable; the wrong-credentials probe's token as sent
            named = f'"Authorization: Bearer ${{{TOKEN_ENV}}}"' in curl
            assert named or "'Authorization: Bearer wrong-credentials-for-probe'" in curl, curl
        assert any(f"${{{TOKEN_ENV}}}" in c for c in authorised), label


def test_reflected_secret_is_redacted_in_excerpts_and_headers(session: Session) -> None:
    failures = _failures(_run_folder(session, "run-echo"))
    responses = [f["evidence"]["response"] for f in failures if f.get("evidence")]  # type: ignore[index]
    assert responses
    shown = [r for r in responses if "X-Echo" in r["headers"] or "x-echo" in r["headers"]]
    assert shown, responses[0]
    assert any("[REDACTED]" in json.dumps(r) for r in shown)


@pytest.mark.parametrize(
    "form",
    [
        "raw",
        "bearer",
        "base64",
        "base64-bearer",
        "urlsafe-base64",
        "url-encoded",
        "url-encoded-bearer",
        "window",
    ],
)
def test_no_form_of_the_token_in_any_file_or_output(session: Session, form: str) -> None:
    forms = {
        name: value
        for name, value in secret_forms(session.token).items()
        if name == form or name.startswith(f"{form}-")
    }
    assert forms
    leaks: list[str] = []
    for path in _files(session.root):
        if path.name == "waivers.yaml":
            continue
        data = path.read_bytes()
        for name, value in forms.items():
            if value.encode() in data:
                leaks.append(f"{path.relative_to(session.root)}: {name}")
    for label, result in session.outputs.items():
        for stream, text in (("stdout", result.out), ("stderr", result.err)):
            for name, value in forms.items():
                if value in text:
                    leaks.append(f"{label} {stream}: {name}")
    assert leaks == []
