"""The candidate profile, and bad input to `conformance run`: exit code 2, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from conformance.candidate import load_candidate
from conformance.errors import CandidateError
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli
from tests.test_standards import DATA

GOOD = {
    "identity": {"vendor": "v", "system": "s", "version": "1"},
    "base_url": "http://127.0.0.1:9",
    "auth": {"scheme": "bearer", "token_env": "SOME_TOKEN_VAR"},
    "claims": [{"standard": "gov.e-licence@1.1.0", "exports": {"licences-jsonl": "x.jsonl"}}],
}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "candidate.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_reference_profile_loads() -> None:
    candidate = load_candidate(FIXTURE / "candidate.yaml")
    assert candidate.auth is not None
    assert candidate.auth.token_env == TOKEN_ENV
    assert {c.standard for c in candidate.claims} == {
        "gov.e-licence@1.1.0",
        "gov.data-catalogue@1.0.0",
        "gov.service-case@1.0.0",
        "gov.service-case@2.0.0",
        "gov.service-hall@1.0.0",
    }
    for claim in candidate.claims:
        for path in claim.exports.values():
            assert path.is_file(), path


def test_export_paths_are_relative_to_the_profile(tmp_path: Path) -> None:
    candidate = load_candidate(_write(tmp_path, GOOD))
    assert candidate.claims[0].exports["licences-jsonl"] == tmp_path / "x.jsonl"


def test_secret_comes_from_the_environment_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    candidate = load_candidate(_write(tmp_path, GOOD))
    assert candidate.auth is not None
    monkeypatch.delenv("SOME_TOKEN_VAR", raising=False)
    with pytest.raises(CandidateError, match="environment variable SOME_TOKEN_VAR is not set"):
        candidate.auth.secret()
    monkeypatch.setenv("SOME_TOKEN_VAR", "s3cret")
    assert candidate.auth.headers(candidate.auth.secret()) == {"Authorization": "Bearer s3cret"}
    assert candidate.auth.shell_headers() == {"Authorization": "Bearer ${SOME_TOKEN_VAR}"}


def _bad(tmp_path: Path, name: str) -> tuple[list[str], str]:
    """Arguments for `conformance run` with one thing wrong, and the text the error must show."""
    good = dict(GOOD)
    if name == "malformed-yaml":
        path = tmp_path / "candidate.yaml"
        path.write_text("identity: {vendor: v\nclaims: [", encoding="utf-8")
        return ["--candidate", str(path)], "candidate.yaml:"
    if name == "missing-field":
        del good["identity"]
        return ["--candidate", str(_write(tmp_path, good))], "'identity' is a required property"
    if name == "unknown-version":
        good["claims"] = [{"standard": "gov.e-licence@7.0.0"}]
        return ["--candidate", str(_write(tmp_path, good))], "known versions of gov.e-licence"
    if name == "token-unset":
        return ["--candidate", str(_write(tmp_path, good))], "SOME_TOKEN_VAR is not set"
    if name == "unknown-export":
        good["claims"] = [{"standard": "gov.e-licence@1.1.0", "exports": {"nope": "x"}}]
        return ["--candidate", str(_write(tmp_path, good))], "not exports of gov.e-licence@1.1.0"
    if name == "unclaimed-standard":
        return [
            "--candidate",
            str(_write(tmp_path, good)),
            "--standard",
            "gov.service-case@1.0.0",
        ], "does not claim standard='gov.service-case@1.0.0'"
    if name == "bad-ref":
        return ["--candidate", str(_write(tmp_path, good)), "--standard", "licence"], "ID@VERSION"
    if name == "missing-profile":
        return ["--candidate", str(tmp_path / "none.yaml")], "candidate profile not found"
    if name == "broken-standard":
        good["claims"] = [{"standard": "test.minimal@1.0.0"}]
        return [
            "--candidate",
            str(_write(tmp_path, good)),
            "--standards-dir",
            str(DATA / "broken" / "missing-field"),
        ], "standard.yaml:1 at /: 'status' is a required property"
    if name == "yaml-tag-standard":
        good["claims"] = [{"standard": "test.minimal@1.0.0"}]
        return [
            "--candidate",
            str(_write(tmp_path, good)),
            "--standards-dir",
            str(DATA / "broken" / "yaml-tag"),
        ], "could not determine a constructor"
    if name == "ref-missing-standard":
        good["claims"] = [{"standard": "test.minimal@1.0.0"}]
        return [
            "--candidate",
            str(_write(tmp_path, good)),
            "--standards-dir",
            str(DATA / "broken" / "ref-missing"),
        ], "openapi.yaml:16 at /paths/~1people~1{id}/get/responses/200"
    if name == "runaway-pattern-standard":  # (an unknown format is only a warning now)
        good["claims"] = [{"standard": "test.minimal@1.0.0"}]
        return [
            "--candidate",
            str(_write(tmp_path, good)),
            "--standards-dir",
            str(DATA / "broken" / "pattern-backtracking"),
        ], "pattern='^(P|P)+[0-9]*$' backtracks catastrophically"
    if name == "duplicate-clause-standard":
        good["claims"] = [{"standard": "test.minimal@1.0.0"}]
        return [
            "--candidate",
            str(_write(tmp_path, good)),
            "--standards-dir",
            str(DATA / "broken" / "duplicate-clause"),
        ], "duplicate clause id='MIN-API-001'"
    if name == "path-outside-standard":
        good["claims"] = [{"standard": "test.minimal@1.0.0"}]
        return [
            "--candidate",
            str(_write(tmp_path, good)),
            "--standards-dir",
            str(DATA / "broken" / "path-outside"),
        ], "leaves the version folder"
    raise AssertionError(name)


BAD_CASES = [
    "malformed-yaml",
    "missing-field",
    "unknown-version",
    "token-unset",
    "unknown-export",
    "unclaimed-standard",
    "bad-ref",
    "missing-profile",
    "broken-standard",
    "yaml-tag-standard",
    "ref-missing-standard",
    "runaway-pattern-standard",
    "duplicate-clause-standard",
    "path-outside-standard",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_2_with_a_located_message(tmp_path: Path, case: str) -> None:
    args, expected = _bad(tmp_path, case)
    env = {k: v for k, v in os.environ.items() if k != "SOME_TOKEN_VAR"}
    if case != "token-unset":
        env["SOME_TOKEN_VAR"] = "x"
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("claim", "line", "pointer"),
    [
        (
            "    exports: {licences-jsonl: x.jsonl, nope/odd: y.jsonl}",
            9,
            "/claims/1/exports/nope~1odd",
        ),
        ("    implements: [NO-SUCH-CLAUSE]", 9, "/claims/1/implements"),
    ],
)
def test_a_claim_naming_what_the_standard_lacks_is_located(
    tmp_path: Path, claim: str, line: int, pointer: str
) -> None:
    # the second claim is the run's: the error names the file, the line and claims/1
    profile = tmp_path / "candidate.yaml"
    profile.write_text(
        "identity: {vendor: v, system: s, version: '1'}\n"
        "base_url: http://127.0.0.1:9\n"
        "auth: {scheme: bearer, token_env: SOME_TOKEN_VAR}\n"
        "claims:\n"
        "  - standard: gov.service-case@1.0.0\n"
        "    implements: []\n"
        "  - standard: gov.e-licence@1.1.0\n"
        "    # the line below is line 9\n"
        f"{claim}\n",
        encoding="utf-8",
    )
    done = run_cli(
        "run",
        "--candidate",
        str(profile),
        "--standard",
        "gov.e-licence@1.1.0",
        env={"SOME_TOKEN_VAR": "x"},
    )
    assert done.code == 2, done.out + done.err
    assert "Traceback" not in done.out + done.err
    assert f"{profile}:{line} at {pointer}" in done.err, done.err


def test_bad_option_value_exits_2() -> None:
    result = run_cli("run", "--candidate", "x.yaml", "--max-examples", "many")
    assert result.code == 2
    assert "--max-examples: expected a whole number, got 'many'" in result.err
