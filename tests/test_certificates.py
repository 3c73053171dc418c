"""Certificates: keys, certify, verify, tampering, expiry, trust, revocation, digests."""

from __future__ import annotations

import base64
import copy
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.certificates._canonical import CanonicalError, canonical_json, parse_strict
from conformance.certificates.issue import CertificateError, certify_run, valid_until
from conformance.certificates.keys import (
    KeyFileError,
    generate_keypair,
    key_id,
    load_private_key,
    load_trusted_keys,
)
from conformance.certificates.verify import (
    Revocations,
    load_revocations,
    read_document,
    verify_document,
    verify_file,
)
from conformance.review import review_run
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli
from tests.review_data import (
    ALL_PASS,
    FAILING,
    RUNNER_POLICY,
    json_leaves,
    make_results,
    make_standard,
    write_run,
    write_run_key,
)

NOW = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "keys"
    current = generate_keypair(folder, "current")
    old = generate_keypair(folder, "old")
    return {
        "private": current.private,
        "public": current.public,
        "old_private": old.private,
        "old_public": old.public,
        "folder": folder,
        "runner": write_run_key(tmp_path / "runner"),
    }


@pytest.fixture
def standards(tmp_path: Path) -> Path:
    root = tmp_path / "standards"
    make_standard(root, manual_level="SHOULD")
    return root


def _run(tmp_path: Path, standards: Path, outcomes: list[tuple[str, str, str, str]]) -> Path:
    standard = make_standard(standards, manual_level="SHOULD")
    return write_run(tmp_path / "run", make_results(standard, outcomes))


@pytest.fixture
def certificate(tmp_path: Path, standards: Path, keys: dict[str, Path]) -> Path:
    run = _run(tmp_path, standards, ALL_PASS)
    issued = certify_run(
        run,
        load_private_key(keys["private"]),
        issuer="省数据局 Reviewer",
        policy=RUNNER_POLICY,
        standards_dirs=[standards],
        now=NOW,
    )
    return issued.json_path


def _verify(path: Path, keys: dict[str, Path], standards: Path, **options: Any) -> list[str]:
    trusted = load_trusted_keys([keys["public"]])
    result = verify_file(path, trusted, now=NOW, standards_dirs=[standards], **options)
    return [p.code for p in result.problems]


# -- canonical JSON and keys ---------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8_and_refuses_ambiguity() -> None:
    assert canonical_json({"b": [1, {"d": None, "c": True}], "a": "证照"}) == (
        '{"a":"证照","b":[1,{"c":true,"d":null}]}'.encode()
    )
    with pytest.raises(CanonicalError, match="float"):
        canonical_json({"latency": 1.5})
    with pytest.raises(CanonicalError, match="duplicate key"):
        parse_strict('{"a": 1, "a": 2}')
    with pytest.raises(CanonicalError, match="NaN"):
        parse_strict('{"a": NaN}')


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(
    tmp_path: Path,
) -> None:
    done = run_cli("keygen", "--out", str(tmp_path), "--name", "reviewer-2026")
    assert done.code == 0, done.err
    private = tmp_path / "reviewer-2026.key.pem"
    public = tmp_path / "reviewer-2026.pub.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = private.read_bytes()
    done = run_cli("keygen", "--out", str(tmp_path), "--name", "reviewer-2026")
    assert done.code == 2
    assert "refusing to overwrite" in done.err
    assert private.read_bytes() == before


def test_encrypted_private_key_needs_its_passphrase(tmp_path: Path) -> None:
    os.environ["TEST_KEY_PASSPHRASE"] = "correct horse battery staple"
    try:
        pair = generate_keypair(tmp_path, "sealed", "TEST_KEY_PASSPHRASE")
        assert b"ENCRYPTED" in pair.private.read_bytes()
        load_private_key(pair.private, "TEST_KEY_PASSPHRASE")
        with pytest.raises(KeyFileError, match="passphrase-env"):
            load_private_key(pair.private)
    finally:
        del os.environ["TEST_KEY_PASSPHRASE"]


def test_trusting_a_private_key_file_is_refused(keys: dict[str, Path]) -> None:
    with pytest.raises(KeyFileError, match="private key"):
        load_trusted_keys([keys["private"]])


# -- certify -------------------------------------------------------------------------------


def test_passing_run_gets_a_certificate_with_every_field(
    certificate: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    raw = certificate.read_bytes()
    document = json.loads(raw)
    assert canonical_json(document) == raw  # written canonical
    payload = document["payload"]
    assert payload["type"] == "certificate"
    assert payload["id"].startswith("cert-")
    assert payload["candidate"]["vendor"] == "某某科技 <b>Vendor</b>"
    assert payload["candidate"]["system"] == "people-hub"
    assert payload["candidate"]["version"] == "2.0.0"
    assert payload["candidate"]["exports"] == [
        {
            "name": "people",
            "file": "people.jsonl",
            "format": "jsonl",
            "records": 10,
            "sha256": "a" * 64,
        }
    ]
    standard = make_standard(tmp_path / "standards", manual_level="SHOULD")
    assert payload["standard"]["ref"] == "test.review@1.0.0"
    assert payload["standard"]["digest"] == standard.digest
    assert payload["suite"] == {"name": "gov-conformance", "version": "0.1.0"}
    assert payload["run"]["seed"] == 42
    assert payload["run"]["run_id"] == "20261129T000000Z-abcdef"
    assert payload["verdict"] == "pass"
    assert payload["issued_at"] == "2026-11-29T08:00:00+00:00"
    assert payload["valid_until"] == "2027-11-29T08:00:00+00:00"  # one year by default
    assert payload["issuer"]["name"] == "省数据局 Reviewer"
    assert payload["issuer"]["key_id"] == document["signature"]["key_id"]
    statuses = {c["id"]: c["status"] for c in payload["clauses"]}
    assert statuses["T-API-001"] == "pass"
    assert statuses["T-OPS-001"] == "awaiting-attestation"  # a SHOULD manual clause here
    html = certificate.with_suffix(".html").read_text(encoding="utf-8")
    assert "某某科技 &lt;b&gt;Vendor&lt;/b&gt;" in html
    assert "<b>Vendor</b>" not in html
    assert payload["id"] in html


def test_valid_until_never_passes_the_standards_sunset() -> None:
    issued = datetime(2026, 11, 29, tzinfo=UTC)
    assert valid_until(issued, None, 365) == issued + timedelta(days=365)
    assert valid_until(issued, "2027-03-01", 365) == datetime(2027, 3, 1, tzinfo=UTC)
    assert valid_until(issued, "2030-01-01", 365) == issued + timedelta(days=365)


def test_certificate_is_capped_at_sunset(tmp_path: Path, keys: dict[str, Path]) -> None:
    root = tmp_path / "standards"
    standard = make_standard(root, manual_level="SHOULD", sunset="2027-02-01")
    run = write_run(tmp_path / "run", make_results(standard, ALL_PASS))
    issued = certify_run(
        run,
        load_private_key(keys["private"]),
        issuer="x",
        policy=RUNNER_POLICY,
        standards_dirs=[root],
        now=NOW,
    )
    assert issued.document["payload"]["valid_until"] == "2027-02-01T00:00:00+00:00"


def test_failing_run_gets_a_signed_failure_record_never_a_certificate(
    tmp_path: Path, standards: Path, keys: dict[str, Path]
) -> None:
    run = _run(tmp_path, standards, FAILING)
    done = run_cli(
        *("certify", str(run), "--key", str(keys["private"]), "--standards-dir", str(standards)),
        *("--trust-runner", str(keys["runner"]), "--log", str(tmp_path / "log.jsonl")),
    )
    assert done.code == 1, done.out + done.err
    assert "failure record" in done.out
    assert not (run / "certificate.json").exists()
    record = json.loads((run / "failure-record.json").read_text(encoding="utf-8"))
    payload = record["payload"]
    assert payload["type"] == "failure-record"
    assert payload["verdict"] == "fail"
    assert "valid_until" not in payload
    assert "MUST clause T-API-001: fail" in payload["reasons"]
    assert (run / "failure-record.html").is_file()
    # issued now by the CLI: verified a minute later, not at the fixed NOW
    later = datetime.now(UTC) + timedelta(minutes=1)
    codes = [
        p.code
        for p in verify_file(
            run / "failure-record.json",
            load_trusted_keys([keys["public"]]),
            now=later,
            standards_dirs=[standards],
        ).problems
    ]
    assert codes == ["not-a-certificate", "verdict-not-pass"]


def test_certify_refuses_what_cannot_be_certified(
    tmp_path: Path, standards: Path, keys: dict[str, Path]
) -> None:
    key = load_private_key(keys["private"])
    run = _run(tmp_path, standards, ALL_PASS)
    # results whose verdict is not what they roll up to, even from a trusted runner
    data = json.loads((run / "results.json").read_text(encoding="utf-8"))
    data["results"][0]["status"] = "fail"
    write_run(run, data)
    with pytest.raises(CertificateError, match="roll up to 'fail'"):
        certify_run(run, key, issuer="x", policy=RUNNER_POLICY, standards_dirs=[standards], now=NOW)
    # the standard changed since the run
    run = _run(tmp_path, standards, ALL_PASS)
    schema = standards / "test.review" / "1.0.0" / "schemas" / "person.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(CertificateError, match="run it again"):
        certify_run(run, key, issuer="x", policy=RUNNER_POLICY, standards_dirs=[standards], now=NOW)
    # a draft standard, and one past its sunset
    for kwargs, message in (
        ({"status": "draft"}, "status=draft"),
        ({"sunset": "2026-11-01"}, "reached its sunset"),
    ):
        standard = make_standard(standards, manual_level="SHOULD", **kwargs)
        run = write_run(tmp_path / "run", make_results(standard, ALL_PASS))
        with pytest.raises(CertificateError, match=message):
            certify_run(
                run, key, issuer="x", policy=RUNNER_POLICY, standards_dirs=[standards], now=NOW
            )
    assert not (run / "certificate.json").exists()


def test_certify_never_overwrites_an_issued_document(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    before = certificate.read_bytes()
    done = run_cli(
        "certify",
        str(certificate.parent),
        "--key",
        str(keys["private"]),
        "--trust-runner",
        str(keys["runner"]),
        "--standards-dir",
        str(standards),
    )
    assert done.code == 2
    assert "refusing to overwrite" in done.err
    assert certificate.read_bytes() == before


# -- verify --------------------------------------------------------------------------------


def test_valid_certificate_verifies_with_exit_0(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    done = run_cli(
        "verify",
        str(certificate),
        "--trust",
        str(keys["public"]),
        "--standards-dir",
        str(standards),
        "--at",
        "2027-01-01T00:00:00Z",
    )
    assert done.code == 0, done.out + done.err
    assert done.out.startswith("valid: cert-")


def _altered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "x"
    text = str(value)
    return text[:-1] + ("0" if text[-1:] != "0" else "1") if text else "x"


def test_changing_any_field_makes_verification_fail(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    document = json.loads(certificate.read_text(encoding="utf-8"))
    trusted = load_trusted_keys([keys["public"]])
    assert verify_document(document, trusted, now=NOW, standards_dirs=[standards]).valid
    leaves = list(json_leaves(document["payload"]))
    assert len(leaves) > 40
    for pointer in leaves:
        tampered = copy.deepcopy(document)
        node = tampered["payload"]
        for token in pointer[:-1]:
            node = node[token]
        node[pointer[-1]] = _altered(node[pointer[-1]])
        path = certificate.with_name("tampered.json")
        path.write_bytes(canonical_json(tampered))
        result = verify_file(path, trusted, now=NOW, standards_dirs=[standards])
        assert not result.valid, pointer
        assert result.problems[0].code in ("signature-invalid", "key-mismatch", "malformed")
    # adding or removing a field
    for change in ("add", "remove"):
        tampered = copy.deepcopy(document)
        if change == "add":
            tampered["payload"]["warnings"].append("injected")
        else:
            tampered["payload"]["clauses"].pop()
        assert not verify_document(tampered, trusted, now=NOW, standards_dirs=[standards]).valid


def test_changing_the_signature_makes_verification_fail(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    document = json.loads(certificate.read_text(encoding="utf-8"))
    value = document["signature"]["value"]
    for index in (0, 40, 84, 85):  # 85: only the unused low bits change
        tampered = copy.deepcopy(document)
        flipped = "B" if value[index] != "B" else "C"
        tampered["signature"]["value"] = value[:index] + flipped + value[index + 1 :]
        path = certificate.with_name("tampered.json")
        path.write_bytes(canonical_json(tampered))
        assert _verify(path, keys, standards) == ["signature-invalid"]
    tampered = copy.deepcopy(document)
    tampered["signature"]["key_id"] = "0" * 32
    path.write_bytes(canonical_json(tampered))
    assert _verify(path, keys, standards) == ["key-mismatch"]
    tampered = copy.deepcopy(document)
    tampered["signature"]["algorithm"] = "none"
    path.write_bytes(canonical_json(tampered))
    assert _verify(path, keys, standards) == ["malformed"]
    path.write_text("not json at all", encoding="utf-8")
    assert _verify(path, keys, standards) == ["malformed"]


def test_expired_and_not_yet_valid(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    trusted = load_trusted_keys([keys["public"]])
    document, _ = read_document(certificate)
    assert document is not None

    def codes(at: datetime) -> list[str]:
        return [
            p.code
            for p in verify_document(document, trusted, now=at, standards_dirs=[standards]).problems
        ]

    assert codes(datetime(2027, 11, 29, 7, 59, 59, tzinfo=UTC)) == []
    assert codes(datetime(2027, 11, 29, 8, 0, 0, tzinfo=UTC)) == ["expired"]
    assert codes(datetime(2026, 11, 29, 7, 0, 0, tzinfo=UTC)) == ["not-yet-valid"]
    done = run_cli(
        "verify",
        str(certificate),
        "--trust",
        str(keys["public"]),
        "--standards-dir",
        str(standards),
        "--at",
        "2028-01-01",
    )
    assert done.code == 1
    assert "expired: valid_until 2027-11-29T08:00:00+00:00 has passed" in done.out


def test_untrusted_key_and_key_rotation(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    common = ["--standards-dir", str(standards), "--at", "2027-01-01"]
    done = run_cli("verify", str(certificate), "--trust", str(keys["old_public"]), *common)
    assert done.code == 1
    assert "key-untrusted" in done.out
    # several trusted keys at once: the old and the current one
    done = run_cli(
        "verify", str(certificate), "--trust", str(keys["old_public"]), str(keys["public"]), *common
    )
    assert done.code == 0, done.out
    done = run_cli("verify", str(certificate), "--trust", str(keys["folder"]), *common)
    assert done.code == 0, done.out


def test_revoked_certificate_and_revoked_key(
    certificate: Path, keys: dict[str, Path], standards: Path, tmp_path: Path
) -> None:
    revocations = tmp_path / "revocations.json"
    done = run_cli(
        *("revoke", str(certificate), "--list", str(revocations), "--reason", "数据造假"),
        "--no-log",  # the list only (the logged revocation: tests/test_transparency.py)
    )
    assert done.code == 0, done.err
    assert _verify(certificate, keys, standards, revocations=load_revocations([revocations])) == [
        "revoked"
    ]
    done = run_cli(
        "verify",
        str(certificate),
        "--trust",
        str(keys["public"]),
        "--revoked",
        str(revocations),
        "--standards-dir",
        str(standards),
        "--at",
        "2027-01-01",
    )
    assert done.code == 1
    assert "revoked: 数据造假" in done.out
    key_id = json.loads(certificate.read_text())["signature"]["key_id"]
    listing = tmp_path / "keys-revoked.yaml"
    listing.write_text(
        yaml.safe_dump(
            {"revoked": [{"key_id": key_id, "reason": "key leaked", "date": "2026-11-29"}]}
        ),
        encoding="utf-8",
    )
    assert _verify(certificate, keys, standards, revocations=load_revocations([listing])) == [
        "revoked"
    ]
    assert _verify(certificate, keys, standards, revocations=Revocations()) == []
    listing.write_text("revoked:\n  - reason: no target\n    date: 2026-11-29\n", encoding="utf-8")
    done = run_cli(
        "verify",
        str(certificate),
        "--trust",
        str(keys["public"]),
        "--revoked",
        str(listing),
        "--standards-dir",
        str(standards),
    )
    assert done.code == 2
    assert f"{listing}:2" in done.err


def test_standard_digest_must_equal_the_published_standard(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    assert _verify(certificate, keys, standards) == []
    folder = standards / "test.review" / "1.0.0"
    manifest = folder / "standard.yaml"
    # comments and lifecycle fields carry no requirement: the digest stays
    manifest.write_text(manifest.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert _verify(certificate, keys, standards) == []
    # any other byte of the version folder does change it
    (folder / "notes.txt").write_text("a new file in the version folder\n", encoding="utf-8")
    assert _verify(certificate, keys, standards) == ["standard-digest"]
    assert _verify(certificate, keys, standards.parent / "elsewhere") == ["standard-unknown"]


def test_certificate_replayed_for_another_system_or_standard(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    assert _verify(certificate, keys, standards, expect_system="people-hub") == []
    assert _verify(certificate, keys, standards, expect_system="other-system") == [
        "system-mismatch"
    ]
    assert _verify(certificate, keys, standards, expect_standard="test.review@2.0.0") == [
        "standard-mismatch"
    ]


def test_reviewed_run_certificate_lists_waivers_attestations_and_warnings(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    root = tmp_path / "standards"
    standard = make_standard(root)  # manual MUST clause: needs the attestation
    run = write_run(tmp_path / "run", make_results(standard, FAILING))
    waivers = tmp_path / "waivers.yaml"
    common = "approved_by: 王五, expires: 2027-06-30"
    waivers.write_text(
        "waivers:\n"
        f"  - {{id: W-1, clause: T-API-001, reason: migration, {common}}}\n"
        f"  - {{id: W-2, clause: T-EXP-001, reason: cleansing, {common}}}\n",
        encoding="utf-8",
    )
    attestations = tmp_path / "attestations.yaml"
    attestations.write_text(
        "attestations:\n"
        "  - {clause: T-OPS-001, reviewer: 李四, evidence: rota seen, date: 2026-11-20}\n",
        encoding="utf-8",
    )
    review_run(run, waivers=waivers, attestations=attestations, as_of=NOW.date())
    issued = certify_run(
        run,
        load_private_key(keys["private"]),
        issuer="x",
        policy=RUNNER_POLICY,
        standards_dirs=[root],
        now=NOW,
    )
    payload = issued.document["payload"]
    assert payload["type"] == "certificate"
    assert payload["run"]["results_file"] == "results.reviewed.json"
    assert payload["run"]["reviewed"] is True
    assert [w["id"] for w in payload["waivers"]] == ["W-1", "W-2"]
    assert payload["attestations"][0]["reviewer"] == "李四"
    statuses = {c["id"]: c["status"] for c in payload["clauses"]}
    assert statuses == {
        "T-API-001": "waived",
        "T-API-002": "fail",
        "T-API-003": "skip",
        "T-OPS-001": "attested",
        "T-EXP-001": "waived",
    }
    assert payload["warnings"] == ["SHOULD clause T-API-002: fail"]
    html = issued.html_path.read_text(encoding="utf-8")
    assert "W-1" in html
    assert "李四" in html


@pytest.mark.slow
def test_real_run_certificate_holds_export_digests_and_no_secret(
    tmp_path: Path, reference_url: str, token: str, keys: dict[str, Path]
) -> None:
    reports = tmp_path / "reports"
    runner = generate_keypair(tmp_path / "runner-keys", "ci-runner")
    runner_pem = runner.private.read_text(encoding="utf-8")
    done = run_cli(
        "run",
        "--standard",
        "gov.e-licence@1.1.0",
        "--candidate",
        str(FIXTURE / "candidate.yaml"),
        "--base-url",
        reference_url,
        "--reports-dir",
        str(reports),
        "--max-examples",
        "3",
        "--seed",
        "5",
        env={TOKEN_ENV: token, "CONFORMANCE_RUNNER_KEY": runner_pem},  # the key as CI gives it
    )
    assert done.code == 0, done.out + done.err
    assert f"(runner key {runner.key_id})" in done.out
    secret_line = runner_pem.splitlines()[1]  # the base64 of the private key
    assert secret_line not in done.out + done.err
    (results,) = reports.glob("*/results.json")
    assert (results.parent / "run-attestation.json").is_file()
    done = run_cli(
        *("certify", str(results), "--key", str(keys["private"])),
        *("--trust-runner", str(runner.public), "--log", str(tmp_path / "log.jsonl")),
    )
    assert done.code == 0, done.out + done.err
    certificate = results.parent / "certificate.json"
    payload = json.loads(certificate.read_text(encoding="utf-8"))["payload"]
    exports = {e["name"]: e for e in payload["candidate"]["exports"]}
    data = json.loads(results.read_text(encoding="utf-8"))
    assert exports["licences-jsonl"]["sha256"] == data["exports"]["licences-jsonl"]["sha256"]
    assert payload["standard"]["digest"] == data["standard"]["digest"]
    for path in results.parent.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        assert token not in text, path
        assert secret_line not in text, path
    done = run_cli("verify", str(certificate), "--trust", str(keys["public"]))
    assert done.code == 0, done.out + done.err


# -- every attack through the CLI, each with its own reason --------------------------------


def _resign(document: dict[str, Any], private: Ed25519PrivateKey, key: str | None = None) -> None:
    """Sign the payload with ``private``; ``key`` is the key id both blocks then name."""
    if key is not None:
        document["payload"]["issuer"]["key_id"] = key
        document["signature"]["key_id"] = key
    signature = private.sign(canonical_json(document["payload"]))
    document["signature"]["value"] = base64.b64encode(signature).decode("ascii")


def _attack(
    name: str, document: dict[str, Any], keys: dict[str, Path], standards: Path
) -> list[str]:
    """Apply attack ``name`` to ``document`` in place; return extra `verify` arguments."""
    payload = document["payload"]
    if name == "forged-signature":
        document["signature"]["value"] = base64.b64encode(os.urandom(64)).decode("ascii")
    elif name == "same-key-id-other-key-material":
        _resign(document, Ed25519PrivateKey.generate())  # the trusted key's id, another key
    elif name == "field-altered":
        payload["candidate"]["system"] = "another-system"
    elif name == "signed-field-added":
        payload["warnings"].append("injected after signing")
    elif name == "unsigned-field-added":
        document["approved"] = True  # beside payload and signature: covered by no signature
    elif name == "unsigned-signature-field-added":
        document["signature"]["note"] = "trust me"
    elif name == "signed-by-untrusted-key":
        old = load_private_key(keys["old_private"])
        _resign(document, old, key_id(old.public_key()))
    elif name == "key-id-swapped":
        document["signature"]["key_id"] = "0" * 32
    elif name == "replayed-for-another-system":
        return ["--system", "other-system"]
    elif name == "replayed-for-another-standard-version":
        return ["--standard", "test.review@2.0.0"]
    elif name == "standard-changed-since":
        (standards / "test.review" / "1.0.0" / "notes.txt").write_text("changed\n", "utf-8")
    elif name == "expired":
        return ["--at", "2028-01-01"]
    elif name == "not-yet-valid":
        return ["--at", "2026-01-01"]
    elif name == "revoked":
        listing = standards.parent / "revoked.yaml"
        entry = {"certificate": payload["id"], "reason": "数据造假", "date": "2026-11-29"}
        listing.write_text(yaml.safe_dump({"revoked": [entry]}, allow_unicode=True), "utf-8")
        return ["--revoked", str(listing)]
    elif name == "signing-key-revoked":
        listing = standards.parent / "revoked.yaml"
        entry = {
            "key_id": document["signature"]["key_id"],
            "reason": "leaked",
            "date": "2026-11-29",
        }
        listing.write_text(yaml.safe_dump({"revoked": [entry]}), "utf-8")
        return ["--revoked", str(listing)]
    else:
        raise AssertionError(name)
    return []


# Forging a signature, altering or adding a signed field, and signing with other key material
# under the trusted key's id are one fact to a verifier (the signature does not match this
# content under this key): one reason, signature-invalid. Every other attack has its own.
ATTACKS = [
    ("forged-signature", "signature-invalid"),
    ("same-key-id-other-key-material", "signature-invalid"),
    ("field-altered", "signature-invalid"),
    ("signed-field-added", "signature-invalid"),
    ("unsigned-field-added", "malformed"),
    ("unsigned-signature-field-added", "malformed"),
    ("signed-by-untrusted-key", "key-untrusted"),
    ("key-id-swapped", "key-mismatch"),
    ("replayed-for-another-system", "system-mismatch"),
    ("replayed-for-another-standard-version", "standard-mismatch"),
    ("standard-changed-since", "standard-digest"),
    ("expired", "expired"),
    ("not-yet-valid", "not-yet-valid"),
    ("revoked", "revoked"),
    ("signing-key-revoked", "revoked"),
]


@pytest.mark.parametrize(("attack", "reason"), ATTACKS, ids=[a for a, _ in ATTACKS])
def test_verify_cli_refuses_each_attack_with_its_reason(
    attack: str, reason: str, certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    document = json.loads(certificate.read_text(encoding="utf-8"))
    extra = _attack(attack, document, keys, standards)
    forged = certificate.with_name("presented.json")
    forged.write_bytes(canonical_json(document))
    at = [] if "--at" in extra else ["--at", "2027-01-01"]
    common = ["--trust", str(keys["public"]), "--standards-dir", str(standards), *at]
    done = run_cli("verify", str(forged), *common, *extra)
    assert done.code == 1, done.out + done.err
    assert "Traceback" not in done.out + done.err
    lines = done.out.splitlines()
    assert lines[0].startswith("invalid: ")
    assert [line.strip().split(":")[0] for line in lines[1:]] == [reason], done.out


def test_the_unforged_certificate_passes_the_same_cli_check(
    certificate: Path, keys: dict[str, Path], standards: Path
) -> None:
    done = run_cli(
        *("verify", str(certificate), "--trust", str(keys["public"])),
        *("--standards-dir", str(standards), "--at", "2027-01-01"),
        *("--system", "people-hub", "--standard", "test.review@1.0.0"),
    )
    assert done.code == 0, done.out + done.err
