"""Curl lines reproduce: each sends exactly what the suite sent (the secret as a variable).

The suite runs against the real reference candidate with a fault; every GET failure's curl
line is then run by bash and curl, and must get the status the suite recorded.  The auth
probes are replayed against a correct server too: the wrong-credentials line must still get
401 (it sends the wrong token, not the variable holding the right one), and the
no-credentials line sends no Authorization header at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN_ENV, run_licence

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def _replay(curl: str, token: str, base: str | None = None, other: str | None = None) -> int:
    line = curl.replace(base, other) if base and other else curl
    done = subprocess.run(
        ["bash", "-c", line + " --max-time 20 -o /dev/null -w '%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), TOKEN_ENV: token},
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def _failures(reports: Path) -> list[dict[str, Any]]:
    (path,) = list(reports.glob("*/results.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    return [f for r in data["results"] for f in r["failures"] if f.get("evidence", {}).get("curl")]


def test_curl_lines_reproduce_what_the_suite_saw(
    tmp_path: Path, faulty_server: Callable[..., str], reference_url: str, token: str
) -> None:
    url = faulty_server("auth-not-enforced", "wrong-date-format")
    result = run_licence(tmp_path, url, token, "--max-examples", "3", "--seed", "5")
    assert result.code == 1, result.out + result.err
    failures = _failures(tmp_path)
    probes = {f["message"].split(" got ")[0]: f for f in failures if f["check"] == "auth_enforced"}
    wrong = probes["request with wrong credentials"]["evidence"]
    missing = probes["request with no credentials"]["evidence"]
    # what was sent, shown as it was: the wrong token is no secret, the right one is
    assert "Authorization: Bearer wrong-credentials-for-probe" in wrong["curl"]
    assert "${" not in wrong["curl"]
    assert wrong["request"]["headers"]["Authorization"] == "Bearer wrong-credentials-for-probe"
    assert "Authorization" not in missing["curl"]
    assert "Authorization" not in missing["request"]["headers"]
    # the faulty server answers both probes 200, as the suite saw; a correct server 401
    for evidence in (wrong, missing):
        assert _replay(evidence["curl"], token) == evidence["response"]["status"] == 200
        assert _replay(evidence["curl"], token, url, reference_url) == 401
    replayed = 0
    for failure in failures:
        evidence = failure["evidence"]
        assert token not in evidence["curl"]
        if evidence["request"]["method"] != "GET":
            continue
        assert _replay(evidence["curl"], token) == evidence["response"]["status"], evidence
        replayed += 1
        if failure["check"] == "response_schema":
            # with the token from the variable, the correct server accepts it
            assert f"${{{TOKEN_ENV}}}" in evidence["curl"]
            assert _replay(evidence["curl"], token, url, reference_url) == 200
    assert replayed >= 3
