"""Control characters are data (issue 15 item 7).

A real candidate on 127.0.0.1 answers with escape sequences (ESC, BEL, other C0 and C1
controls) and bidirectional overrides in its status line, headers and bodies.  Both front
doors run against it; the terminal output, report.html and junit.xml then hold none of those
characters raw, only their visible escapes.  Identities that get signed refuse them: the
candidate profile's identity (a run's attestation signs it), certify's issuer and the
run's candidate; `verify` and certificate.html show a signed document's escaped.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance.certificates._canonical import canonical_json
from conformance.certificates.issue import certify_run
from conformance.certificates.keys import generate_keypair, load_private_key
from conformance.certificates.render import render_certificate
from conformance.controls import control_in, visible, visible_data
from tests.conftest import FIXTURE, TOKEN_ENV, Cli, run_cli
from tests.review_data import (
    ALL_PASS,
    RUNNER_POLICY,
    make_results,
    make_standard,
    write_run,
    write_run_key,
)

LICENCE = "gov.e-licence@1.1.0"
CANDIDATE = FIXTURE / "candidate.yaml"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
# Every character that must never reach an output raw (tab and line breaks aside).
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029" + BIDI + "]")
HOSTILE_NAME = "\x1b[2J\x1b[31m\u202eevil"  # in a file name (no NUL there)
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\u202eevil\u2066iso\u2069\x9b1m\x00end"


def _raw_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})


@pytest.fixture(scope="module")
def hostile_url() -> Iterator[str]:
    """Every answer carries control and bidirectional characters in every part it has."""

    class Hostile(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 1 << 20))
            body = json.dumps(
                {"code": HOSTILE, "message": HOSTILE, "licence_id": HOSTILE},
                ensure_ascii=False,
            ).encode("utf-8")
            head = (
                f"HTTP/1.1 500 {HOSTILE}\r\n".encode()
                + b"Content-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n".encode()
                + f"X-Note: {HOSTILE}\r\n".encode()
                + b"Connection: close\r\n\r\n"
            )
            self.wfile.write(head + body)
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _hostile_candidate(folder: Path, base_url: str) -> Path:
    """The reference profile with control characters in its base URL's path, in an export
    file's name and in that file's records (a candidate's text, not its signed identity)."""
    shutil.copytree(CANDIDATE.parent / "exports", folder / "exports")
    licences = folder / "exports" / "gov.e-licence"
    (licences / "licences.xml").rename(licences / f"lic{HOSTILE_NAME}.xml")
    jsonl = licences / "licences.jsonl"
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["division_code"] = record["status"] = HOSTILE
    lines[0] = json.dumps(record, ensure_ascii=False)
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = CANDIDATE.read_text(encoding="utf-8")
    text = text.replace(
        "licences-xml: exports/gov.e-licence/licences.xml",
        f"licences-xml: {json.dumps(f'exports/gov.e-licence/lic{HOSTILE_NAME}.xml')}",
    )
    hostile_url = json.dumps(base_url + "/" + HOSTILE_NAME)
    text = re.sub(r"(?m)^base_url: .*$", lambda _: f"base_url: {hostile_url}", text)
    path = folder / "candidate.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, hostile_url: str) -> Runs:
    root = tmp_path_factory.mktemp("controls")
    candidate = _hostile_candidate(root, hostile_url)
    common = ("--standard", LICENCE, "--candidate", str(candidate))
    common += ("--seed", "3", "--max-examples", "2", "--request-timeout", "2")
    cli = run_cli("run", *common, "--reports-dir", str(root / "cli"), env={TOKEN_ENV: "t" * 24})
    door = subprocess.run(
        [
            sys.executable,
            *("-m", "pytest", "-p", "no:cacheprovider", *common),
            *("--reports-dir", str(root / "pytest"), "-rA"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=root,
        env={**os.environ, TOKEN_ENV: "t" * 24},
    )
    return Runs(root, cli, door)


@dataclass
class Runs:
    root: Path
    cli: Cli
    pytest: subprocess.CompletedProcess[str]


def _run_dir(root: Path, door: str) -> Path:
    (folder,) = [p for p in (root / door).iterdir() if p.is_dir()]
    return folder


def test_terminal_output_shows_controls_escaped(runs: Runs) -> None:
    cli, door = runs.cli, runs.pytest
    assert cli.code == 1, cli.out[-2000:] + cli.err[-2000:]
    assert door.returncode == 1, door.stdout[-3000:]
    for label, text in (("cli", cli.out + cli.err), ("pytest", door.stdout + door.stderr)):
        assert "Traceback" not in text, label
        assert _raw_in(text) == [], label
        assert "\\x1b" in text, label  # the candidate's text was shown, escaped


@pytest.mark.parametrize("door", ["cli", "pytest"])
@pytest.mark.parametrize("name", ["report.html", "junit.xml"])
def test_reports_show_controls_escaped(runs: Runs, door: str, name: str) -> None:
    text = (_run_dir(runs.root, door) / name).read_text(encoding="utf-8")
    assert _raw_in(text) == []
    assert "\\x1b" in text
    assert "\\u202e" in text


# -- identities that get signed ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("vendor", "Acme\u202eCorp"), ("system", "hub\x1b[2J"), ("version", "1.0\u2066")],
)
def test_control_in_the_candidates_identity_is_refused(
    tmp_path: Path, field: str, value: str
) -> None:
    text = CANDIDATE.read_text(encoding="utf-8")
    text = re.sub(rf"(?m)^  {field}: .*$", lambda _: f"  {field}: {json.dumps(value)}", text)
    path = tmp_path / "candidate.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli(
        *("run", "--standard", LICENCE, "--candidate", str(path)),
        *("--reports-dir", str(tmp_path / "reports")),
        env={TOKEN_ENV: "t" * 24},
    )
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert f"identity.{field}" in lines[0], result.err
    assert f"/identity/{field}" in lines[0]
    assert "U+" in lines[0]
    assert _raw_in(result.out + result.err) == []


@pytest.fixture
def issuer_key(tmp_path: Path) -> Path:
    return generate_keypair(tmp_path / "keys", "issuer").private


def _standards(tmp_path: Path) -> Path:
    root = tmp_path / "standards"
    make_standard(root, manual_level="SHOULD")
    return root


def _certify_cli(run: Path, key: Path, standards: Path, *extra: str) -> Cli:
    runner = write_run_key(run.parent / "runner")
    return run_cli(
        *("certify", str(run), "--key", str(key), "--trust-runner", str(runner)),
        *("--standards-dir", str(standards), "--no-log", *extra),
    )


def test_certify_refuses_a_run_whose_candidate_holds_a_control(
    tmp_path: Path, issuer_key: Path
) -> None:
    standards = _standards(tmp_path)
    standard = make_standard(standards, manual_level="SHOULD")
    data = make_results(standard, ALL_PASS)
    data["candidate"]["system"] = "people\u202ehub"
    run = write_run(tmp_path / "run", data)  # attested as it is: only the identity is wrong
    result = _certify_cli(run, issuer_key, standards)
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "candidate.system" in lines[0], lines
    assert "U+202E" in lines[0], lines
    assert "/candidate/system" in lines[0]
    assert not list(run.glob("certificate.*"))
    assert not list(run.glob("failure-record.*"))


def test_certify_refuses_an_issuer_name_with_a_control(tmp_path: Path, issuer_key: Path) -> None:
    standards = _standards(tmp_path)
    standard = make_standard(standards, manual_level="SHOULD")
    run = write_run(tmp_path / "run", make_results(standard, ALL_PASS))
    result = _certify_cli(run, issuer_key, standards, "--issuer", "Bureau\x1b[8m hidden")
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "--issuer" in lines[0], lines
    assert "U+001B" in lines[0], lines
    assert _raw_in(result.out + result.err) == []


def test_keygen_refuses_a_name_with_a_control(tmp_path: Path) -> None:
    result = run_cli("keygen", "--out", str(tmp_path), "--name", "runner\u202e")
    assert result.code == 2, result.out + result.err
    assert _raw_in(result.out + result.err) == []
    assert not list(tmp_path.iterdir())


def test_verify_and_certificate_html_show_a_signed_identity_escaped(
    tmp_path: Path, issuer_key: Path
) -> None:
    """A document signed elsewhere (an older suite, another tool) with controls in its
    identity: `verify` says so with the characters escaped, and so does its HTML view."""
    standards = _standards(tmp_path)
    standard = make_standard(standards, manual_level="SHOULD")
    run = write_run(tmp_path / "run", make_results(standard, ALL_PASS))
    private = load_private_key(issuer_key)
    issued = certify_run(
        run,
        private,
        issuer="reviewer",
        policy=RUNNER_POLICY,
        standards_dirs=[standards],
        now=datetime(2026, 11, 29, tzinfo=UTC),
    )
    document = json.loads(issued.json_path.read_text(encoding="utf-8"))
    document["payload"]["candidate"]["vendor"] = f"Acme{HOSTILE}"
    signature = private.sign(canonical_json(document["payload"]))
    document["signature"]["value"] = base64.b64encode(signature).decode("ascii")
    forged = tmp_path / "presented.json"
    forged.write_bytes(canonical_json(document))
    public = issuer_key.with_name("issuer.pub.pem")
    result = run_cli(
        *("verify", str(forged), "--trust", str(public), "--standards-dir", str(standards)),
        *("--at", "2027-01-01"),
    )
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("valid: ")
    assert _raw_in(result.out + result.err) == []
    assert "Acme\\x1b]0;pwned\\x07" in result.out
    assert "\\u202e" in result.out
    page = render_certificate(document, "en")
    assert _raw_in(page) == []
    assert "\\u202eevil" in page


# -- the escaping itself -------------------------------------------------------------------------


def test_every_control_and_bidi_character_is_escaped() -> None:
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]:
        shown = visible(chr(code))
        assert RAW.search(shown) is None, hex(code)
        assert shown.startswith("\\"), hex(code)
    for char in BIDI + "\u061c":
        assert visible(char) == f"\\u{ord(char):04x}"
        assert control_in(f"a{char}b") == f"U+{ord(char):04X}"
    assert visible("a\tb\r\nc\rd", lines=True) == "a\tb\r\nc\\x0dd"
    assert visible("a\tb\nc") == "a\\x09b\\x0ac"
    assert visible("中文 é ok") == "中文 é ok"
    assert control_in("中文 é ok") is None
    assert visible_data({"k\x1b": ["v\u202e", 1]}) == {"k\\x1b": ["v\\u202e", 1]}
    assert visible(visible(HOSTILE)) == visible(HOSTILE)  # escaping twice changes nothing
