"""``conformance keygen | certify | verify | revoke``: signed certificates.

Exit codes: ``certify`` 0 when it issued a certificate, 1 when the run failed and it issued
a signed failure record instead; ``verify`` 0 when the certificate is valid, 1 (with every
reason) when not; 2 for usage errors and unreadable or malformed inputs.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from conformance.certificates.attest import RunnerPolicy
    from conformance.certificates.tlog import TransparencyLog

EXIT_OK = 0
EXIT_FAIL = 1


def _say(text: str) -> None:
    """A line of certify/verify output: any value in it (a vendor, a reason, a waiver) shown
    with its control and bidirectional characters escaped, secrets redacted (issue 15)."""
    from conformance.controls import visible
    from conformance.redaction import redact

    print(visible(redact(text)))


def _dirs(args: argparse.Namespace) -> list[Path] | None:
    return [Path(p) for p in args.standards_dir] or None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--at {value!r}; expected an ISO date or date-time such as 2027-01-31T12:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_keygen(args: argparse.Namespace) -> int:
    from conformance.certificates.keys import generate_keypair

    pair = generate_keypair(Path(args.out), args.name, args.passphrase_env)
    _say(f"private key: {pair.private}  (keep it secret; mode 0600)")
    _say(f"public key:  {pair.public}  (give it to verifiers: --trust {pair.public})")
    _say(f"key id:      {pair.key_id}")
    return EXIT_OK


def _policy(args: argparse.Namespace) -> RunnerPolicy:
    from conformance.certificates.attest import RunnerPolicy

    if args.policy and args.trust_runner:
        raise UsageError("give --policy FILE or --trust-runner KEY, not both")
    if args.policy:
        return RunnerPolicy.load(Path(args.policy))
    if args.trust_runner:
        return RunnerPolicy.of_keys([Path(p) for p in args.trust_runner])
    raise UsageError(
        "certify needs the runners it trusts: --policy FILE (schema runner-policy.schema.json) "
        "or --trust-runner RUNNER.pub.pem (your own runner)"
    )


def _log(args: argparse.Namespace) -> tuple[TransparencyLog | None, Ed25519PrivateKey | None]:
    """The transparency log to append to and its key (None, None with --no-log)."""
    from conformance.certificates.keys import load_private_key
    from conformance.certificates.tlog import TransparencyLog

    if args.no_log:
        return None, None
    key = load_private_key(Path(args.log_key), args.log_passphrase_env) if args.log_key else None
    return TransparencyLog(Path(args.log)), key


def cmd_certify(args: argparse.Namespace) -> int:
    from conformance.certificates.issue import certify_run
    from conformance.certificates.keys import load_private_key

    key = load_private_key(Path(args.key), args.passphrase_env)
    log, log_key = _log(args)
    issued = certify_run(
        Path(args.run),
        key,
        issuer=args.issuer,
        policy=_policy(args),
        standards_dirs=_dirs(args),
        out_dir=Path(args.out) if args.out else None,
        days=args.valid_days,
        log=log,
        log_key=log_key,
        lang=args.lang,
    )
    payload = issued.document["payload"]
    source = f"{payload['run']['results_file']} of run {payload['run']['run_id']}"
    if issued.is_certificate:
        _say(f"certificate {payload['id']} issued from {source}")
        _say(
            f"  {payload['candidate']['system']} {payload['candidate']['version']} conforms to "
            f"{payload['standard']['ref']}; valid until {payload['valid_until']}"
        )
        for warning in payload["warnings"]:
            _say(f"  warning: {warning}")
        for waiver in payload["waivers"]:
            _say(f"  waiver {waiver['id']}: {waiver['reason']} (until {waiver['expires']})")
    else:
        _say(f"the run does not conform: failure record {payload['id']} signed from {source}")
        for reason in payload["reasons"]:
            _say(f"  - {reason}")
    _say(f"  {issued.json_path}")
    _say(f"  {issued.html_path}")
    runner = payload["run"]["attestation"]["runner"]
    _say(f"  from a run attested by {runner['name']} ({runner['role']}, key {runner['key_id']})")
    _say(f"  signed with key {issued.document['signature']['key_id']}")
    logged = issued.document.get("transparency")
    if logged:
        head = logged["tree_head"]
        _say(
            f"  logged as entry {logged['index']} of {args.log} (tree size {head['size']}, "
            f"root {head['root'][:16]}..., log key {head['log_id']})"
        )
    else:
        _say("  not logged (--no-log): a gate that requires logged certificates refuses it")
    return EXIT_OK if issued.is_certificate else EXIT_FAIL


def cmd_verify(args: argparse.Namespace) -> int:
    from conformance.certificates.keys import load_trusted_keys
    from conformance.certificates.tlog import TransparencyLog
    from conformance.certificates.verify import load_revocations, verify_file

    trusted = load_trusted_keys([Path(p) for p in args.trust])
    revocations = load_revocations([Path(p) for p in args.revoked])
    if args.log and not args.log_trust:
        raise UsageError("--log needs --log-trust LOG.pub.pem: the key that signs its tree heads")
    log_trusted = load_trusted_keys([Path(p) for p in args.log_trust]) if args.log_trust else None
    result = verify_file(
        Path(args.certificate),
        trusted,
        now=_moment(args.at),
        revocations=revocations,
        standards_dirs=_dirs(args),
        expect_system=args.system,
        expect_standard=args.standard,
        log_trusted=log_trusted,
        log=TransparencyLog(Path(args.log)) if args.log else None,
    )
    payload = result.payload
    if result.valid and payload is not None:
        candidate = payload["candidate"]
        _say(
            f"valid: {payload['id']}: {candidate['vendor']} {candidate['system']} "
            f"{candidate['version']} conforms to {payload['standard']['ref']} "
            f"(until {payload['valid_until']}; key {payload['issuer']['key_id']})"
        )
        for note in result.notes:
            _say(f"  note: {note}")
        return EXIT_OK
    name = payload["id"] if payload else args.certificate
    _say(f"invalid: {name}")
    for problem in result.problems:
        _say(f"  {problem}")
    return EXIT_FAIL


def _about(document: dict[str, Any] | None) -> dict[str, str]:
    """Whom a revoked document concerned (so a monitor lists it with the vendor's records)."""
    if document is None:
        return {}
    candidate = document["payload"]["candidate"]
    return {"vendor": candidate["vendor"], "system": candidate["system"]}


def _revocation_log(
    args: argparse.Namespace,
) -> tuple[TransparencyLog | None, Ed25519PrivateKey | None]:
    from conformance.certificates.keys import load_private_key
    from conformance.certificates.tlog import TransparencyLog

    if args.no_log:
        return None, None
    if not args.log_key:
        raise UsageError(
            f"every revocation is appended to the transparency log ({args.log}): give its key "
            "with --log-key KEY (or --no-log to only write the revocation list)"
        )
    return TransparencyLog(Path(args.log)), load_private_key(
        Path(args.log_key), args.log_passphrase_env
    )


def cmd_revoke(args: argparse.Namespace) -> int:
    """Add a certificate (or a key) to a JSON revocation list, creating the list if needed."""
    from conformance.certificates.verify import load_revocations, read_document

    target = args.target
    path = Path(args.list)
    if path.suffix != ".json":
        raise UsageError(
            f"--list {path}: expected a .json revocation list (YAML ones are edited by hand)"
        )
    document: dict[str, Any] | None = None
    if Path(target).is_file():
        document, problem = read_document(Path(target))
        if document is None:
            raise UsageError(f"{target}: not a certificate ({problem})")
        target = document["payload"]["id"]
    entry: dict[str, str] = {"reason": args.reason, "date": date.today().isoformat()}
    if target.startswith(("cert-", "fail-")):
        entry["certificate"] = target
    elif len(target) == 32 and all(c in "0123456789abcdef" for c in target):
        entry["key_id"] = target
    else:
        raise UsageError(
            f"{target!r}: expected a certificate file, a certificate id (cert-...) or a key id"
        )
    data: dict[str, list[dict[str, str]]] = {"revoked": []}
    if path.exists():
        load_revocations([path])  # refuses a malformed list before it is rewritten
        data = json.loads(path.read_text(encoding="utf-8"))
    log, key = _revocation_log(args)
    if log is not None and key is not None:
        kind = "certificate" if "certificate" in entry else "key"
        logged, head, _ = log.append(
            "revocation", {"target": target, "type": kind} | _about(document) | entry, key
        )
        _say(f"logged as entry {logged.index} of {log.path} (tree size {head.size})")
    data["revoked"].append(entry)
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    scratch.replace(path)
    _say(f"revoked {target} in {path} ({len(data['revoked'])} entries in the list)")
    return EXIT_OK


def _standards_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--standards-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="where the published standards live (repeatable; default: as for `run`)",
    )


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    p = sub.add_parser("keygen", help="create an Ed25519 signing key pair (PEM files)")
    p.add_argument("--out", default=".", metavar="DIR", help="folder for the key files")
    p.add_argument("--name", default="issuer", help="file name stem (default: issuer)")
    p.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="encrypt the private key with the passphrase held in this environment variable",
    )
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser(
        "certify",
        help="sign a run: a certificate if it conforms, a signed failure record if not",
    )
    p.add_argument(
        "run",
        metavar="RUN",
        help="a run folder (its results.reviewed.json if present, else results.json) or a "
        "results file",
    )
    p.add_argument("--key", required=True, metavar="KEY", help="the issuer's private key (PEM)")
    p.add_argument("--passphrase-env", metavar="VAR", help="variable holding the key passphrase")
    p.add_argument("--issuer", default="gov-conformance reviewer", help="issuer name shown")
    p.add_argument(
        "--valid-days",
        type=int,
        default=365,
        metavar="N",
        help="validity (default: 365 days, never past the standard's sunset)",
    )
    p.add_argument("--out", metavar="DIR", help="write here instead of the run folder")
    p.add_argument(
        "--lang",
        choices=("zh-CN", "en"),
        default="zh-CN",
        help="the language the certificate view opens in (default: zh-CN)",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="runner policy: the runner keys whose run attestations are trusted, and whether "
        "a vendor's CI runner may attest its own systems (schema runner-policy.schema.json)",
    )
    p.add_argument(
        "--trust-runner",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY",
        help="instead of --policy: your own runners' public keys (reviewer runners)",
    )
    _log_options(p, "append the issued document to (default: %(default)s)")
    p.add_argument(
        "--log-key",
        metavar="KEY",
        help="the private key that signs the log's tree heads (default: the issuer's --key)",
    )
    _standards_dir(p)
    p.set_defaults(func=cmd_certify)

    p = sub.add_parser("verify", help="verify a certificate as the integration gateway does")
    p.add_argument("certificate", metavar="CERT", help="certificate.json")
    p.add_argument(
        "--trust",
        required=True,
        nargs="+",
        action="extend",
        metavar="KEY",
        help="trusted public keys (PEM files, or folders of *.pub.pem); several for rotation",
    )
    p.add_argument(
        "--revoked",
        action="append",
        default=[],
        metavar="FILE",
        help="revocation list (JSON or YAML; schema revocations.schema.json; repeatable)",
    )
    p.add_argument("--at", metavar="TIME", help="verify as of this ISO time (default: now)")
    p.add_argument("--system", metavar="SYSTEM", help="require this system (or VENDOR/SYSTEM)")
    p.add_argument("--standard", metavar="ID@VERSION", help="require this standard version")
    p.add_argument(
        "--log-trust",
        nargs="+",
        action="extend",
        metavar="KEY",
        help="require a logged certificate: its inclusion proof and a tree head signed by one "
        "of these log keys (checked offline)",
    )
    p.add_argument(
        "--log",
        metavar="FILE",
        help="also check against this transparency log: it verifies, the certificate's tree "
        "head is consistent with its latest one, and it holds no revocation of the certificate",
    )
    _standards_dir(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("revoke", help="add a certificate or key id to a JSON revocation list")
    p.add_argument("target", metavar="CERT", help="certificate file, certificate id or key id")
    p.add_argument("--list", required=True, metavar="FILE", help="revocations.json")
    p.add_argument("--reason", required=True)
    _log_options(p, "append the revocation to (default: %(default)s)")
    p.add_argument("--log-key", metavar="KEY", help="the private key of the log's tree heads")
    p.set_defaults(func=cmd_revoke)


def _log_options(p: argparse.ArgumentParser, what: str) -> None:
    from conformance.certificates.tlog import DEFAULT_LOG

    p.add_argument(
        "--log", default=str(DEFAULT_LOG), metavar="FILE", help=f"transparency log to {what}"
    )
    p.add_argument("--no-log", action="store_true", help="do not append to the transparency log")
    p.add_argument(
        "--log-passphrase-env", metavar="VAR", help="variable holding the log key's passphrase"
    )
