"""The reviewers' registry: issued certificates and failure records in one SQLite file.

It follows systems over time: which system version conforms to which standard version,
until when, and what needs attention (a deprecated or changed standard, a certificate that
expires within 30 days or has expired).  ``write_index`` renders an HTML page linking each
document's view and its run's report.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError, Location

__all__ = [
    "DEFAULT_DB",
    "EXPIRY_WARNING_DAYS",
    "Entry",
    "Registry",
    "RegistryError",
    "write_index",
]

DEFAULT_DB = Path("reports") / "registry.sqlite"
EXPIRY_WARNING_DAYS = 30
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('certificate', 'failure-record')),
    vendor TEXT NOT NULL,
    system TEXT NOT NULL,
    system_version TEXT NOT NULL,
    standard_ref TEXT NOT NULL,
    standard_digest TEXT NOT NULL,
    verdict TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    valid_until TEXT,
    issuer TEXT NOT NULL,
    key_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    document_path TEXT NOT NULL,
    view_path TEXT,
    report_path TEXT,
    document TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_system ON records (vendor, system, standard_ref, issued_at);
"""

_COLUMNS = (
    "id, kind, vendor, system, system_version, standard_ref, standard_digest, verdict, "
    "issued_at, valid_until, issuer, key_id, run_id, document_path, view_path, report_path"
)


class RegistryError(ConformanceError, ValueError):
    """The registry file or a document given to it is unusable."""


@dataclass
class Entry:
    id: str
    kind: str
    vendor: str
    system: str
    system_version: str
    standard_ref: str
    standard_digest: str
    verdict: str
    issued_at: str
    valid_until: str | None
    issuer: str
    key_id: str
    run_id: str
    document_path: str
    view_path: str | None
    report_path: str | None
    flags: list[str] = field(default_factory=list)
    revoked: dict[str, str] | None = None  # date, reason, source

    def details(self) -> list[str]:
        """Each flag that has a date and a reason, as a line of text."""
        lines = []
        if self.revoked:
            lines.append(
                f"revoked {self.revoked['date']}: {self.revoked['reason']} "
                f"({self.revoked['source']})"
            )
        if "expired" in self.flags:
            lines.append(f"expired {self.valid_until}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class Registry:
    """One SQLite file; every method opens and closes its own connection."""

    def __init__(self, path: Path = DEFAULT_DB) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as exc:
            raise RegistryError(f"cannot open the registry: {exc}", Location(self.path)) from None
        with closing(connection):
            try:
                with connection:
                    connection.executescript(_SCHEMA)
                    connection.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                        (SCHEMA_VERSION,),
                    )
                    yield connection
            except sqlite3.DatabaseError as exc:
                raise RegistryError(
                    f"not a usable registry database: {exc}", Location(self.path)
                ) from None

    def add(self, path: Path, document: dict[str, Any]) -> bool:
        """Record a signed document; False when its id is already registered."""
        payload = document["payload"]
        folder = path.resolve().parent
        view = path.with_suffix(".html").resolve()
        report = None
        for name in (
            ("report.reviewed.html", "report.html")
            if payload["run"]["reviewed"]
            else ("report.html",)
        ):
            if (folder / name).is_file():
                report = str(folder / name)
                break
        row = (
            payload["id"],
            payload["type"],
            payload["candidate"]["vendor"],
            payload["candidate"]["system"],
            payload["candidate"]["version"],
            payload["standard"]["ref"],
            payload["standard"]["digest"],
            payload["verdict"],
            payload["issued_at"],
            payload.get("valid_until"),
            payload["issuer"]["name"],
            document["signature"]["key_id"],
            payload["run"]["run_id"],
            str(path.resolve()),
            str(view) if view.is_file() else None,
            report,
            json.dumps(document, ensure_ascii=False, sort_keys=True),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._connect() as connection:
            cursor = connection.execute(
                f"INSERT OR IGNORE INTO records ({_COLUMNS}, document, added_at) "  # noqa: S608 - constant column list
                f"VALUES ({', '.join('?' * len(row))})",
                row,
            )
            return cursor.rowcount == 1

    def entries(self, *, latest_only: bool = True) -> list[Entry]:
        """Records newest first; with ``latest_only`` one per (vendor, system, standard)."""
        with self._connect() as connection:
            rows = connection.execute(
                f"SELECT {_COLUMNS} FROM records "  # noqa: S608 - constant column list
                "ORDER BY vendor, system, standard_ref, issued_at DESC, id"
            ).fetchall()
        entries = [Entry(*row) for row in rows]
        if latest_only:
            seen: set[tuple[str, str, str]] = set()
            latest = []
            for entry in entries:
                key = (entry.vendor, entry.system, entry.standard_ref)
                if key not in seen:
                    seen.add(key)
                    latest.append(entry)
            entries = latest
        return entries


Revocation = dict[str, str]  # date, reason, source


def load_revocation_records(lists: list[Path], log: Path | None = None) -> dict[str, Revocation]:
    """Revoked certificate ids and key ids, with date, reason and where it was said.

    From revocation lists and from the transparency log's revocation entries.  A revocation
    only withdraws trust, so the log's entries are read without its key: a forged one could
    only hide a certificate, never vouch for one (``conformance log verify`` checks the log).
    """
    from conformance.certificates.tlog import LogError, TransparencyLog
    from conformance.certificates.verify import load_revocations
    from conformance.standards._documents import load_document

    records: dict[str, Revocation] = {}
    for path in lists:
        load_revocations([path])  # a malformed list is refused with its line
        for entry in load_document(path).data["revoked"]:
            target = entry.get("certificate") or entry.get("key_id")
            records[target] = {
                "date": str(entry["date"]),
                "reason": str(entry["reason"]),
                "source": path.name,
            }
    if log is not None and log.is_file():
        try:
            state = TransparencyLog(log).read()
        except LogError as exc:
            raise RegistryError(
                f"the transparency log is unreadable: {exc.message}", exc.location
            ) from None
        for item in state.entries:
            if item.kind == "revocation":
                records.setdefault(
                    str(item.data.get("target")),
                    {
                        "date": str(item.data.get("date")),
                        "reason": str(item.data.get("reason")),
                        "source": f"{log.name} entry {item.index}",
                    },
                )
    return records


def flag_entries(
    entries: list[Entry],
    *,
    now: datetime,
    standards_dirs: list[Path] | None = None,
    revocations: dict[str, Revocation] | None = None,
) -> list[Entry]:
    """Set each entry's flags against today's standards repository, clock and revocations."""
    from conformance.standards.loader import StandardsRepository

    repository = StandardsRepository(standards_dirs)
    standards: dict[str, tuple[str, str] | None] = {}
    for entry in entries:
        if entry.standard_ref not in standards:
            try:
                standard = repository.load(entry.standard_ref)
                standards[entry.standard_ref] = (standard.status.value, standard.digest)
            except ConformanceError:
                standards[entry.standard_ref] = None
        known = standards[entry.standard_ref]
        flags: list[str] = []
        if known is None:
            flags.append("standard-unknown")
        else:
            status, digest = known
            if status in ("deprecated", "retired"):
                flags.append(f"standard-{status}")
            if digest != entry.standard_digest:
                flags.append("standard-changed")
        revoked = (revocations or {}).get(entry.id) or (revocations or {}).get(entry.key_id)
        entry.revoked = revoked
        if revoked:
            flags.append("revoked")
        if entry.kind == "certificate" and entry.valid_until:
            until = datetime.fromisoformat(entry.valid_until)
            if until <= now:
                flags.append("expired")
            elif until - now <= timedelta(days=EXPIRY_WARNING_DAYS):
                flags.append("expires-soon")
        entry.flags = flags
    return entries


FLAG_TEXT = {
    "standard-deprecated": ("标准版本已弃用", "standard version deprecated"),
    "standard-retired": ("标准版本已废止", "standard version retired"),
    "standard-changed": ("标准内容已变更", "standard content changed"),
    "standard-unknown": ("标准版本未找到", "standard version not found"),
    "expired": ("证书已过期", "expired"),
    "revoked": ("已吊销", "revoked"),
    "expires-soon": (
        f"{EXPIRY_WARNING_DAYS} 天内到期",
        f"expires within {EXPIRY_WARNING_DAYS} days",
    ),
}


def _flag_class(flag: str) -> str:
    return "fail" if flag in ("expired", "revoked", "standard-retired") else "awaiting-attestation"


def _link(target: str | None, base: Path, label: tuple[str, str]) -> str:
    from conformance.reporting.html import bi, esc

    if not target:
        return '<span class="muted">—</span>'
    href = Path(os.path.relpath(target, base)).as_posix()
    if not href.startswith("../"):
        href = "./" + href  # never read as a URL scheme (a folder named "javascript:...")
    return f'<a href="{esc(href)}">{bi(*label)}</a>'


def write_index(entries: list[Entry], out: Path, *, now: datetime) -> Path:
    """An HTML page listing the entries, linking each document's view and run report."""
    from conformance.reporting.html import badge, bi, esc, header_cells, page

    base = out.resolve().parent
    rows = []
    for entry in entries:
        flags = " ".join(
            f'<span class="badge s-{_flag_class(f)}" data-flag="{esc(f)}">'
            f"{bi(*FLAG_TEXT.get(f, (f, f)))}</span>"
            for f in entry.flags
        )
        if entry.revoked:
            flags += (
                f'<br><span class="revoked" data-revoked="{esc(entry.revoked["date"])}">'
                + bi("吊销于 ", "revoked on ")
                + f"{esc(entry.revoked['date'])}: {esc(entry.revoked['reason'])} "
                f'<span class="muted">({esc(entry.revoked["source"])})</span></span>'
            )
        if "expired" in entry.flags:
            flags += (
                f'<br><span class="expired">{bi("过期于 ", "expired on ")}'
                f"{esc(entry.valid_until or '')}</span>"
            )
        kind = badge("pass") if entry.kind == "certificate" else badge("fail")
        if entry.revoked or "expired" in entry.flags:
            kind = f"<s>{kind}</s>"
        bad = "1" if entry.flags or entry.kind != "certificate" else "0"
        label = (
            ("证书", "certificate")
            if entry.kind == "certificate"
            else (
                "不通过记录",
                "failure record",
            )
        )
        rows.append(
            f'<tr class="filterable" data-level="all" data-bad="{bad}">'
            f"<td>{esc(entry.vendor)}<br><strong>{esc(entry.system)}</strong> "
            f"{esc(entry.system_version)}</td>"
            f'<td class="mono">{esc(entry.standard_ref)}</td>'
            f"<td>{kind}</td>"
            f'<td class="mono">{esc(entry.issued_at)}</td>'
            f'<td class="mono">{esc(entry.valid_until or "—")}</td>'
            f"<td>{flags}</td>"
            f'<td class="mono">{esc(entry.id)}</td>'
            f"<td>{_link(entry.view_path, base, label)}<br>"
            f"{_link(entry.report_path, base, ('测试报告', 'report'))}</td></tr>"
        )
    head = header_cells(
        (
            ("系统", "System"),
            ("标准", "Standard"),
            ("结论", "Verdict"),
            ("签发", "Issued"),
            ("有效期至", "Valid until"),
            ("需关注", "Attention"),
            ("编号", "Id"),
            ("文件", "Documents"),
        )
    )
    body = (
        '<section class="card" id="coverage"><h2>'
        + bi("已登记的系统", "Registered systems")
        + f'</h2><p class="muted">{esc(now.isoformat(timespec="seconds"))}</p>'
        + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + "</section>"
    )
    title = {"zh-CN": "一致性证书登记簿", "en": "Conformance registry"}
    header = f"<div><h1>{bi(title['zh-CN'], title['en'])}</h1></div>"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(title, header, body, {"entries": len(entries)}), encoding="utf-8")
    return out
