"""``conformance registry add | list | index``: follow certified systems over time."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.errors import Location, UsageError
from conformance.registry import (
    DEFAULT_DB,
    Registry,
    RegistryError,
    flag_entries,
    load_revocation_records,
    write_index,
)

EXIT_OK = 0


def _say(text: str) -> None:
    """A line for the terminal: control and bidirectional characters escaped, secrets
    redacted (issue 15)."""
    from conformance.reporting.terminal import terminal_text

    print(terminal_text(text))


def _registry(args: argparse.Namespace) -> Registry:
    return Registry(Path(args.db))


def _now(args: argparse.Namespace) -> datetime:
    if args.at is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(args.at)
    except ValueError:
        raise UsageError(f"--at {args.at!r}; expected an ISO date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _log_path(args: argparse.Namespace, registry: Registry) -> Path:
    """The transparency log: --log, else the one beside the registry."""
    from conformance.certificates.tlog import DEFAULT_LOG

    return Path(args.log) if args.log else registry.path.parent / DEFAULT_LOG.name


def _revocations(args: argparse.Namespace, registry: Registry) -> dict[str, dict[str, str]]:
    return load_revocation_records([Path(p) for p in args.revoked], _log_path(args, registry))


def _refusal(document: dict[str, Any], trusted: Any, now: datetime, revoked: Any) -> str | None:
    """Why a signed document may not enter the registry, or None."""
    from conformance.certificates.verify import check_signature

    bad = check_signature(document, trusted)
    if bad is not None:
        return str(bad)
    payload = document["payload"]
    if datetime.fromisoformat(payload["issued_at"]) > now:
        return f"not-yet-valid: issued_at {payload['issued_at']} is ahead"
    until = payload.get("valid_until")
    if until and datetime.fromisoformat(until) <= now:
        return f"expired: valid_until {until} has passed"
    for target in (payload["id"], document["signature"]["key_id"]):
        if target in revoked:
            record = revoked[target]
            what = "certificate" if target == payload["id"] else f"signing key {target}"
            return (
                f"revoked: {what} revoked {record['date']}: {record['reason']} ({record['source']})"
            )
    return None


def cmd_add(args: argparse.Namespace) -> int:
    from conformance.certificates.keys import load_trusted_keys
    from conformance.certificates.verify import check_log, read_document

    registry = _registry(args)
    now = _now(args)
    trusted = load_trusted_keys([Path(p) for p in args.trust])
    log_trusted = load_trusted_keys([Path(p) for p in args.log_trust]) if args.log_trust else None
    revoked = _revocations(args, registry)
    accepted = []
    # every document is checked before anything is stored
    for name in args.documents:
        path = Path(name)
        document, problem = read_document(path)
        if document is None:
            raise RegistryError(
                f"not a signed certificate or failure record: {problem}", Location(path)
            )
        reason = _refusal(document, trusted, now, revoked)
        if reason is None and log_trusted is not None:
            problems = check_log(document, log_trusted)
            reason = str(problems[0]) if problems else None
        if reason is not None:
            raise RegistryError(f"refused, nothing registered: {reason}", Location(path))
        accepted.append((path, document))
    for path, document in accepted:
        added = registry.add(path, document)
        payload = document["payload"]
        state = "added" if added else "already registered"
        _say(
            f"{state}: {payload['id']} {payload['type']} {payload['candidate']['system']} "
            f"{payload['candidate']['version']} {payload['standard']['ref']}"
        )
    _say(f"registry: {registry.path}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    now = _now(args)
    dirs = [Path(p) for p in args.standards_dir] or None
    entries = flag_entries(
        registry.entries(latest_only=not args.all),
        now=now,
        standards_dirs=dirs,
        revocations=_revocations(args, registry),
    )
    if args.format == "json":
        print(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not entries:
        _say(f"no certificates or failure records in {registry.path}")
        return EXIT_OK
    header = f"{'SYSTEM':<34} {'STANDARD':<28} {'VERDICT':<8} {'VALID UNTIL':<26} FLAGS"
    _say(header)
    for entry in entries:
        system = f"{entry.system} {entry.system_version}"
        verdict = "pass" if entry.kind == "certificate" else "fail"
        _say(
            f"{system:<34} {entry.standard_ref:<28} {verdict:<8} "
            f"{entry.valid_until or '-':<26} {','.join(entry.flags) or '-'}"
        )
        for line in entry.details():
            _say(f"{'':<4}{line}")
    return EXIT_OK


def cmd_index(args: argparse.Namespace) -> int:
    registry = _registry(args)
    now = _now(args)
    dirs = [Path(p) for p in args.standards_dir] or None
    entries = flag_entries(
        registry.entries(latest_only=not args.all),
        now=now,
        standards_dirs=dirs,
        revocations=_revocations(args, registry),
    )
    out = Path(args.out) if args.out else registry.path.parent / "index.html"
    write_index(entries, out, now=now)
    _say(f"index of {len(entries)} record(s): {out}")
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    registry = sub.add_parser("registry", help="the registry of issued certificates (SQLite)")
    rsub = registry.add_subparsers(dest="registry_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db", default=str(DEFAULT_DB), metavar="FILE", help=f"default: {DEFAULT_DB}"
        )

    def revocations(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--revoked",
            action="append",
            default=[],
            metavar="FILE",
            help="revocation list (repeatable); the transparency log's revocations count too",
        )
        p.add_argument(
            "--log", metavar="FILE", help="transparency log (default: the one beside --db)"
        )
        p.add_argument("--at", metavar="TIME", help="judge expiry as of this time (default: now)")

    def listing(p: argparse.ArgumentParser) -> None:
        p.add_argument("--all", action="store_true", help="every record, not only the latest")
        revocations(p)
        p.add_argument(
            "--standards-dir", action="append", default=[], metavar="DIR", help="repeatable"
        )

    p = rsub.add_parser(
        "add",
        help="register certificate.json / failure-record.json files, each checked first "
        "(signature by a trusted issuer, not expired, not revoked)",
    )
    p.add_argument("documents", nargs="+", metavar="DOC")
    p.add_argument(
        "--trust",
        required=True,
        nargs="+",
        action="extend",
        metavar="KEY",
        help="the issuers' public keys: a document signed by any other key is refused",
    )
    p.add_argument(
        "--log-trust",
        nargs="+",
        action="extend",
        metavar="KEY",
        help="also require each document to carry a valid inclusion proof of this log key",
    )
    revocations(p)
    common(p)
    p.set_defaults(func=cmd_add)

    p = rsub.add_parser("list", help="systems with standard, verdict, expiry and flags")
    common(p)
    listing(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_list)

    p = rsub.add_parser("index", help="write an HTML index page linking each report")
    common(p)
    listing(p)
    p.add_argument("--out", metavar="FILE", help="default: index.html beside the database")
    p.set_defaults(func=cmd_index)
