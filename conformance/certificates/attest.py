"""Run attestations: what a runner observed, signed at the end of the run.

The runner (the machine that ran ``conformance run``) signs a DSSE envelope holding an
in-toto Statement v1, written as ``run-attestation.json`` in the run folder:

- ``subject``: every file the run wrote (``results.json``, ``junit.xml``, ``report.html``),
  by name and sha256;
- ``predicateType`` :data:`PREDICATE_TYPE`; ``predicate``: the standard's ref and content
  digest, the candidate's identity and base URL, the run id, seed and ``requests_sha256``,
  the tool's name and version, the run's start and end, and the runner's key id.

Why these formats: DSSE (secure-systems-lab/dsse) signs the exact payload bytes with their
type (pre-authentication encoding), so nothing is re-serialised before verification and no
canonical form is needed; the in-toto Statement is the subject-plus-predicate layer that
supply-chain tools (in-toto, Sigstore's cosign and Rekor, SLSA verifiers) already read, so a
reviewer can check a run with their tools as well as with ours.  Both are small enough to
implement exactly here (the encoding is one line, tested against the DSSE specification's
own vector) rather than add a dependency.

``certify`` trusts a run only through :func:`verify_run_attestation`: a signature by a
runner key of the policy (:class:`RunnerPolicy`), each subject's digest equal to its file,
and the predicate equal to what results.json records.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jsonschema import Draft202012Validator

from conformance.certificates._canonical import CanonicalError, canonical_json, parse_strict
from conformance.certificates.keys import (
    KeyFileError,
    key_id,
    load_private_key,
    load_public_key,
    private_key_from_pem,
)
from conformance.errors import ConformanceError, Location
from conformance.redaction import register
from conformance.review import file_sha256
from conformance.standards._documents import join_pointer, load_document

__all__ = [
    "ATTESTATION_NAME",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "RUNNER_KEY_ENV",
    "AttestationError",
    "AttestedRun",
    "RunClaims",
    "Runner",
    "RunnerPolicy",
    "attest_finished_run",
    "attest_merged_run",
    "attest_run",
    "load_runner_key",
    "pae",
    "verify_run_attestation",
]

ATTESTATION_NAME = "run-attestation.json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://conformance.invalid/attestations/run/v1"
RUNNER_KEY_ENV = "CONFORMANCE_RUNNER_KEY"
RUNNER_PASSPHRASE_ENV = "CONFORMANCE_RUNNER_KEY_PASSPHRASE"  # noqa: S105 - a variable name
MAX_ATTESTATION_BYTES = 4 * 1024 * 1024
MAX_SUBJECTS = 1000


class AttestationError(ConformanceError, ValueError):
    """A run attestation is missing, malformed, untrusted or does not match the run."""


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: the exact bytes a signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


# -- what the runner claims ----------------------------------------------------------------


@dataclass(frozen=True)
class RunClaims:
    """The facts of a run that its attestation binds (all read from results.json)."""

    standard_ref: str
    standard_digest: str
    vendor: str
    system: str
    version: str
    base_url: str | None
    run_id: str
    seed: int
    requests_sha256: str
    tool_name: str
    tool_version: str
    started_at: str
    finished_at: str

    @classmethod
    def from_results(cls, data: Mapping[str, Any]) -> RunClaims:
        return cls(
            standard_ref=str(data["standard"]["ref"]),
            standard_digest=str(data["standard"]["digest"]),
            vendor=str(data["candidate"]["vendor"]),
            system=str(data["candidate"]["system"]),
            version=str(data["candidate"]["version"]),
            base_url=data["candidate"].get("base_url"),
            run_id=str(data["run_id"]),
            seed=int(data["seed"]),
            requests_sha256=str(data["requests_sha256"]),
            tool_name=str(data["suite"]["name"]),
            tool_version=str(data["suite"]["version"]),
            started_at=str(data["started_at"]),
            finished_at=str(data["finished_at"]),
        )

    def predicate(self, runner_key_id: str) -> dict[str, Any]:
        return {
            "runner": {"key_id": runner_key_id},
            "standard": {"ref": self.standard_ref, "digest": self.standard_digest},
            "candidate": {
                "vendor": self.vendor,
                "system": self.system,
                "version": self.version,
                "base_url": self.base_url,
            },
            "run": {
                "run_id": self.run_id,
                "seed": self.seed,
                "requests_sha256": self.requests_sha256,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
            },
            "tool": {"name": self.tool_name, "version": self.tool_version},
        }

    @classmethod
    def from_predicate(cls, predicate: Mapping[str, Any]) -> RunClaims:
        run, candidate = predicate["run"], predicate["candidate"]
        return cls(
            standard_ref=predicate["standard"]["ref"],
            standard_digest=predicate["standard"]["digest"],
            vendor=candidate["vendor"],
            system=candidate["system"],
            version=candidate["version"],
            base_url=candidate["base_url"],
            run_id=run["run_id"],
            seed=run["seed"],
            requests_sha256=run["requests_sha256"],
            tool_name=predicate["tool"]["name"],
            tool_version=predicate["tool"]["version"],
            started_at=run["started_at"],
            finished_at=run["finished_at"],
        )


# where each claim sits: in the predicate, and in results.json
CLAIM_POINTERS = {
    "standard_ref": ("/standard/ref", "/standard/ref"),
    "standard_digest": ("/standard/digest", "/standard/digest"),
    "vendor": ("/candidate/vendor", "/candidate/vendor"),
    "system": ("/candidate/system", "/candidate/system"),
    "version": ("/candidate/version", "/candidate/version"),
    "base_url": ("/candidate/base_url", "/candidate/base_url"),
    "run_id": ("/run/run_id", "/run_id"),
    "seed": ("/run/seed", "/seed"),
    "requests_sha256": ("/run/requests_sha256", "/requests_sha256"),
    "tool_name": ("/tool/name", "/suite/name"),
    "tool_version": ("/tool/version", "/suite/version"),
    "started_at": ("/run/started_at", "/started_at"),
    "finished_at": ("/run/finished_at", "/finished_at"),
}


# -- signing at the end of a run -----------------------------------------------------------


def _run_files(run_dir: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(run_dir.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        name = path.relative_to(run_dir).as_posix()
        if name != ATTESTATION_NAME:
            yield name, path


def build_statement(run_dir: Path, claims: RunClaims, runner_key_id: str) -> dict[str, Any]:
    subjects = [
        {"name": name, "digest": {"sha256": file_sha256(path)}}
        for name, path in _run_files(run_dir)
    ]
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": claims.predicate(runner_key_id),
    }


def sign_envelope(statement: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    body = canonical_json(statement)
    signature = private_key.sign(pae(PAYLOAD_TYPE, body))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode("ascii"),
        "signatures": [
            {
                "keyid": key_id(private_key.public_key()),
                "sig": base64.b64encode(signature).decode("ascii"),
            }
        ],
    }


def attest_run(run_dir: Path, claims: RunClaims, private_key: Ed25519PrivateKey) -> Path:
    """Sign every file now in RUN_DIR with CLAIMS; write run-attestation.json (never over one)."""
    statement = build_statement(run_dir, claims, key_id(private_key.public_key()))
    envelope = sign_envelope(statement, private_key)
    path = run_dir / ATTESTATION_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise AttestationError(
            "already exists; refusing to overwrite a run attestation", Location(path)
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(envelope, indent=2) + "\n")
    return path


def load_runner_key(path: str | Path | None) -> Ed25519PrivateKey | None:
    """The runner's signing key: the PEM file PATH, else the PEM text in CONFORMANCE_RUNNER_KEY.

    An encrypted key's passphrase is read from CONFORMANCE_RUNNER_KEY_PASSPHRASE.  Errors name
    the file or the variable, never any part of the key.  None when neither is given.
    """
    secret = os.environ.get(RUNNER_PASSPHRASE_ENV)
    if secret:
        register(secret)  # redacted at every sink (issue 15 item 2)
    if path:
        return load_private_key(Path(path), RUNNER_PASSPHRASE_ENV if secret else None)
    text = os.environ.get(RUNNER_KEY_ENV)
    if not text:
        return None
    where = Location(f"environment variable {RUNNER_KEY_ENV}")
    if "-----BEGIN" not in text:
        raise KeyFileError(
            "expected the PEM text of an Ed25519 private key (made by `conformance keygen`); "
            "or give a key file with --runner-key PATH",
            where,
        )
    passphrase = secret.encode("utf-8") if secret else None
    register(text)  # the key's PEM text is a secret too
    return private_key_from_pem(text.encode("utf-8"), passphrase, where, RUNNER_PASSPHRASE_ENV)


def attest_finished_run(
    run_dir: Path, data: Mapping[str, Any], private_key: Ed25519PrivateKey | None
) -> str:
    """Attest a finished run when a runner key is given; the line to show on the terminal."""
    if private_key is None:
        return (
            "attestation: none (no --runner-key or CONFORMANCE_RUNNER_KEY): this run cannot "
            "be certified"
        )
    path = attest_run(run_dir, RunClaims.from_results(data), private_key)
    return f"attestation: {path} (runner key {key_id(private_key.public_key())})"


def attest_merged_run(
    run_dir: Path,
    data: Mapping[str, Any],
    shard_dirs: list[Path],
    private_key: Ed25519PrivateKey | None,
) -> str:
    """Attest a merged run only when this runner's key attested every shard; the terminal line.

    The merging runner vouches for the merged files; it does so only for shards it ran (or
    that ran with its key), each intact and saying what its attestation says."""
    if private_key is None:
        return (
            "attestation: none (no --runner-key or CONFORMANCE_RUNNER_KEY): the merged run "
            "cannot be certified"
        )
    public = private_key.public_key()
    own = RunnerPolicy(
        {key_id(public): Runner("this runner", "reviewer", None, public, key_id(public))},
        False,
        "the merging runner's own key",
    )
    for shard in shard_dirs:
        try:
            attested = verify_run_attestation(shard, own)
            shard_data = json.loads((shard / "results.json").read_text(encoding="utf-8"))
            check_claims(attested, shard_data, shard / "results.json")
        except (AttestationError, OSError, ValueError) as exc:
            return (
                f"attestation: none: a shard is not attested by this runner's key ({exc}); "
                "the merged run cannot be certified"
            )
    return attest_finished_run(run_dir, data, private_key)


# -- the policy of trusted runners ---------------------------------------------------------


@cache
def _validator(name: str) -> Draft202012Validator:
    text = resources.files("conformance").joinpath(f"schemas/{name}").read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


@dataclass(frozen=True)
class Runner:
    name: str
    role: str  # reviewer | vendor
    vendor: str | None
    key: Ed25519PublicKey
    key_id: str


@dataclass(frozen=True)
class RunnerPolicy:
    """Runner keys whose attestations certify may accept.

    A reviewer's runner is trusted for any candidate.  A vendor's CI runner is trusted only
    when the policy allows self-assessment, and only for that vendor's own candidates.
    """

    runners: Mapping[str, Runner]
    allow_self_assessment: bool = False
    source: str = "--trust-runner"

    @classmethod
    def of_keys(cls, paths: list[Path]) -> RunnerPolicy:
        """Reviewer runners from public key files (``certify --trust-runner``)."""
        runners = {}
        for path in paths:
            key = load_public_key(path)
            runners[key_id(key)] = Runner(path.name, "reviewer", None, key, key_id(key))
        return cls(runners, False, "--trust-runner " + " ".join(str(p) for p in paths))

    @classmethod
    def load(cls, path: Path) -> RunnerPolicy:
        """A policy file (YAML or JSON; schema runner-policy.schema.json)."""
        try:
            doc = load_document(path)
        except ConformanceError as exc:
            raise AttestationError(exc.message, exc.location) from None
        errors = sorted(
            _validator("runner-policy.schema.json").iter_errors(doc.data),
            key=lambda e: list(e.absolute_path),
        )
        if errors:
            pointer = join_pointer("", *errors[0].absolute_path)
            raise AttestationError(
                f"{errors[0].message} (rule {errors[0].validator}, "
                "schema runner-policy.schema.json)",
                doc.location(pointer),
            )
        runners: dict[str, Runner] = {}
        for index, entry in enumerate(doc.data["runners"]):
            pointer = join_pointer("", "runners", index, "key")
            key_path = (path.parent / entry["key"]).resolve()
            try:
                key = load_public_key(key_path)
            except KeyFileError as exc:
                raise AttestationError(
                    f"key={entry['key']!r}: {exc.message}", doc.location(pointer)
                ) from None
            ident = key_id(key)
            if ident in runners:
                raise AttestationError(
                    f"key {ident} is listed twice; expected each runner key once",
                    doc.location(pointer),
                )
            runners[ident] = Runner(entry["name"], entry["role"], entry.get("vendor"), key, ident)
        return cls(runners, bool(doc.data.get("allow_self_assessment", False)), str(path))


# -- verification, as certify does it -----------------------------------------------------


@dataclass(frozen=True)
class AttestedRun:
    path: Path
    runner: Runner
    claims: RunClaims
    subjects: Mapping[str, str]  # file name -> sha256
    statement: Mapping[str, Any]


def _decode(text: str) -> bytes:
    """Standard or URL-safe base64 (DSSE allows either); strict about the alphabet."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)


def _read_envelope(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AttestationError(
            "no run attestation: the run was made without a runner key (--runner-key PATH or "
            f"{RUNNER_KEY_ENV}); expected a run attested by a trusted runner",
            Location(path),
        ) from None
    if size > MAX_ATTESTATION_BYTES:
        raise AttestationError(
            f"size={size} bytes; expected a run attestation under {MAX_ATTESTATION_BYTES}",
            Location(path),
        )
    try:
        envelope = parse_strict(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise AttestationError(f"not UTF-8 (byte offset {exc.start})", Location(path)) from None
    except (ValueError, CanonicalError) as exc:
        raise AttestationError(f"not JSON: {exc}", Location(path)) from None
    except OSError as exc:
        raise AttestationError(f"unreadable: {exc.strerror}", Location(path)) from None
    errors = sorted(
        _validator("dsse-envelope.schema.json").iter_errors(envelope),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        pointer = join_pointer("", *errors[0].absolute_path)
        raise AttestationError(
            f"not a DSSE envelope: {errors[0].message}", Location(path, None, pointer)
        )
    assert isinstance(envelope, dict)
    return envelope


def _signer(envelope: dict[str, Any], body: bytes, policy: RunnerPolicy, path: Path) -> Runner:
    message = pae(envelope["payloadType"], body)
    named: list[str] = []
    for index, signature in enumerate(envelope["signatures"]):
        try:
            raw = _decode(signature["sig"])
        except (binascii.Error, ValueError):
            raise AttestationError(
                "sig is not base64", Location(path, None, f"/signatures/{index}/sig")
            ) from None
        hint = signature.get("keyid") or ""
        named.append(hint or "(no keyid)")
        # the keyid is only a hint (DSSE): every trusted key is tried when it names none
        keys = [policy.runners[hint]] if hint in policy.runners else list(policy.runners.values())
        for runner in keys:
            try:
                runner.key.verify(raw, message)
            except InvalidSignature:
                continue
            if hint and hint != runner.key_id:
                # only a hint to DSSE, but a record that names the wrong key is not accepted
                raise AttestationError(
                    f"keyid={hint} but runner key {runner.key_id} ({runner.name}) made the "
                    "signature",
                    Location(path, None, f"/signatures/{index}/keyid"),
                )
            return runner
    known = [k for k in named if k in policy.runners]
    if known:
        raise AttestationError(
            f"the signature does not verify under runner key {known[0]} "
            f"({policy.runners[known[0]].name}): the attestation was changed after signing",
            Location(path, None, "/signatures"),
        )
    raise AttestationError(
        f"signed by runner key {', '.join(named)}, which the policy ({policy.source}) does "
        f"not trust; expected one of: {', '.join(sorted(policy.runners)) or 'none'}",
        Location(path, None, "/signatures"),
    )


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not name.startswith("/")
        and "\\" not in name
        and all(p not in ("", ".", "..") for p in parts)
        and name == PurePosixPath(*parts).as_posix()
    )


def verify_run_attestation(run_dir: Path, policy: RunnerPolicy) -> AttestedRun:
    """The run's attestation, signed by a runner the policy trusts, every subject intact."""
    path = run_dir / ATTESTATION_NAME
    envelope = _read_envelope(path)
    try:
        body = _decode(envelope["payload"])
    except (binascii.Error, ValueError):
        raise AttestationError("payload is not base64", Location(path, None, "/payload")) from None
    runner = _signer(envelope, body, policy, path)
    if envelope["payloadType"] != PAYLOAD_TYPE:
        raise AttestationError(
            f"payloadType={envelope['payloadType']!r}; expected {PAYLOAD_TYPE!r}",
            Location(path, None, "/payloadType"),
        )
    try:
        statement = parse_strict(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, CanonicalError) as exc:
        raise AttestationError(
            f"the signed statement is not JSON: {exc}", Location(path, None, "/payload")
        ) from None
    errors = sorted(
        _validator("run-attestation.schema.json").iter_errors(statement),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        pointer = join_pointer("", *errors[0].absolute_path) or "/"
        raise AttestationError(
            f"the signed statement at {pointer}: {errors[0].message} "
            "(schema run-attestation.schema.json)",
            Location(path, None, "/payload"),
        )
    predicate = statement["predicate"]
    claims = RunClaims.from_predicate(predicate)
    if predicate["runner"]["key_id"] != runner.key_id:
        raise AttestationError(
            f"runner.key_id={predicate['runner']['key_id']} in the statement, but runner key "
            f"{runner.key_id} signed it",
            Location(path, None, "/payload"),
        )
    if runner.role == "vendor":
        if not policy.allow_self_assessment:
            raise AttestationError(
                f"attested by {runner.name} (vendor {runner.vendor}'s CI runner, key "
                f"{runner.key_id}); the policy ({policy.source}) does not allow "
                "self-assessment: expected a reviewer's runner",
                Location(path, None, "/signatures"),
            )
        if runner.vendor != claims.vendor:
            raise AttestationError(
                f"attested by {runner.name}, the CI runner of vendor {runner.vendor!r}, for a "
                f"candidate of vendor {claims.vendor!r}; a vendor's runner may attest only its "
                "own systems",
                Location(path, None, "/signatures"),
            )
    subjects: dict[str, str] = {}
    if len(statement["subject"]) > MAX_SUBJECTS:
        raise AttestationError(
            f"{len(statement['subject'])} subjects; expected at most {MAX_SUBJECTS}",
            Location(path, None, "/payload"),
        )
    for subject in statement["subject"]:
        name, digest = subject["name"], subject["digest"]["sha256"]
        if not _safe_name(name) or name == ATTESTATION_NAME or name in subjects:
            raise AttestationError(
                f"subject name={name!r}; expected each file of the run folder once, by a "
                "relative name",
                Location(path, None, "/payload"),
            )
        subjects[name] = digest
        target = run_dir / name
        if target.is_symlink() or not target.is_file():
            raise AttestationError(
                f"missing: the run attestation lists {name} (sha256 {digest}) but the run "
                "folder has no such file",
                Location(target),
            )
        actual = file_sha256(target)
        if actual != digest:
            raise AttestationError(
                f"sha256 {actual}, but the run attestation records {digest}: the file was "
                "changed after the run",
                Location(target),
            )
    if "results.json" not in subjects:
        raise AttestationError(
            "the statement does not list results.json among its subjects",
            Location(path, None, "/payload"),
        )
    return AttestedRun(path, runner, claims, subjects, statement)


def check_claims(attested: AttestedRun, data: Mapping[str, Any], results_path: Path) -> None:
    """results.json (or the reviewed copy) says what the attestation's predicate says."""
    recorded = RunClaims.from_results(data)
    for name, (in_predicate, in_results) in CLAIM_POINTERS.items():
        mine, signed = getattr(recorded, name), getattr(attested.claims, name)
        if mine != signed:
            raise AttestationError(
                f"{in_results.lstrip('/').replace('/', '.')}={mine!r}, but the run attestation "
                f"records {signed!r} (predicate {in_predicate})",
                Location(results_path, None, in_results),
            )
