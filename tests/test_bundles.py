"""Standards bundles (issue 13, item 4): pack, verify before use, refuse what was tampered,
unpack nothing outside its folder and nothing unbounded; and the lookup order."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import bundles
from conformance.bundles import BundleError, open_bundle, pack
from conformance.certificates._canonical import canonical_json
from conformance.certificates.keys import generate_keypair
from conformance.errors import ConformanceError
from conformance.standards.loader import StandardsRepository, content_digest
from tests.conftest import FIXTURE, ROOT, TOKEN_ENV, run_cli

STANDARDS = ROOT / "standards"
LICENCE = "gov.e-licence@1.1.0"


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    pair = generate_keypair(tmp_path / "keys", "province")
    return pair.private, pair.public


@pytest.fixture
def repository() -> StandardsRepository:
    return StandardsRepository([STANDARDS])


def _envelope(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return data


def _write(path: Path, envelope: dict[str, Any]) -> Path:
    path.write_bytes(gzip.compress(canonical_json(envelope), mtime=0))
    return path


def _restamp(envelope: dict[str, Any]) -> dict[str, Any]:
    """What an attacker who changed the payload would do: stamp its digest again."""
    payload = canonical_json(envelope["payload"])
    envelope["payload_digest"] = "sha256:" + hashlib.sha256(payload).hexdigest()
    return envelope


def test_pack_and_open_give_the_same_standards(
    tmp_path: Path, repository: StandardsRepository
) -> None:
    out = tmp_path / "b.bundle"
    packed = pack(["gov.e-licence.zj@1.0.0", "gov.service-case@1.0.0"], out, repository=repository)
    # a profile brings its base, first
    assert packed.refs == (
        "gov.e-licence@1.1.0",
        "gov.e-licence.zj@1.0.0",
        "gov.service-case@1.0.0",
    )
    assert packed.signer is None
    opened = open_bundle(out, trust=[])
    for ref in packed.refs:
        standard_id, version = ref.split("@")
        unpacked = opened.folder / standard_id / version
        assert content_digest(unpacked) == content_digest(STANDARDS / standard_id / version)
        assert _tree(unpacked) == _tree(STANDARDS / standard_id / version)
    profile = StandardsRepository([out]).load("gov.e-licence.zj@1.0.0")
    assert profile.digest == repository.load("gov.e-licence.zj@1.0.0").digest
    # the same versions give the same bytes
    again = tmp_path / "again.bundle"
    pack(["gov.e-licence.zj@1.0.0", "gov.service-case@1.0.0"], again, repository=repository)
    assert again.read_bytes() == out.read_bytes()


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_pack_never_overwrites(tmp_path: Path, repository: StandardsRepository) -> None:
    out = tmp_path / "b.bundle"
    out.write_text("mine")
    with pytest.raises(ConformanceError, match="already exists"):
        pack([LICENCE], out, repository=repository)
    assert out.read_text() == "mine"


def test_pack_refuses_a_file_name_open_would_refuse(tmp_path: Path) -> None:
    root = tmp_path / "standards"
    shutil.copytree(STANDARDS / "gov.service-case", root / "gov.service-case")
    (root / "gov.service-case" / "1.0.0" / "examples" / "案例 1.csv").write_text("x")
    with pytest.raises(ConformanceError, match="a bundle takes plain file names"):
        pack(
            ["gov.service-case@1.0.0"],
            tmp_path / "b.bundle",
            repository=StandardsRepository([root]),
        )
    assert not (tmp_path / "b.bundle").exists()


def test_signed_bundle_needs_the_trusted_key(
    tmp_path: Path, repository: StandardsRepository, keys: tuple[Path, Path]
) -> None:
    private, public = keys
    out = tmp_path / "signed.bundle"
    packed = pack([LICENCE], out, repository=repository, key=private)
    assert packed.signer is not None
    assert open_bundle(out, trust=[public]).signer == packed.signer
    with pytest.raises(BundleError, match=f"signed by key_id={packed.signer}; give its public key"):
        open_bundle(out, trust=[])
    other = generate_keypair(tmp_path / "other", "other").public
    with pytest.raises(BundleError, match="not one of the trusted keys"):
        open_bundle(out, trust=[other])
    # a stripped signature is no way round the key
    stripped = _envelope(out)
    del stripped["signature"]
    with pytest.raises(BundleError, match="not signed, but --trust keys were given"):
        open_bundle(_write(tmp_path / "stripped.bundle", stripped), trust=[public])


def _edit_schema(envelope: dict[str, Any]) -> dict[str, Any]:
    """Widen a pattern of the licence schema, as a tamperer would."""
    for file in envelope["payload"]["standards"][0]["files"]:
        if file["path"] == "schemas/licence.schema.json":
            text = base64.b64decode(file["content"]).replace(b'"pattern"', b'"x-pattern"', 1)
            assert text != base64.b64decode(file["content"])
            file["content"] = base64.b64encode(text).decode()
            return envelope
    raise AssertionError("no licence schema in the bundle")


def _restamp_file(envelope: dict[str, Any]) -> dict[str, Any]:
    for file in envelope["payload"]["standards"][0]["files"]:
        data = base64.b64decode(file["content"])
        file["size"], file["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    return envelope


TAMPERING: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = [
    ("content", _edit_schema, "payload digest differs"),
    ("content-and-digest", lambda e: _restamp(_edit_schema(e)), "size or sha256 differs"),
    (
        "content-sha-and-digest",
        lambda e: _restamp(_restamp_file(_edit_schema(e))),
        "content digest sha256:[0-9a-f]+ differs from the declared one",
    ),
    ("format", lambda e: {**e, "format_version": 99}, "format_version=99"),
    ("unknown-field", lambda e: {**e, "run": "rm -rf /"}, "unknown field"),
]


@pytest.mark.parametrize(("name", "tamper", "reason"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_a_tampered_unsigned_bundle_is_refused(
    name: str,
    tamper: Callable[[dict[str, Any]], dict[str, Any]],
    reason: str,
    tmp_path: Path,
    repository: StandardsRepository,
) -> None:
    out = tmp_path / "b.bundle"
    pack([LICENCE], out, repository=repository)
    bad = _write(tmp_path / "bad.bundle", tamper(_envelope(out)))
    with pytest.raises(BundleError, match=reason) as refused:
        open_bundle(bad, trust=[])
    assert str(refused.value).startswith(f"{bad}: standards bundle refused: ")
    assert "\n" not in str(refused.value)


def test_a_tampered_signed_bundle_fails_its_signature(
    tmp_path: Path, repository: StandardsRepository, keys: tuple[Path, Path]
) -> None:
    private, public = keys
    out = tmp_path / "b.bundle"
    pack([LICENCE], out, repository=repository, key=private)
    bad = _write(tmp_path / "bad.bundle", _restamp(_restamp_file(_edit_schema(_envelope(out)))))
    with pytest.raises(BundleError, match="signature does not verify"):
        open_bundle(bad, trust=[public])


@pytest.mark.parametrize(
    "member",
    ["../outside.txt", "/etc/passwd", "schemas/../../x", "a//b", "./x", "a\\..\\b", "x\x00y", ""],
)
def test_a_member_path_leaving_its_folder_is_refused(
    member: str, tmp_path: Path, repository: StandardsRepository
) -> None:
    out = tmp_path / "b.bundle"
    pack([LICENCE], out, repository=repository)
    envelope = _envelope(out)
    data = b"planted"
    envelope["payload"]["standards"][0]["files"].append(
        {
            "path": member,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "content": base64.b64encode(data).decode(),
        }
    )
    bad = _write(tmp_path / "bad.bundle", _restamp(envelope))
    with pytest.raises(BundleError, match="member path="):
        open_bundle(bad, trust=[])
    assert not (tmp_path / "outside.txt").exists()


def test_decompression_and_member_counts_are_bounded(
    tmp_path: Path, repository: StandardsRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.bundle"
    bomb.write_bytes(gzip.compress(b" " * (4 * 1024 * 1024)))  # 4 MiB of blanks, ~4 KiB stored
    monkeypatch.setattr(bundles, "MAX_UNPACKED_BYTES", 1024 * 1024)
    with pytest.raises(BundleError, match="decompresses to more than 1048576 bytes"):
        open_bundle(bomb, trust=[])
    monkeypatch.setattr(bundles, "MAX_BUNDLE_BYTES", 1000)
    with pytest.raises(BundleError, match=r"size=\d+ bytes; at most 1000"):
        open_bundle(bomb, trust=[])
    monkeypatch.undo()
    out = tmp_path / "b.bundle"
    pack([LICENCE], out, repository=repository)
    monkeypatch.setattr(bundles, "MAX_FILES", 3)
    with pytest.raises(BundleError, match="more than 3 files"):
        open_bundle(out, trust=[])
    not_gzip = tmp_path / "plain.bundle"
    not_gzip.write_text("{}")
    with pytest.raises(BundleError, match="not a gzip'd bundle"):
        open_bundle(not_gzip, trust=[])


# -- the command line: exit codes, one line, the lookup order -------------------------------


def test_cli_pack_list_and_refusal(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    out = tmp_path / "province.bundle"
    packed = run_cli("standards", "pack", LICENCE, "--out", str(out), "--key", str(private))
    assert packed.code == 0, packed.err
    assert f"wrote {out}: {LICENCE}; sha256:" in packed.out
    listed = run_cli("standards", "list", "--standards", str(out), "--trust", str(public))
    assert listed.code == 0, listed.err
    (row,) = listed.out.splitlines()
    assert row.startswith(f"{LICENCE}\tpublished\t")
    assert f"from option {out} [bundle sha256:" in row
    assert "signed by key" in row
    unverified = run_cli("standards", "list", "--standards", str(out))
    assert unverified.code == 2
    assert unverified.err.count("\n") == 1, unverified.err
    assert "give its public key with --trust PUB" in unverified.err
    tampered = _write(tmp_path / "t.bundle", _restamp(_edit_schema(_envelope(out))))
    for args in (
        ("standards", "show", LICENCE),
        ("run", "--standard", LICENCE, "--candidate", str(FIXTURE / "candidate.yaml")),
    ):
        refused = run_cli(*args, "--standards", str(tampered), "--trust", str(public))
        assert refused.code == 2, refused.out + refused.err
        reason = f"signature does not verify with key_id={_key_id(out)} (tampered)"
        assert refused.err == f"error: {tampered}: standards bundle refused: {reason}\n"
        assert "Traceback" not in refused.err
    lonely = run_cli("standards", "list", "--trust", str(public), cwd=tmp_path)
    assert lonely.code == 2
    assert "--trust is for a signed standards bundle" in lonely.err


def _key_id(bundle: Path) -> str:
    return str(_envelope(bundle)["signature"]["key_id"])


def test_lookup_order_is_shown_with_each_standards_origin(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    private, public = keys
    bundle = tmp_path / "env.bundle"
    assert run_cli("standards", "pack", "gov.service-case@1.0.0", "--out", str(bundle),
                   "--key", str(private)).code == 0  # fmt: skip
    work = tmp_path / "work"
    shutil.copytree(STANDARDS / "gov.data-catalogue", work / "standards" / "gov.data-catalogue")
    env = {"CONFORMANCE_STANDARDS_PATH": str(bundle), "CONFORMANCE_STANDARDS_TRUST": str(public)}
    listed = run_cli("standards", "list", cwd=work, env=env)
    assert listed.code == 0, listed.err
    header, *rows = listed.out.splitlines()
    assert header.startswith("lookup order (first match wins): --standards")
    origin = {row.split("\t")[0]: row.rsplit("\tfrom ", 1)[1] for row in rows}
    assert origin["gov.service-case@1.0.0"].startswith(f"environment {bundle} [bundle sha256:")
    assert origin["gov.data-catalogue@1.0.0"] == "working folder ./standards"
    assert origin[LICENCE] == "package data"
    assert len(origin) == 7
    # without the key, the environment's signed bundle is refused, not skipped
    refused = run_cli("standards", "list", cwd=work, env={**env, "CONFORMANCE_STANDARDS_TRUST": ""})
    assert refused.code == 2
    assert "standards bundle refused: signed by key_id=" in refused.err


@pytest.mark.slow
def test_run_from_a_signed_bundle(
    tmp_path: Path, keys: tuple[Path, Path], reference_url: str, token: str
) -> None:
    private, public = keys
    bundle = tmp_path / "province.bundle"
    assert (
        run_cli("standards", "pack", LICENCE, "--out", str(bundle), "--key", str(private)).code == 0
    )
    done = run_cli(
        *("run", "--standards", str(bundle), "--trust", str(public), "--standard", LICENCE),
        *("--candidate", str(FIXTURE / "candidate.yaml"), "--base-url", reference_url),
        *("--max-examples", "3", "--seed", "3", "--reports-dir", str(tmp_path / "reports")),
        env={TOKEN_ENV: token},
    )
    assert done.code == 0, done.out + done.err
    (results,) = (tmp_path / "reports").glob("*/results.json")
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["standard"]["digest"] == content_digest(STANDARDS / "gov.e-licence" / "1.1.0")
    assert data["verdict"] == "pass"
