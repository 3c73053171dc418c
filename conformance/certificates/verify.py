"""Verification, as the integration gateway does it.

A certificate is valid when all of these hold (each failure has its own reason code):

``malformed``            the file is canonical-JSON-parsable and matches its schema
``key-mismatch``         the payload names the key the signature was made with
``key-untrusted``        that key is one of the trusted public keys (several, for rotation)
``signature-invalid``    the Ed25519 signature over the canonical payload verifies
``not-a-certificate``    it is a certificate, not a failure record
``verdict-not-pass``     its verdict is pass
``not-yet-valid``        issued_at is not in the future
``expired``              valid_until is still ahead
``revoked``              neither the certificate nor its key is on a revocation list
``standard-unknown``     the standard version is in the standards repository
``standard-digest``      its content digest equals the certificate's
``standard-retired``     the standard is not retired or a draft
``system-mismatch``      (when asked) it names the expected system
``standard-mismatch``    (when asked) it names the expected standard version

With trusted log keys (``--log-trust``), offline:

``not-logged``           it carries an inclusion proof (a never-logged certificate, such as
                         one made with a stolen issuer key, has none)
``log-invalid``          its tree head is signed by a trusted log key and the inclusion proof
                         leads from the document to that head's root

With the log file too (``--log``):

``log-invalid``          the log itself verifies (every signed head matches its entries)
``log-inconsistent``     the certificate's tree head is consistent with the log's latest one
                         (the log it was issued from was only appended to, never forked)
``revoked``              the log holds no revocation of it or of its signing key
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jsonschema import Draft202012Validator

from conformance.certificates._canonical import CanonicalError, canonical_json, parse_strict
from conformance.certificates.issue import certificate_validator
from conformance.certificates.tlog import (
    LogIntegrityError,
    TransparencyLog,
    check_consistency,
    verify_logged_document,
)
from conformance.errors import ConformanceError, Location
from conformance.standards._documents import join_pointer, load_document

__all__ = ["Problem", "Revocations", "Verification", "load_revocations", "verify_document"]

MAX_CERTIFICATE_BYTES = 4 * 1024 * 1024


class RevocationListError(ConformanceError, ValueError):
    """A revocation list file is malformed."""


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Verification:
    payload: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Revocations:
    certificates: dict[str, str] = field(default_factory=dict)  # id -> reason
    keys: dict[str, str] = field(default_factory=dict)  # key id -> reason


@cache
def _revocations_validator() -> Draft202012Validator:
    text = (
        resources.files("conformance")
        .joinpath("schemas/revocations.schema.json")
        .read_text(encoding="utf-8")
    )
    return Draft202012Validator(json.loads(text))


def load_revocations(paths: list[Path]) -> Revocations:
    certificates: dict[str, str] = {}
    keys: dict[str, str] = {}
    for path in paths:
        try:
            doc = load_document(path)
        except ConformanceError as exc:
            raise RevocationListError(exc.message, exc.location) from None
        errors = sorted(
            _revocations_validator().iter_errors(doc.data), key=lambda e: list(e.absolute_path)
        )
        if errors:
            pointer = join_pointer("", *errors[0].absolute_path)
            raise RevocationListError(
                f"{errors[0].message} (rule {errors[0].validator}, schema revocations.schema.json)",
                doc.location(pointer),
            )
        for entry in doc.data["revoked"]:
            reason = f"{entry['reason']} (revoked {entry['date']}, {path.name})"
            if "certificate" in entry:
                certificates[entry["certificate"]] = reason
            else:
                keys[entry["key_id"]] = reason
    return Revocations(certificates, keys)


def read_document(path: Path) -> tuple[dict[str, Any] | None, Problem | None]:
    """The parsed certificate file, or why it is not one.  Unreadable files raise."""
    try:
        size = path.stat().st_size
        if size > MAX_CERTIFICATE_BYTES:
            return None, Problem("malformed", f"{size} bytes; a certificate is far smaller")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConformanceError("certificate file not found", Location(path)) from None
    except OSError as exc:
        raise ConformanceError(f"unreadable: {exc.strerror}", Location(path)) from None
    try:
        document = parse_strict(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, Problem("malformed", f"not UTF-8 (byte offset {exc.start})")
    except (ValueError, CanonicalError) as exc:
        return None, Problem("malformed", f"not valid JSON: {exc}")
    if not isinstance(document, dict):
        return None, Problem("malformed", "expected a JSON object")
    errors = sorted(
        certificate_validator().iter_errors(document), key=lambda e: list(e.absolute_path)
    )
    if errors:
        pointer = join_pointer("", *errors[0].absolute_path) or "/"
        return None, Problem("malformed", f"at {pointer}: {errors[0].message}")
    return document, None


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_signature(
    document: dict[str, Any], trusted: dict[str, Ed25519PublicKey]
) -> Problem | None:
    """None when a trusted key signed exactly this payload, else why not."""
    payload = document["payload"]
    signature = document["signature"]
    if signature["key_id"] != payload["issuer"]["key_id"]:
        return Problem(
            "key-mismatch",
            f"signed with key {signature['key_id']} but the payload names "
            f"{payload['issuer']['key_id']}",
        )
    key = trusted.get(signature["key_id"])
    if key is None:
        return Problem(
            "key-untrusted",
            f"key {signature['key_id']} is not among the {len(trusted)} trusted key(s)",
        )
    try:
        raw = base64.b64decode(signature["value"], validate=True)
        if base64.b64encode(raw).decode("ascii") != signature["value"]:
            # the unused bits of the last character are part of the signature too
            raise InvalidSignature("non-canonical base64")
        key.verify(raw, canonical_json(payload))
    except (InvalidSignature, binascii.Error, CanonicalError):
        return Problem(
            "signature-invalid", "the signature does not match the certificate's content"
        )
    return None


def verify_document(
    document: dict[str, Any],
    trusted: dict[str, Ed25519PublicKey],
    *,
    now: datetime | None = None,
    revocations: Revocations | None = None,
    standards_dirs: list[Path] | None = None,
    expect_system: str | None = None,
    expect_standard: str | None = None,
    log_trusted: dict[str, Ed25519PublicKey] | None = None,
    log: TransparencyLog | None = None,
) -> Verification:
    """Every check of the module docstring, on a document already read and schema-valid."""
    from conformance.standards.loader import StandardsRepository

    now = now or datetime.now(UTC)
    payload = document["payload"]
    signature = document["signature"]
    result = Verification(payload)
    problems = result.problems
    # The signature first: nothing else in an unsigned payload can be believed.
    bad_signature = check_signature(document, trusted)
    if bad_signature is not None:
        problems.append(bad_signature)
        return result
    if payload["type"] != "certificate":
        problems.append(
            Problem(
                "not-a-certificate",
                f"{payload['id']} is a signed failure record (verdict {payload['verdict']}), "
                "not a certificate",
            )
        )
    if payload["verdict"] != "pass":
        problems.append(Problem("verdict-not-pass", f"verdict is {payload['verdict']}"))
    issued = _moment(payload["issued_at"])
    if issued > now:
        problems.append(Problem("not-yet-valid", f"issued_at {payload['issued_at']} is ahead"))
    if "valid_until" in payload and _moment(payload["valid_until"]) <= now:
        problems.append(Problem("expired", f"valid_until {payload['valid_until']} has passed"))
    revocations = revocations or Revocations()
    if payload["id"] in revocations.certificates:
        problems.append(Problem("revoked", revocations.certificates[payload["id"]]))
    key_revoked = revocations.keys.get(signature["key_id"])
    if key_revoked is not None:
        problems.append(
            Problem("revoked", f"signing key {signature['key_id']} revoked: {key_revoked}")
        )
    ref = payload["standard"]["ref"]
    try:
        standard = StandardsRepository(standards_dirs).load(ref)
    except ConformanceError as exc:
        problems.append(Problem("standard-unknown", f"{ref}: {exc}"))
    else:
        if standard.digest != payload["standard"]["digest"]:
            problems.append(
                Problem(
                    "standard-digest",
                    f"{ref} is published with digest {standard.digest}, the certificate pins "
                    f"{payload['standard']['digest']}",
                )
            )
        if standard.status.value in ("retired", "draft"):
            problems.append(
                Problem("standard-retired", f"{ref} has status {standard.status.value}")
            )
        elif standard.status.value == "deprecated":
            result.notes.append(f"{ref} is deprecated; plan a run against its successor")
        sunset = standard.dates.get("sunset")
        if sunset and date.fromisoformat(sunset) <= now.astimezone(UTC).date():
            problems.append(Problem("expired", f"{ref} reached its sunset on {sunset}"))
    if expect_system is not None and expect_system not in (
        payload["candidate"]["system"],
        f"{payload['candidate']['vendor']}/{payload['candidate']['system']}",
    ):
        problems.append(
            Problem(
                "system-mismatch",
                f"issued to system {payload['candidate']['system']!r}, expected {expect_system!r}",
            )
        )
    if expect_standard is not None and expect_standard != ref:
        problems.append(
            Problem("standard-mismatch", f"issued for {ref}, expected {expect_standard}")
        )
    if log_trusted is not None:
        problems.extend(check_log(document, log_trusted, log))
    return result


def check_log(
    document: dict[str, Any],
    trusted: dict[str, Ed25519PublicKey],
    log: TransparencyLog | None = None,
) -> list[Problem]:
    """The log checks of the module docstring (offline without LOG)."""
    try:
        head = verify_logged_document(document, trusted)
    except LogIntegrityError as exc:
        code = "not-logged" if exc.message.startswith("not logged") else "log-invalid"
        return [Problem(code, exc.message)]
    if log is None:
        return []
    try:
        state = log.verify(trusted)
    except LogIntegrityError as exc:
        return [Problem("log-invalid", str(exc))]
    latest = state.heads[-1][0]
    try:
        check_consistency(head, latest, log)
    except LogIntegrityError as exc:
        return [Problem("log-inconsistent", exc.message)]
    problems = []
    payload = document["payload"]
    for entry in state.entries:
        if entry.kind == "revocation" and entry.data.get("target") in (
            payload["id"],
            document["signature"]["key_id"],
        ):
            problems.append(
                Problem(
                    "revoked",
                    f"{entry.data.get('reason')} (revoked {entry.data.get('date')}, log entry "
                    f"{entry.index})",
                )
            )
    return problems


def verify_file(path: Path, trusted: dict[str, Ed25519PublicKey], **options: Any) -> Verification:
    document, problem = read_document(path)
    if document is None:
        assert problem is not None
        return Verification(None, [problem])
    return verify_document(document, trusted, **options)
