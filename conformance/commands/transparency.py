"""``conformance log verify | head | consistency | monitor``: the transparency log.

Exit codes: 0 the log (or the two tree heads) verifies, 1 it does not (one line naming the
file, the line and the mismatch), 2 for usage errors and unreadable files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from conformance.errors import Location, UsageError

EXIT_OK = 0
EXIT_FAIL = 1


def _trusted(args: argparse.Namespace) -> Any:
    from conformance.certificates.keys import load_trusted_keys

    return load_trusted_keys([Path(p) for p in args.trust])


def _log(args: argparse.Namespace) -> Any:
    from conformance.certificates.tlog import TransparencyLog

    return TransparencyLog(Path(args.log))


def _invalid(exc: Exception) -> int:
    print(f"invalid: {exc}")
    return EXIT_FAIL


def _verified(args: argparse.Namespace) -> tuple[Any, Any]:
    """The log and its verified state; the state is None (reported) when it does not verify."""
    from conformance.certificates.tlog import LogIntegrityError

    log = _log(args)
    try:
        return log, log.verify(_trusted(args))
    except LogIntegrityError as exc:
        print(f"invalid: {exc}")
        return log, None


def cmd_verify(args: argparse.Namespace) -> int:
    log, state = _verified(args)
    if state is None:
        return EXIT_FAIL
    if not state.heads:
        print(f"valid: {log.path} is empty")
        return EXIT_OK
    head = state.heads[-1][0]
    kinds: dict[str, int] = {}
    for entry in state.entries:
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(
        f"valid: {log.path}: {len(state.entries)} entries ({counts}); {len(state.heads)} signed "
        f"tree heads, each matching its entries; size {head.size}, root {head.root} "
        f"(log key {head.log_id})"
    )
    return EXIT_OK


def cmd_head(args: argparse.Namespace) -> int:
    head = _log(args).head()
    text = json.dumps(head.as_dict(), indent=2) + "\n"
    if args.out:
        out = Path(args.out)
        if out.exists():
            raise UsageError(f"{out} already exists; refusing to overwrite a saved tree head")
        out.write_text(text, encoding="utf-8")
        print(f"tree head of size {head.size} saved to {out}")
    else:
        print(text, end="")
    return EXIT_OK


def _read_head(name: str) -> Any:
    from conformance.certificates._canonical import CanonicalError, parse_strict
    from conformance.certificates.tlog import LogError, TreeHead

    path = Path(name)
    try:
        if path.stat().st_size > 64 * 1024:
            raise LogError("too large for a tree head", Location(path))
        data = parse_strict(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LogError("tree head file not found", Location(path)) from None
    except (UnicodeDecodeError, ValueError, CanonicalError) as exc:
        raise LogError(f"not a JSON tree head: {exc}", Location(path)) from None
    if isinstance(data, dict) and "transparency" in data and "payload" in data:
        data = data["transparency"].get("tree_head")  # a certificate: its own tree head
    return TreeHead.from_dict(data, Location(path))


def cmd_consistency(args: argparse.Namespace) -> int:
    from conformance.certificates.tlog import LogIntegrityError, check_consistency

    trusted = _trusted(args)
    log = _log(args)
    try:
        old = _read_head(args.old)
        old.check(trusted, Location(args.old))
        if args.new:
            new = _read_head(args.new)
            new.check(trusted, Location(args.new))
        else:
            log.verify(trusted)
            new = log.head()
        check_consistency(old, new, log)
    except LogIntegrityError as exc:
        return _invalid(exc)
    if old.size == new.size:
        print(f"consistent: the same tree of size {old.size} (root {old.root})")
    else:
        print(
            f"consistent: the tree of size {min(old.size, new.size)} is a prefix of the tree "
            f"of size {max(old.size, new.size)}: the log was only appended to"
        )
    return EXIT_OK


def cmd_monitor(args: argparse.Namespace) -> int:
    log, state = _verified(args)
    if state is None:
        return EXIT_FAIL
    issued = []
    revoked: dict[str, dict[str, Any]] = {}
    for entry in state.entries:
        if entry.kind == "revocation":
            revoked[str(entry.data.get("target"))] = {"index": entry.index, **entry.data}
            continue
        payload = entry.data.get("payload") or {}
        candidate = payload.get("candidate") or {}
        if candidate.get("vendor") == args.vendor:
            issued.append((entry, payload, candidate))
    rows = []
    for entry, payload, candidate in issued:
        key = (entry.data.get("signature") or {}).get("key_id")
        revocation = revoked.get(str(payload.get("id"))) or revoked.get(str(key))
        rows.append(
            {
                "index": entry.index,
                "logged_at": entry.logged_at,
                "id": payload.get("id"),
                "type": entry.kind,
                "system": candidate.get("system"),
                "version": candidate.get("version"),
                "standard": (payload.get("standard") or {}).get("ref"),
                "issuer": (payload.get("issuer") or {}).get("name"),
                "key_id": key,
                "valid_until": payload.get("valid_until"),
                "revoked": (
                    {"date": revocation.get("date"), "reason": revocation.get("reason")}
                    if revocation
                    else None
                ),
            }
        )
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(
        f"{len(rows)} document(s) issued for vendor {args.vendor!r} in {log.path} "
        f"(log verified, size {len(state.entries)}):"
    )
    for row in rows:
        state_text = (
            f"REVOKED {row['revoked']['date']}: {row['revoked']['reason']}"
            if row["revoked"]
            else f"until {row['valid_until']}"
            if row["valid_until"]
            else "-"
        )
        print(
            f"  #{row['index']:<5} {row['logged_at']}  {row['type']:<15} {row['id']}  "
            f"{row['system']} {row['version']}  {row['standard']}  key {row['key_id']}  "
            f"{state_text}"
        )
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    from conformance.certificates.tlog import DEFAULT_LOG

    log = sub.add_parser("log", help="the transparency log of issued documents and revocations")
    lsub = log.add_subparsers(dest="log_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser, trust: bool = True) -> None:
        p.add_argument(
            "--log", default=str(DEFAULT_LOG), metavar="FILE", help="default: %(default)s"
        )
        if trust:
            p.add_argument(
                "--trust",
                required=True,
                nargs="+",
                action="extend",
                metavar="KEY",
                help="the log's public key(s): the keys that sign its tree heads",
            )

    p = lsub.add_parser(
        "verify", help="check every signed tree head against the entries (append-only, no fork)"
    )
    common(p)
    p.set_defaults(func=cmd_verify)

    p = lsub.add_parser("head", help="print (or save) the latest signed tree head")
    common(p, trust=False)
    p.add_argument("--out", metavar="FILE", help="save it to FILE (never overwritten)")
    p.set_defaults(func=cmd_head)

    p = lsub.add_parser(
        "consistency",
        help="prove that the log only grew between two tree heads (saved heads or certificates)",
    )
    p.add_argument("old", metavar="OLD", help="a saved tree head, or a certificate.json")
    p.add_argument("new", metavar="NEW", nargs="?", help="another one (default: the log's latest)")
    common(p)
    p.set_defaults(func=cmd_consistency)

    p = lsub.add_parser("monitor", help="every document the log holds for a vendor")
    p.add_argument("--vendor", required=True, help="the vendor's name as on its certificates")
    p.add_argument("--format", choices=("text", "json"), default="text")
    common(p)
    p.set_defaults(func=cmd_monitor)
