"""The registry: SQLite records, listing with flags, and the HTML index."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.certificates.issue import certify_run
from conformance.certificates.keys import generate_keypair, load_private_key
from conformance.registry import Registry, flag_entries
from conformance.reporting.html import write_html
from tests.conftest import run_cli
from tests.review_data import (
    ALL_PASS,
    FAILING,
    RUNNER_POLICY,
    make_results,
    make_standard,
    write_run,
)

ISSUED = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def issued(tmp_path: Path) -> dict[str, Path]:
    """Two systems: one certified (with a report), one with a failure record; one key."""
    root = tmp_path / "standards"
    standard = make_standard(root, manual_level="SHOULD")
    pair = generate_keypair(tmp_path / "keys", "issuer")
    key = load_private_key(pair.private)
    paths: dict[str, Path] = {"standards": root, "public": pair.public}
    for name, outcomes, system in (("good", ALL_PASS, "people-hub"), ("bad", FAILING, "case-hub")):
        data = make_results(standard, outcomes)
        data["candidate"]["system"] = system
        run = write_run(tmp_path / "runs" / name, data)
        write_html(run, data)
        document = certify_run(
            run, key, issuer="省数据局", policy=RUNNER_POLICY, standards_dirs=[root], now=ISSUED
        )
        paths[name] = document.json_path
    return paths


def test_add_and_list_systems_with_standard_verdict_and_expiry(
    tmp_path: Path, issued: dict[str, Path]
) -> None:
    db = tmp_path / "reports" / "registry.sqlite"
    done = run_cli(
        "registry",
        "add",
        str(issued["good"]),
        str(issued["bad"]),
        "--db",
        str(db),
        "--trust",
        str(issued["public"]),
    )
    assert done.code == 0, done.out + done.err
    assert done.out.count("added:") == 2
    done = run_cli(
        *("registry", "add", str(issued["good"]), "--db", str(db)),
        *("--trust", str(issued["public"])),
    )
    assert "already registered" in done.out
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM records").fetchone() == (2,)
    done = run_cli(
        "registry",
        "list",
        "--db",
        str(db),
        "--standards-dir",
        str(issued["standards"]),
        "--at",
        "2027-01-01",
    )
    assert done.code == 0, done.err
    lines = {line.split()[0]: line for line in done.out.splitlines()[1:]}
    assert "test.review@1.0.0" in lines["people-hub"]
    assert " pass " in lines["people-hub"]
    assert "2027-11-29T08:00:00+00:00" in lines["people-hub"]
    assert " fail " in lines["case-hub"]
    done = run_cli(
        "registry",
        "list",
        "--db",
        str(db),
        "--standards-dir",
        str(issued["standards"]),
        "--format",
        "json",
    )
    rows = json.loads(done.out)
    assert {r["system"] for r in rows} == {"people-hub", "case-hub"}


def test_flags_deprecated_standard_and_expiry_within_30_days(
    tmp_path: Path, issued: dict[str, Path]
) -> None:
    registry = Registry(tmp_path / "registry.sqlite")
    for name in ("good", "bad"):
        document = json.loads(issued[name].read_text(encoding="utf-8"))
        registry.add(issued[name], document)
    root = issued["standards"]

    def flags(at: datetime) -> dict[str, list[str]]:
        entries = flag_entries(registry.entries(), now=at, standards_dirs=[root])
        return {e.system: e.flags for e in entries}

    assert flags(datetime(2027, 6, 1, tzinfo=UTC)) == {"people-hub": [], "case-hub": []}
    assert flags(datetime(2027, 11, 1, tzinfo=UTC))["people-hub"] == ["expires-soon"]
    assert flags(datetime(2027, 12, 1, tzinfo=UTC))["people-hub"] == ["expired"]
    # the standard version is deprecated later: its certificates are flagged; the lifecycle
    # fields are outside the digest, so the standard's content has not changed
    make_standard(root, manual_level="SHOULD", status="deprecated")
    now = flags(datetime(2027, 6, 1, tzinfo=UTC))
    assert now["people-hub"] == ["standard-deprecated"]


def test_index_page_links_each_report_and_certificate(
    tmp_path: Path, issued: dict[str, Path]
) -> None:
    db = tmp_path / "reports" / "registry.sqlite"
    done = run_cli(
        *("registry", "add", str(issued["good"]), str(issued["bad"]), "--db", str(db)),
        *("--trust", str(issued["public"])),
    )
    assert done.code == 0, done.out + done.err
    done = run_cli(
        "registry",
        "index",
        "--db",
        str(db),
        "--standards-dir",
        str(issued["standards"]),
        "--at",
        "2027-11-10",
    )
    assert done.code == 0, done.err
    index = db.parent / "index.html"
    html = index.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', html)
    targets = {(index.parent / link).resolve() for link in links if not link.startswith("data:")}
    assert (issued["good"].parent / "certificate.html").resolve() in targets
    assert (issued["good"].parent / "report.html").resolve() in targets
    assert (issued["bad"].parent / "failure-record.html").resolve() in targets
    assert 'data-flag="expires-soon"' in html
    assert "某某科技 &lt;b&gt;Vendor&lt;/b&gt;" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_bad_signature_is_refused_by_a_trusting_registry(
    tmp_path: Path, issued: dict[str, Path]
) -> None:
    document = json.loads(issued["good"].read_text(encoding="utf-8"))
    document["payload"]["candidate"]["version"] = "9.9.9"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document), encoding="utf-8")
    db = tmp_path / "registry.sqlite"
    done = run_cli(
        "registry", "add", str(forged), "--db", str(db), "--trust", str(issued["public"])
    )
    assert done.code == 2
    assert "signature-invalid" in done.err
    (tmp_path / "junk.sqlite").write_text("not a database", encoding="utf-8")
    done = run_cli("registry", "list", "--db", str(tmp_path / "junk.sqlite"))
    assert done.code == 2
    assert "not a usable registry database" in done.err


# -- a registry that checks (issue 16) -----------------------------------------------------


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM records").fetchone()[0])


def test_add_without_trusted_issuer_keys_is_a_usage_error(
    tmp_path: Path, issued: dict[str, Path]
) -> None:
    db = tmp_path / "registry.sqlite"
    done = run_cli("registry", "add", str(issued["good"]), "--db", str(db))
    assert done.code == 2
    assert "--trust" in done.err
    assert _count(db) == 0


def test_add_checks_every_document_before_storing_any(
    tmp_path: Path, issued: dict[str, Path]
) -> None:
    db = tmp_path / "registry.sqlite"
    trust = ("--trust", str(issued["public"]))
    both = (str(issued["bad"]), str(issued["good"]))
    # expired: the failure record first in line is fine, but nothing is stored
    done = run_cli("registry", "add", *both, "--db", str(db), *trust, "--at", "2028-01-01")
    assert done.code == 2
    assert f"{issued['good']}: refused, nothing registered: expired: valid_until" in done.err
    assert _count(db) == 0
    # not yet valid
    done = run_cli("registry", "add", *both, "--db", str(db), *trust, "--at", "2026-01-01")
    assert done.code == 2
    assert "not-yet-valid" in done.err
    # revoked, by a revocation list
    certificate_id = json.loads(issued["good"].read_text(encoding="utf-8"))["payload"]["id"]
    listing = tmp_path / "revocations.json"
    entry = {"certificate": certificate_id, "reason": "数据造假", "date": "2026-12-01"}
    listing.write_text(json.dumps({"revoked": [entry]}, ensure_ascii=False), encoding="utf-8")
    done = run_cli("registry", "add", *both, "--db", str(db), *trust, "--revoked", str(listing))
    assert done.code == 2
    assert "revoked: certificate revoked 2026-12-01: 数据造假 (revocations.json)" in done.err
    assert _count(db) == 0
    # signed by a key nobody trusts
    other = generate_keypair(tmp_path / "other", "other")
    done = run_cli("registry", "add", *both, "--db", str(db), "--trust", str(other.public))
    assert done.code == 2
    assert "key-untrusted" in done.err
    assert _count(db) == 0
    done = run_cli("registry", "add", *both, "--db", str(db), *trust)
    assert done.code == 0, done.err
    assert _count(db) == 2


def test_revoked_and_expired_entries_show_with_date_and_reason(
    tmp_path: Path, issued: dict[str, Path]
) -> None:
    reports = tmp_path / "reports"
    db = reports / "registry.sqlite"
    trust = ("--trust", str(issued["public"]))
    done = run_cli(
        "registry", "add", str(issued["good"]), str(issued["bad"]), "--db", str(db), *trust
    )
    assert done.code == 0, done.err
    log_key = generate_keypair(tmp_path / "log", "log")
    done = run_cli(
        *("revoke", str(issued["good"]), "--list", str(tmp_path / "revocations.json")),
        *("--reason", "接口数据造假", "--log", str(reports / "transparency-log.jsonl")),
        *("--log-key", str(log_key.private)),
    )
    assert done.code == 0, done.err
    today = datetime.now(UTC).date().isoformat()
    common = ("--db", str(db), "--standards-dir", str(issued["standards"]))
    done = run_cli("registry", "list", *common)
    assert done.code == 0, done.err
    row = next(line for line in done.out.splitlines() if line.startswith("people-hub"))
    assert row.split()[-1] == "revoked"
    assert f"revoked {today}: 接口数据造假 (transparency-log.jsonl entry 0)" in done.out
    done = run_cli("registry", "list", *common, "--at", "2028-01-01", "--format", "json")
    rows = {r["system"]: r for r in json.loads(done.out)}
    assert rows["people-hub"]["flags"] == ["revoked", "expired"]
    assert rows["people-hub"]["revoked"]["reason"] == "接口数据造假"
    assert rows["case-hub"]["flags"] == []
    done = run_cli("registry", "list", *common, "--at", "2028-01-01")
    assert "expired 2027-11-29T08:00:00+00:00" in done.out
    done = run_cli("registry", "index", *common, "--at", "2028-01-01")
    assert done.code == 0, done.err
    html = (reports / "index.html").read_text(encoding="utf-8")
    assert 'data-flag="revoked"' in html
    assert 'data-flag="expired"' in html
    assert f'data-revoked="{today}"' in html
    assert "接口数据造假" in html
    assert "2027-11-29T08:00:00+00:00" in html


def test_index_labels_say_what_each_link_is(tmp_path: Path, issued: dict[str, Path]) -> None:
    db = tmp_path / "reports" / "registry.sqlite"
    done = run_cli(
        *("registry", "add", str(issued["good"]), str(issued["bad"]), "--db", str(db)),
        *("--trust", str(issued["public"])),
    )
    assert done.code == 0, done.err
    done = run_cli(
        "registry", "index", "--db", str(db), "--standards-dir", str(issued["standards"])
    )
    assert done.code == 0, done.err
    html = (db.parent / "index.html").read_text(encoding="utf-8")
    labels = {
        Path(href).name: text for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', html)
    }
    assert "证书" in labels["certificate.html"]
    assert "certificate" in labels["certificate.html"]
    assert "证书" not in labels["failure-record.html"]
    assert "不通过记录" in labels["failure-record.html"]
    assert "failure record" in labels["failure-record.html"]
