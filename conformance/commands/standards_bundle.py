"""``conformance standards pack``, the ``--standards``/``--trust`` options, and the listing
that says where each standard came from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError

__all__ = ["add_standards_options", "print_standards_list", "register"]


def add_standards_options(parser: argparse.ArgumentParser) -> None:
    """``--standards`` (alias ``--standards-dir``) and ``--trust``, on a standards command."""
    parser.add_argument(
        "--standards",
        "--standards-dir",
        dest="standards_dir",
        action="append",
        default=[],
        metavar="PATH",
        help="a folder of <id>/<version>/ standards or a standards bundle (repeatable; only "
        "these are searched; default: $CONFORMANCE_STANDARDS_PATH, ./standards, the samples "
        "shipped in the package)",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="PUB",
        help="public key (or folder of *.pub.pem) a signed bundle must be signed with "
        "(repeatable; default: $CONFORMANCE_STANDARDS_TRUST)",
    )


def print_standards_list(sources: list[Any] | None) -> int:
    """Every standard version found, with its status, title and where it came from."""
    from conformance.standards.loader import LOOKUP_ORDER, StandardsRepository, load_standard

    repository = StandardsRepository(sources)
    if sources is None:
        print("lookup order (first match wins): " + "; ".join(LOOKUP_ORDER))
    rows = repository.found()
    if not rows:
        searched = ", ".join(s.describe() for s in repository.sources) or "nothing"
        print(f"no standards found; searched: {searched}")
        return 0
    for standard_id, version, folder, source in rows:
        try:
            standard = load_standard(folder)
            text = f"{standard.status.value}\t{standard.title.zh} / {standard.title.en}"
        except ConformanceError as exc:
            text = f"INVALID\t{exc}"
        print(f"{standard_id}@{version}\t{text}\tfrom {source.describe()}")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    from conformance.bundles import pack, resolve_standards
    from conformance.standards.loader import StandardsRepository

    repository = StandardsRepository(resolve_standards(args.standards_dir, args.trust))
    key = Path(args.key) if args.key else None
    packed = pack(
        args.refs,
        Path(args.out),
        repository=repository,
        key=key,
        passphrase_env=args.passphrase_env,
    )
    signed = f"signed by key {packed.signer}" if packed.signer else "unsigned"
    print(f"wrote {args.out}: {', '.join(packed.refs)}; {packed.payload_digest}; {signed}")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    p = standards_sub.add_parser(
        "pack",
        help="write standard versions into one digest-stamped (optionally signed) bundle file",
        description="Write the named standard versions (and the bases of profiles among them) "
        "into one bundle file: gzip'd canonical JSON with a payload digest and, with --key, an "
        "Ed25519 signature (the certificates' keys). Read it back with --standards FILE "
        "[--trust PUB].",
    )
    p.add_argument("refs", nargs="+", metavar="ID@VERSION")
    p.add_argument("--out", required=True, metavar="FILE", help="the bundle to write (new file)")
    p.add_argument("--key", metavar="KEY", help="Ed25519 private key (PEM) to sign with")
    p.add_argument("--passphrase-env", metavar="VAR", help="variable holding the key's passphrase")
    add_standards_options(p)
    p.set_defaults(func=cmd_pack)
