"""Run attestations (DSSE + in-toto) and certify's trust in them: policy, digests, claims."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conformance.certificates._canonical import canonical_json
from conformance.certificates.attest import (
    ATTESTATION_NAME,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    RunClaims,
    RunnerPolicy,
    attest_run,
    pae,
    sign_envelope,
)
from conformance.certificates.issue import certify_run
from conformance.certificates.keys import generate_keypair, key_id
from conformance.errors import ConformanceError
from conformance.review import review_run
from tests.conftest import run_cli
from tests.review_data import (
    ALL_PASS,
    FAILING,
    RUNNER_KEY,
    RUNNER_POLICY,
    attest,
    json_leaves,
    make_results,
    make_standard,
    write_run,
    write_run_key,
)

NOW = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)
ISSUER = Ed25519PrivateKey.generate()
SIDE_FILES = {"junit.xml": "<testsuites/>\n", "report.html": "<!doctype html><p>report</p>\n"}


@pytest.fixture
def standards(tmp_path: Path) -> Path:
    root = tmp_path / "standards"
    make_standard(root, manual_level="SHOULD")
    return root


def _make_run(
    folder: Path,
    standards: Path,
    outcomes: list[tuple[str, str, str, str]],
    runner: Ed25519PrivateKey | None = RUNNER_KEY,
    **candidate: str,
) -> Path:
    """A run folder as a run leaves it: results.json, junit.xml, report.html, attestation."""
    standard = make_standard(standards, manual_level="SHOULD")
    data = make_results(standard, outcomes)
    data["candidate"].update(candidate)
    folder.mkdir(parents=True)
    for name, text in SIDE_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return write_run(folder, data, runner)


def _certify(run: Path, standards: Path, policy: RunnerPolicy = RUNNER_POLICY) -> Any:
    return certify_run(
        run, ISSUER, issuer="省数据局", policy=policy, standards_dirs=[standards], now=NOW
    )


def _refused(run: Path, standards: Path, policy: RunnerPolicy = RUNNER_POLICY) -> str:
    with pytest.raises(ConformanceError) as caught:
        _certify(run, standards, policy)
    assert not (run / "certificate.json").exists()
    assert not (run / "failure-record.json").exists()
    return str(caught.value)


def _keys_cli(tmp_path: Path) -> tuple[Path, Path]:
    issuer = generate_keypair(tmp_path / "issuer-keys", "issuer")
    return issuer.private, write_run_key(tmp_path / "runner-keys")


# -- the envelope and the statement ------------------------------------------------------


def test_pae_is_the_dsse_specifications_and_its_published_signature_verifies() -> None:
    """DSSE protocol.md's test vector: our encoding is the bytes its ECDSA signature covers."""
    encoded = pae("http://example.com/HelloWorld", b"hello world")
    assert encoded == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    numbers = ec.EllipticCurvePublicNumbers(
        46950820868899156662930047687818585632848591499744589407958293238635476079160,
        5640078356564379163099075877009565129882514886557779369047442380624545832820,
        ec.SECP256R1(),
    )
    raw = base64.b64decode(
        "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="
    )
    signature = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    numbers.public_key().verify(signature, encoded, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        numbers.public_key().verify(signature, encoded + b" ", ec.ECDSA(hashes.SHA256()))
    assert pae("t", b"") == b"DSSEv1 1 t 0 "
    assert pae("证", b"x") == "DSSEv1 3 证 1 x".encode()  # lengths in bytes, not characters


def _statement(run: Path) -> dict[str, Any]:
    envelope = json.loads((run / ATTESTATION_NAME).read_text(encoding="utf-8"))
    return dict(json.loads(base64.b64decode(envelope["payload"])))


def test_attestation_subjects_are_every_file_and_the_predicate_the_runs_claims(
    tmp_path: Path, standards: Path
) -> None:
    run = _make_run(tmp_path / "run", standards, ALL_PASS)
    envelope = json.loads((run / ATTESTATION_NAME).read_text(encoding="utf-8"))
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert envelope["signatures"][0]["keyid"] == key_id(RUNNER_KEY.public_key())
    statement = _statement(run)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE
    import hashlib

    assert {s["name"]: s["digest"]["sha256"] for s in statement["subject"]} == {
        name: hashlib.sha256((run / name).read_bytes()).hexdigest()
        for name in ("junit.xml", "report.html", "results.json")
    }
    data = json.loads((run / "results.json").read_text(encoding="utf-8"))
    predicate = statement["predicate"]
    assert predicate["standard"] == {
        "ref": data["standard"]["ref"],
        "digest": data["standard"]["digest"],
    }
    assert predicate["candidate"]["base_url"] == data["candidate"]["base_url"]
    assert predicate["run"]["seed"] == data["seed"]
    assert predicate["run"]["requests_sha256"] == data["requests_sha256"]
    assert predicate["run"]["started_at"] == data["started_at"]
    assert predicate["run"]["finished_at"] == data["finished_at"]
    assert predicate["tool"] == {"name": "gov-conformance", "version": data["suite"]["version"]}
    issued = _certify(run, standards)
    attestation = issued.document["payload"]["run"]["attestation"]
    assert attestation["runner"] == {
        "name": "test runner",
        "role": "reviewer",
        "key_id": key_id(RUNNER_KEY.public_key()),
    }


def test_a_run_is_never_attested_twice_over(tmp_path: Path, standards: Path) -> None:
    run = _make_run(tmp_path / "run", standards, ALL_PASS)
    before = (run / ATTESTATION_NAME).read_bytes()
    data = json.loads((run / "results.json").read_text(encoding="utf-8"))
    with pytest.raises(ConformanceError, match="refusing to overwrite"):
        attest_run(run, RunClaims.from_results(data), RUNNER_KEY)
    assert (run / ATTESTATION_NAME).read_bytes() == before


# -- item 2: what certify refuses --------------------------------------------------------


def _flip_to_pass(data: dict[str, Any]) -> None:
    """What the reviewer tried: failed results flipped to pass, with the summary."""
    for result in data["results"]:
        if result["status"] in ("fail", "error"):
            result["status"] = "pass"
            result["failures"] = []
    data["summary"] = {
        "pass": len(data["results"]),
        "fail": 0,
        "skip": 0,
        "error": 0,
    } | {k: v for k, v in data["summary"].items() if k not in ("pass", "fail", "skip", "error")}
    data["summary"]["pass"] = sum(1 for r in data["results"] if r["status"] == "pass")
    data["summary"]["skip"] = sum(1 for r in data["results"] if r["status"] == "skip")
    from conformance.engine.verdict import decide_from_results

    verdict = decide_from_results(data)
    data["verdict"], data["reasons"], data["exit_code"] = verdict.verdict, verdict.reasons, 0
    for clause in data["clauses"]:
        clause["status"] = verdict.clause_status[clause["id"]]


def test_results_edited_after_the_run_are_refused_through_the_cli(
    tmp_path: Path, standards: Path
) -> None:
    run = _make_run(tmp_path / "run", standards, FAILING)
    data = json.loads((run / "results.json").read_text(encoding="utf-8"))
    _flip_to_pass(data)
    assert data["verdict"] == "pass"  # the doctored file is self-consistent
    (run / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    issuer, runner = _keys_cli(tmp_path)
    done = run_cli(
        *("certify", str(run), "--key", str(issuer), "--trust-runner", str(runner)),
        *("--standards-dir", str(standards)),
    )
    assert done.code == 2, done.out + done.err
    lines = done.err.strip().splitlines()
    assert len(lines) == 1, done.err
    assert lines[0].startswith(f"error: {run / 'results.json'}: sha256 ")
    assert "but the run attestation records" in lines[0]
    assert "changed after the run" in lines[0]
    assert not (run / "certificate.json").exists()
    assert not (run / "failure-record.json").exists()
    # the same doctored results, attested again by whoever edited them
    attest(run, Ed25519PrivateKey.generate())
    done = run_cli(
        *("certify", str(run), "--key", str(issuer), "--trust-runner", str(runner)),
        *("--standards-dir", str(standards)),
    )
    assert done.code == 2
    assert f"{run / ATTESTATION_NAME} at /signatures: signed by runner key" in done.err
    assert "does not trust" in done.err
    assert not (run / "certificate.json").exists()


def test_results_from_an_untrusted_runner_are_refused(tmp_path: Path, standards: Path) -> None:
    stranger = Ed25519PrivateKey.generate()
    run = _make_run(tmp_path / "run", standards, ALL_PASS, runner=stranger)
    message = _refused(run, standards)
    assert f"signed by runner key {key_id(stranger.public_key())}" in message
    # the same run is certified once its runner is trusted
    policy = RunnerPolicy.of_keys([write_run_key(tmp_path / "k", stranger, "stranger")])
    assert _certify(run, standards, policy).is_certificate


def test_results_for_another_standard_digest_are_refused(tmp_path: Path, standards: Path) -> None:
    # a run, honestly attested, of a standard whose content differs from the published one
    standard = make_standard(standards, manual_level="SHOULD")
    data = make_results(standard, ALL_PASS)
    data["standard"]["digest"] = "sha256:" + "1" * 64
    run = write_run(tmp_path / "run", data)
    message = _refused(run, standards)
    assert f"{run / 'results.json'} at /standard/digest" in message
    assert "run it again" in message
    # a trusted runner's predicate naming another digest than its own results
    run = _make_run(tmp_path / "run2", standards, ALL_PASS)
    statement = _statement(run)
    statement["predicate"]["standard"]["digest"] = "sha256:" + "2" * 64
    _write_envelope(run, sign_envelope(statement, RUNNER_KEY))
    message = _refused(run, standards)
    assert "standard.digest=" in message
    assert "predicate /standard/digest" in message


def test_a_run_without_attestation_is_refused(tmp_path: Path, standards: Path) -> None:
    run = _make_run(tmp_path / "run", standards, ALL_PASS, runner=None)
    message = _refused(run, standards)
    assert "no run attestation" in message
    assert "--runner-key" in message


def _policy_file(folder: Path, allow: bool, vendor: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_run_key(folder, RUNNER_KEY, "vendor-ci")
    write_run_key(folder, Ed25519PrivateKey.generate(), "reviewer")
    path = folder / "runners.yaml"
    path.write_text(
        f"allow_self_assessment: {str(allow).lower()}\n"
        "runners:\n"
        "  - {name: 省数据局 runner, role: reviewer, key: reviewer.pub.pem}\n"
        f"  - {{name: vendor CI, role: vendor, vendor: '{vendor}', key: vendor-ci.pub.pem}}\n",
        encoding="utf-8",
    )
    return path


def test_a_vendors_runner_only_where_the_policy_allows_self_assessment(
    tmp_path: Path, standards: Path
) -> None:
    vendor = "某某科技 <b>Vendor</b>"  # the vendor of make_results' candidate
    run = _make_run(tmp_path / "run", standards, ALL_PASS)
    closed = RunnerPolicy.load(_policy_file(tmp_path / "closed", False, vendor))
    assert "does not allow self-assessment" in _refused(run, standards, closed)
    other = RunnerPolicy.load(_policy_file(tmp_path / "other", True, "另一家公司"))
    assert "may attest only its own systems" in _refused(run, standards, other)
    allowed = RunnerPolicy.load(_policy_file(tmp_path / "open", True, vendor))
    issued = _certify(run, standards, allowed)
    assert issued.document["payload"]["run"]["attestation"]["runner"]["role"] == "vendor"


def test_a_malformed_policy_names_its_file_and_line(tmp_path: Path, standards: Path) -> None:
    path = _policy_file(tmp_path / "p", False, "x")
    path.write_text(
        path.read_text(encoding="utf-8").replace("role: reviewer", "role: auditor"),
        encoding="utf-8",
    )
    run = _make_run(tmp_path / "run", standards, ALL_PASS)
    issuer, _ = _keys_cli(tmp_path)
    done = run_cli(
        *("certify", str(run), "--key", str(issuer), "--policy", str(path)),
        *("--standards-dir", str(standards)),
    )
    assert done.code == 2
    assert done.err.startswith(f"error: {path}:3")
    assert "Traceback" not in done.err
    done = run_cli("certify", str(run), "--key", str(issuer), "--standards-dir", str(standards))
    assert done.code == 2
    assert "--policy FILE" in done.err


def test_reviewed_results_must_be_the_attested_results_reviewed(
    tmp_path: Path, standards: Path
) -> None:
    run = _make_run(tmp_path / "run", standards, FAILING)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - {id: W-1, clause: T-API-001, reason: migration, approved_by: 王五, "
        "expires: 2027-06-30}\n",
        encoding="utf-8",
    )
    review_run(run, waivers=waivers, as_of=NOW.date())
    reviewed = run / "results.reviewed.json"
    pristine = reviewed.read_text(encoding="utf-8")
    data = json.loads(pristine)
    index = next(i for i, r in enumerate(data["results"]) if r["status"] == "fail")
    data["results"][index]["status"] = "pass"
    reviewed.write_text(json.dumps(data), encoding="utf-8")
    message = _refused(run, standards)
    assert f"{reviewed} at /results/{index}/status" in message
    assert "reviewed results were edited" in message
    data = json.loads(pristine)
    data["review"]["source"]["sha256"] = "0" * 64
    reviewed.write_text(json.dumps(data), encoding="utf-8")
    assert "expected a review of this run's results" in _refused(run, standards)
    reviewed.write_text(pristine, encoding="utf-8")
    assert _certify(run, standards).document["payload"]["run"]["reviewed"] is True


# -- item 5: the tamper matrix of the attestation ----------------------------------------


def _altered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "http://127.0.0.1:1"
    text = str(value)
    return text[:-1] + ("0" if text[-1:] != "0" else "1") if text else "x"


def _set(document: dict[str, Any], pointer: tuple[Any, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    node = changed
    for token in pointer[:-1]:
        node = node[token]
    node[pointer[-1]] = _altered(node[pointer[-1]])
    return changed


def _write_envelope(run: Path, envelope: dict[str, Any]) -> None:
    (run / ATTESTATION_NAME).write_text(json.dumps(envelope), encoding="utf-8")


def _with_payload(envelope: dict[str, Any], statement: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(envelope)
    changed["payload"] = base64.b64encode(canonical_json(statement)).decode("ascii")
    return changed


# Counted in docs/robustness.md (part 6); a change of any count fails here first.
STATEMENT_FIELDS = 3 * 2 + 16  # three subjects (name, digest), 16 other leaves


def test_every_statement_field_changed_is_refused_signed_or_not(
    tmp_path: Path, standards: Path
) -> None:
    run = _make_run(tmp_path / "run", standards, ALL_PASS)
    envelope = json.loads((run / ATTESTATION_NAME).read_text(encoding="utf-8"))
    statement = _statement(run)
    pointers = list(json_leaves(statement))
    assert len(pointers) == STATEMENT_FIELDS
    unsigned = resigned = 0
    for pointer in pointers:
        changed = _set(statement, pointer)
        # edited without the key: the signature no longer covers the payload
        _write_envelope(run, _with_payload(envelope, changed))
        assert "does not verify" in _refused(run, standards), pointer
        unsigned += 1
        # edited and signed again by the trusted runner: it no longer matches the run
        _write_envelope(run, sign_envelope(changed, RUNNER_KEY))
        message = _refused(run, standards)
        assert message.startswith(str(run) + "/"), (pointer, message)  # names the file
        resigned += 1
    _write_envelope(run, envelope)
    assert _certify(run, standards).is_certificate
    assert (unsigned, resigned) == (STATEMENT_FIELDS, STATEMENT_FIELDS)


ENVELOPE_ATTACKS = [
    "payload-type-changed",
    "payload-type-changed-and-signed",
    "keyid-changed",
    "sig-changed",
    "sig-not-base64",
    "payload-not-base64",
    "signatures-empty",
    "not-json",
    "signed-by-untrusted-key-only",
]


def _envelope_attack(name: str, envelope: dict[str, Any], statement: dict[str, Any]) -> Any:
    changed = copy.deepcopy(envelope)
    if name == "payload-type-changed":
        changed["payloadType"] = "application/json"
    elif name == "payload-type-changed-and-signed":
        body = canonical_json(statement)
        sig = RUNNER_KEY.sign(pae("application/json", body))
        changed["payloadType"] = "application/json"
        changed["signatures"][0]["sig"] = base64.b64encode(sig).decode("ascii")
    elif name == "keyid-changed":
        changed["signatures"][0]["keyid"] = "0" * 32
    elif name == "sig-changed":
        raw = bytearray(base64.b64decode(changed["signatures"][0]["sig"]))
        raw[10] ^= 1
        changed["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode("ascii")
    elif name == "sig-not-base64":
        changed["signatures"][0]["sig"] = "!!!"
    elif name == "payload-not-base64":
        changed["payload"] = "%%%"
    elif name == "signatures-empty":
        changed["signatures"] = []
    elif name == "not-json":
        return "{not json"
    elif name == "signed-by-untrusted-key-only":
        changed = sign_envelope(statement, Ed25519PrivateKey.generate())
    else:
        raise AssertionError(name)
    return changed


@pytest.mark.parametrize("attack", ENVELOPE_ATTACKS)
def test_every_envelope_field_changed_is_refused(
    attack: str, tmp_path: Path, standards: Path
) -> None:
    run = _make_run(tmp_path / "run", standards, ALL_PASS)
    envelope = json.loads((run / ATTESTATION_NAME).read_text(encoding="utf-8"))
    changed = _envelope_attack(attack, envelope, _statement(run))
    if isinstance(changed, str):
        (run / ATTESTATION_NAME).write_text(changed, encoding="utf-8")
    else:
        _write_envelope(run, changed)
    assert str(run / ATTESTATION_NAME) in _refused(run, standards)


SUBJECT_FILES = ("junit.xml", "report.html", "results.json")


@pytest.mark.parametrize("name", SUBJECT_FILES)
@pytest.mark.parametrize("change", ["one-byte-added", "removed"])
def test_every_subject_file_changed_or_removed_is_refused(
    name: str, change: str, tmp_path: Path, standards: Path
) -> None:
    run = _make_run(tmp_path / "run", standards, ALL_PASS)
    target = run / name
    if change == "removed":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes() + b" ")
    message = _refused(run, standards)
    # results.json gone: load_run names the folder; any other file is named itself
    where = run if (name, change) == ("results.json", "removed") else target
    assert message.startswith(f"{where}: "), message


def test_swapped_envelopes_and_a_replay_for_another_candidate_are_refused(
    tmp_path: Path, standards: Path
) -> None:
    good = _make_run(tmp_path / "good", standards, ALL_PASS, system="people-hub")
    bad = _make_run(tmp_path / "bad", standards, FAILING, system="case-hub")
    good_envelope = (good / ATTESTATION_NAME).read_bytes()
    # swapped: the passing run's attestation put beside the failing run's files
    (bad / ATTESTATION_NAME).write_bytes(good_envelope)
    message = _refused(bad, standards)
    assert "changed after the run" in message
    # replayed for another candidate: the passing results, relabelled for case-hub
    data = json.loads((good / "results.json").read_text(encoding="utf-8"))
    data["candidate"]["system"] = "case-hub"
    replay = tmp_path / "replay"
    replay.mkdir()
    for name in SIDE_FILES:
        (replay / name).write_bytes((good / name).read_bytes())
    (replay / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    (replay / ATTESTATION_NAME).write_bytes(good_envelope)
    assert "changed after the run" in _refused(replay, standards)
    # the untouched runs are certified as they are: a certificate and a failure record
    assert _certify(good, standards).is_certificate
    attest(bad)
    assert not _certify(bad, standards).is_certificate


# -- the runner key at the front door ----------------------------------------------------


def _run_reference(reports: Path, url: str, env: dict[str, str], *extra: str) -> Any:
    from tests.conftest import FIXTURE, TOKEN_ENV

    return run_cli(
        *("run", "--standard", "gov.e-licence@1.1.0"),
        *("--candidate", str(FIXTURE / "candidate.yaml"), "--base-url", url),
        *("--reports-dir", str(reports), "--max-examples", "1", "--seed", "3"),
        *extra,
        env={TOKEN_ENV: env.pop("token"), **env},
    )


@pytest.mark.slow
def test_a_run_without_a_runner_key_says_it_cannot_be_certified(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    env = {"token": token, "CONFORMANCE_RUNNER_KEY": ""}
    done = _run_reference(tmp_path / "reports", reference_url, env)
    assert done.code == 0, done.out + done.err
    assert "attestation: none (no --runner-key or CONFORMANCE_RUNNER_KEY)" in done.out
    assert "cannot be certified" in done.out
    (run,) = (tmp_path / "reports").iterdir()
    assert not (run / ATTESTATION_NAME).exists()


@pytest.mark.slow
def test_a_bad_runner_key_stops_the_run_before_it_starts_and_is_never_shown(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    # an RSA-looking PEM body that is not a key: the text must not be echoed anywhere
    secret = "-----BEGIN PRIVATE KEY-----\nTUlJU0VDUkVUS0VZVEVYVA==\n-----END PRIVATE KEY-----\n"
    env = {"token": token, "CONFORMANCE_RUNNER_KEY": secret}
    done = _run_reference(tmp_path / "reports", reference_url, env)
    assert done.code == 2, done.out + done.err
    assert "environment variable CONFORMANCE_RUNNER_KEY" in done.out + done.err
    assert "TUlJU0VDUkVUS0VZVEVYVA" not in done.out + done.err
    assert not list((tmp_path / "reports").glob("*/results.json"))
    pair = generate_keypair(tmp_path / "k", "issuer")
    env = {"token": token}
    done = _run_reference(tmp_path / "r2", reference_url, env, "--runner-key", str(pair.public))
    assert done.code == 2
    assert f"{pair.public}" in done.out + done.err


@pytest.mark.slow
def test_merged_shards_are_attested_only_when_this_runner_attested_every_shard(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    runner = generate_keypair(tmp_path / "k", "runner")
    key = ("--runner-key", str(runner.private))
    shards = []
    for index in (1, 2):
        reports = tmp_path / f"s{index}"
        extra = ("--run-id", "run", "--shard", f"{index}/2")
        done = _run_reference(reports, reference_url, {"token": token}, *key, *extra)
        assert done.code == 0, done.out + done.err
        assert (reports / "run" / ATTESTATION_NAME).is_file()
        shards.append(str(reports / "run"))
    done = run_cli("merge", *shards, "--reports-dir", str(tmp_path / "merged"), *key)
    assert done.code == 0, done.out + done.err
    assert f"(runner key {runner.key_id})" in done.out
    merged = tmp_path / "merged" / "run"
    issuer = generate_keypair(tmp_path / "k", "issuer")
    done = run_cli(
        *("certify", str(merged), "--key", str(issuer.private)),
        *("--trust-runner", str(runner.public), "--log", str(tmp_path / "log.jsonl")),
    )
    assert done.code == 0, done.out + done.err
    # a shard attested by another key: the merged run is not attested
    other = generate_keypair(tmp_path / "k", "other")
    (Path(shards[1]) / ATTESTATION_NAME).unlink()
    data = json.loads((Path(shards[1]) / "results.json").read_text(encoding="utf-8"))
    attest_run(Path(shards[1]), RunClaims.from_results(data), _private(other.private))
    done = run_cli(
        *("merge", *shards, "--reports-dir", str(tmp_path / "merged2")),
        *("--runner-key", str(runner.private)),
    )
    assert done.code == 0, done.out + done.err
    assert "attestation: none: a shard is not attested by this runner's key" in done.out
    assert not (tmp_path / "merged2" / "run" / ATTESTATION_NAME).exists()


def _private(path: Path) -> Ed25519PrivateKey:
    from conformance.certificates.keys import load_private_key

    return load_private_key(path)
