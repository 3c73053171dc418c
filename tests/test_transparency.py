"""The transparency log: inclusion proofs on certificates, append-only, forks, the monitor."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.certificates._canonical import canonical_json
from conformance.certificates.issue import Issued, certify_run
from conformance.certificates.keys import generate_keypair, load_private_key, load_trusted_keys
from conformance.certificates.tlog import (
    LogIntegrityError,
    TransparencyLog,
    TreeHead,
    verify_logged_document,
)
from conformance.certificates.verify import check_log
from tests.conftest import run_cli
from tests.review_data import (
    ALL_PASS,
    FAILING,
    RUNNER_POLICY,
    make_results,
    make_standard,
    write_run,
)

NOW = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    """A standards root, an issuer key, a separate log key and an empty log file."""
    root = tmp_path / "standards"
    make_standard(root, manual_level="SHOULD")
    issuer = generate_keypair(tmp_path / "keys", "issuer")
    log_pair = generate_keypair(tmp_path / "keys", "log")
    return {
        "tmp": tmp_path,
        "standards": root,
        "issuer": issuer,
        "log_pair": log_pair,
        "log": TransparencyLog(tmp_path / "reports" / "transparency-log.jsonl"),
    }


def _issue(
    world: dict[str, Any],
    name: str,
    outcomes: list[tuple[str, str, str, str]] = ALL_PASS,
    vendor: str = "某某科技 <b>Vendor</b>",
    log: TransparencyLog | None = None,
    log_key: Path | None = None,
) -> Issued:
    standard = make_standard(world["standards"], manual_level="SHOULD")
    data = make_results(standard, outcomes)
    data["candidate"]["system"] = name
    data["candidate"]["vendor"] = vendor
    run = write_run(world["tmp"] / "runs" / name, data)
    return certify_run(
        run,
        load_private_key(world["issuer"].private),
        issuer="省数据局",
        policy=RUNNER_POLICY,
        standards_dirs=[world["standards"]],
        now=NOW,
        log=log or world["log"],
        log_key=load_private_key(log_key or world["log_pair"].private),
    )


def _verify(world: dict[str, Any], certificate: Path, *extra: str) -> Any:
    return run_cli(
        *("verify", str(certificate), "--trust", str(world["issuer"].public)),
        *("--standards-dir", str(world["standards"]), "--at", "2027-01-01"),
        *extra,
    )


def _log_trust(world: dict[str, Any]) -> dict[str, Any]:
    return load_trusted_keys([world["log_pair"].public])


def test_issued_documents_carry_their_proof_and_verify_offline_and_against_the_log(
    world: dict[str, Any],
) -> None:
    first = _issue(world, "people-hub")
    second = _issue(world, "case-hub", FAILING)
    third = _issue(world, "doc-hub")
    for number, issued in enumerate((first, second, third)):
        block = issued.document["transparency"]
        assert block["index"] == number
        assert block["kind"] == ("failure-record" if number == 1 else "certificate")
        assert block["tree_head"]["size"] == number + 1
        assert block["tree_head"]["log_id"] == world["log_pair"].key_id
        written = json.loads(issued.json_path.read_text(encoding="utf-8"))
        assert written["transparency"] == block
    log_trust = ("--log-trust", str(world["log_pair"].public))
    done = _verify(world, first.json_path, *log_trust)  # offline: no log file given
    assert done.code == 0, done.out
    done = _verify(world, first.json_path, *log_trust, "--log", str(world["log"].path))
    assert done.code == 0, done.out
    # the first certificate's tree head (size 1) is a prefix of the log's latest (size 3)
    done = run_cli(
        *("log", "consistency", str(first.json_path), "--log", str(world["log"].path)),
        *("--trust", str(world["log_pair"].public)),
    )
    assert done.code == 0, done.out + done.err
    assert "the tree of size 1 is a prefix of the tree of size 3" in done.out
    done = run_cli(
        *("log", "verify", "--log", str(world["log"].path)),
        *("--trust", str(world["log_pair"].public)),
    )
    assert done.code == 0, done.out + done.err
    assert "3 entries (2 certificate, 1 failure-record); 3 signed tree heads" in done.out
    html = first.html_path.read_text(encoding="utf-8")
    assert "透明日志" in html


def test_a_gate_tells_a_never_logged_certificate_from_a_logged_one(
    world: dict[str, Any],
) -> None:
    logged = _issue(world, "people-hub")
    # a rogue issue with the issuer's (stolen) key that never reached the log
    rogue = copy.deepcopy(logged.document)
    del rogue["transparency"]
    rogue_path = world["tmp"] / "rogue.json"
    rogue_path.write_bytes(canonical_json(rogue))
    log_trust = ("--log-trust", str(world["log_pair"].public))
    assert _verify(world, rogue_path).code == 0  # without a log, the signature is all there is
    done = _verify(world, rogue_path, *log_trust)
    assert done.code == 1
    assert "not-logged: not logged" in done.out
    # the thief keeps a log of their own, its tree heads signed with the stolen issuer key
    private_log = TransparencyLog(world["tmp"] / "thief.jsonl")
    thief = _issue(world, "rogue-hub", log=private_log, log_key=world["issuer"].private)
    assert thief.document["transparency"]["tree_head"]["log_id"] == world["issuer"].key_id
    done = _verify(world, thief.json_path, *log_trust)
    assert done.code == 1
    assert "log-invalid" in done.out  # its tree heads are not signed by the log key
    assert _verify(world, logged.json_path, *log_trust).code == 0


def test_a_certificate_from_a_fork_of_the_log_is_refused_against_the_log(
    world: dict[str, Any],
) -> None:
    _issue(world, "people-hub")
    # the same log key (stolen), a copy of the log, and a rogue certificate appended there
    fork = TransparencyLog(world["tmp"] / "fork.jsonl")
    fork.path.write_bytes(world["log"].path.read_bytes())
    rogue = _issue(world, "rogue-hub", log=fork)
    honest = _issue(world, "case-hub")  # the real log grows by a different entry
    log_trust = ("--log-trust", str(world["log_pair"].public))
    assert _verify(world, rogue.json_path, *log_trust).code == 0  # offline, it looks fine
    done = _verify(world, rogue.json_path, *log_trust, "--log", str(world["log"].path))
    assert done.code == 1
    assert "log-inconsistent" in done.out
    assert "forked log" in done.out
    assert _verify(world, honest.json_path, *log_trust, "--log", str(world["log"].path)).code == 0
    # two signed tree heads of the same size with different roots: a fork, whatever else
    done = run_cli(
        *("log", "consistency", str(rogue.json_path), str(honest.json_path)),
        *("--log", str(world["log"].path), "--trust", str(world["log_pair"].public)),
    )
    assert done.code == 1
    assert "two different roots for size 2" in done.out


def _lines(log: TransparencyLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def _entry_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.startswith('{"entry"')]


LOG_TAMPERING = [
    "entry-removed",
    "last-entry-and-head-removed",
    "entries-reordered",
    "entry-edited",
    "head-root-edited",
    "head-size-shrunk",
    "head-signature-edited",
    "line-not-json",
]


def _tamper(name: str, lines: list[str]) -> list[str]:
    entries = _entry_lines(lines)
    lines = list(lines)
    if name == "entry-removed":
        del lines[entries[1]]
    elif name == "last-entry-and-head-removed":
        del lines[entries[-1] :]
    elif name == "entries-reordered":
        a, b = entries[0], entries[1]
        lines[a], lines[b] = lines[b], lines[a]
    elif name == "entry-edited":
        lines[entries[1]] = lines[entries[1]].replace("case-hub", "case-huX")
    elif name.startswith("head-"):
        index = entries[1] + 1
        head = json.loads(lines[index])
        if name == "head-root-edited":
            head["tree_head"]["root"] = "0" * 64
        elif name == "head-size-shrunk":
            head["tree_head"]["size"] = 1
        else:
            value = head["tree_head"]["signature"]
            head["tree_head"]["signature"] = ("B" if value[0] != "B" else "C") + value[1:]
        lines[index] = json.dumps(head) + "\n"
    elif name == "line-not-json":
        lines[entries[1]] = "{oops\n"
    else:
        raise AssertionError(name)
    return lines


@pytest.mark.parametrize("tampering", LOG_TAMPERING)
def test_a_log_edited_after_the_fact_is_refused(tampering: str, world: dict[str, Any]) -> None:
    _issue(world, "people-hub")
    _issue(world, "case-hub", FAILING)
    newest = _issue(world, "doc-hub")  # holds the signed tree head of size 3
    pristine = _lines(world["log"])
    world["log"].path.write_text("".join(_tamper(tampering, pristine)), encoding="utf-8")
    trust = ("--trust", str(world["log_pair"].public))
    verified = run_cli("log", "verify", "--log", str(world["log"].path), *trust)
    consistent = run_cli(
        *("log", "consistency", str(newest.json_path), "--log", str(world["log"].path), *trust)
    )
    if tampering == "last-entry-and-head-removed":
        # a shorter log is a log: only a tree head seen before (here the newest
        # certificate's) shows that it was cut
        assert verified.code == 0, verified.out + verified.err
        assert consistent.code == 1, consistent.out + consistent.err
        assert "tree head of size 3, but the log holds 2 entries" in consistent.out
    else:
        assert verified.code == 1, verified.out + verified.err
        assert verified.out.startswith(f"invalid: {world['log'].path}:")
        assert consistent.code == 1, consistent.out + consistent.err
    problems = check_log(newest.document, _log_trust(world), world["log"])
    assert [p.code for p in problems] in (["log-invalid"], ["log-inconsistent"]), problems
    if tampering != "last-entry-and-head-removed":
        # nothing is appended to a log that no longer verifies
        with pytest.raises(LogIntegrityError):
            world["log"].append(
                "revocation", {"target": "x"}, load_private_key(world["log_pair"].private)
            )
    # the untouched log verifies
    world["log"].path.write_text("".join(pristine), encoding="utf-8")
    assert check_log(newest.document, _log_trust(world), world["log"]) == []


def _block_pointers(block: dict[str, Any]) -> list[tuple[Any, ...]]:
    pointers: list[tuple[Any, ...]] = [("index",), ("kind",), ("logged_at",)]
    pointers += [("inclusion_proof", i) for i in range(len(block["inclusion_proof"]))]
    pointers += [("tree_head", k) for k in ("log_id", "size", "root", "timestamp", "signature")]
    return pointers


def test_every_field_of_a_certificates_log_block_is_checked(world: dict[str, Any]) -> None:
    for name in ("a-hub", "b-hub", "c-hub", "d-hub"):
        last = _issue(world, name)
    issued = _issue(world, "e-hub")  # index 4 of 5: a proof of several hashes
    document = issued.document
    assert len(document["transparency"]["inclusion_proof"]) == 1  # 5 leaves: leaf 4's path
    document = last.document  # index 3 of 4: two hashes
    assert len(document["transparency"]["inclusion_proof"]) == 2
    trust = _log_trust(world)
    verify_logged_document(document, trust)
    refused = 0
    for pointer in _block_pointers(document["transparency"]):
        changed = copy.deepcopy(document)
        node = changed["transparency"]
        for token in pointer[:-1]:
            node = node[token]
        value = node[pointer[-1]]
        if pointer == ("kind",):
            node[pointer[-1]] = "failure-record"
        elif isinstance(value, int):
            node[pointer[-1]] = value + 1
        else:
            node[pointer[-1]] = value[:-2] + ("00" if value[-2:] != "00" else "11")
        with pytest.raises(LogIntegrityError):
            verify_logged_document(changed, trust)
        refused += 1
    # the payload itself, with a valid-looking block: the leaf no longer matches
    changed = copy.deepcopy(document)
    changed["payload"]["candidate"]["system"] = "other"
    with pytest.raises(LogIntegrityError, match="inclusion proof fails"):
        verify_logged_document(changed, trust)
    assert refused == 10


def test_revocations_are_logged_and_the_monitor_lists_a_vendors_documents(
    world: dict[str, Any],
) -> None:
    vendor = "某某科技 <b>Vendor</b>"
    mine = [_issue(world, "people-hub"), _issue(world, "case-hub", FAILING)]
    _issue(world, "their-hub", vendor="另一家公司")
    done = run_cli(
        *("revoke", str(mine[0].json_path), "--list", str(world["tmp"] / "revocations.json")),
        *("--reason", "数据造假", "--log", str(world["log"].path)),
        *("--log-key", str(world["log_pair"].private)),
    )
    assert done.code == 0, done.err
    assert "logged as entry 3" in done.out
    done = run_cli(
        *("revoke", str(mine[1].json_path), "--list", str(world["tmp"] / "r.json")),
        *("--reason", "x", "--log", str(world["log"].path)),
    )
    assert done.code == 2
    assert "--log-key" in done.err
    trust = ("--trust", str(world["log_pair"].public))
    done = run_cli("log", "monitor", "--vendor", vendor, "--log", str(world["log"].path), *trust)
    assert done.code == 0, done.err
    assert "2 document(s) issued for vendor" in done.out
    assert "their-hub" not in done.out
    done = run_cli(
        *("log", "monitor", "--vendor", vendor, "--log", str(world["log"].path), *trust),
        *("--format", "json"),
    )
    rows = {r["system"]: r for r in json.loads(done.out)}
    assert rows["people-hub"]["revoked"]["reason"] == "数据造假"
    assert rows["case-hub"]["type"] == "failure-record"
    assert rows["case-hub"]["revoked"] is None
    log_trust = ("--log-trust", str(world["log_pair"].public))
    done = _verify(world, mine[0].json_path, *log_trust, "--log", str(world["log"].path))
    assert done.code == 1
    assert "revoked: 数据造假" in done.out


def test_log_head_is_saved_and_a_later_head_is_consistent_with_it(
    world: dict[str, Any],
) -> None:
    _issue(world, "people-hub")
    saved = world["tmp"] / "head-1.json"
    done = run_cli("log", "head", "--log", str(world["log"].path), "--out", str(saved))
    assert done.code == 0, done.err
    head = TreeHead.from_dict(json.loads(saved.read_text(encoding="utf-8")), saved)  # type: ignore[arg-type]
    assert head.size == 1
    _issue(world, "case-hub")
    _issue(world, "doc-hub")
    done = run_cli(
        *("log", "consistency", str(saved), "--log", str(world["log"].path)),
        *("--trust", str(world["log_pair"].public)),
    )
    assert done.code == 0, done.out + done.err
    assert "size 1 is a prefix of the tree of size 3" in done.out
    assert run_cli("log", "head", "--log", str(world["log"].path), "--out", str(saved)).code == 2
