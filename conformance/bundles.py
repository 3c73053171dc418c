"""Standards bundles: one file carrying standard versions, digest-stamped, optionally signed.

A province publishes its standards apart from the tool. ``conformance standards pack`` writes
the versions it names (and the bases of the profiles among them) into one file; ``--standards
FILE`` (or a file in ``$CONFORMANCE_STANDARDS_PATH``) reads it back, after checking it.

The file is gzip-compressed canonical JSON (the certificates' canonical form)::

    {"format": "gov-conformance-standards-bundle", "format_version": 1,
     "created_by": "gov-conformance 0.1.0",
     "payload": {"standards": [{"ref": "gov.e-licence@1.1.0", "digest": "sha256:...",
                                "files": [{"path": "standard.yaml", "size": 1234,
                                           "sha256": "...", "content": "<base64>"}, ...]}]},
     "payload_digest": "sha256:<sha256 of the payload's canonical JSON>",
     "signature": {"algorithm": "Ed25519", "key_id": "...", "value": "<base64>"}}

The signature (optional) covers the canonical JSON of everything but ``signature``; it is made
and checked with the certificates' Ed25519 keys (:mod:`conformance.certificates.keys`). Opening
a bundle checks, before anything is used: the sizes (file, decompressed, members), the format,
every path (relative, no ``..``, no absolute path, nothing outside its version folder), every
file's size and sha256, the payload digest, the signature against ``--trust`` keys, and once
unpacked each version's content digest. A signed bundle needs a trusted key, and a key given
for an unsigned bundle refuses it (a stripped signature is not a downgrade). Every refusal is
a :class:`BundleError`: exit code 2, one line naming the file and the reason.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import gzip
import hashlib
import io
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from conformance._version import __version__
from conformance.certificates._canonical import CanonicalError, canonical_json, parse_strict
from conformance.certificates.keys import key_id, load_private_key, load_trusted_keys
from conformance.errors import ConformanceError, Location, UsageError
from conformance.standards._documents import load_document
from conformance.standards.loader import (
    MANIFEST,
    STANDARDS_PATH_ENV,
    StandardsRepository,
    StandardsSource,
    content_digest,
    load_standard,
    parse_ref,
    set_bundle_opener,
    source_of,
)

__all__ = [
    "STANDARDS_TRUST_ENV",
    "BundleError",
    "OpenedBundle",
    "open_bundle",
    "pack",
    "resolve_standards",
]

FORMAT = "gov-conformance-standards-bundle"
FORMAT_VERSION = 1
STANDARDS_TRUST_ENV = "CONFORMANCE_STANDARDS_TRUST"
# Bounds on what a bundle may hold (a standard is a few hundred KiB; these are generous).
MAX_BUNDLE_BYTES = 64 * 1024 * 1024  # the file as stored (compressed)
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # the JSON after decompression
MAX_STANDARDS = 1000
MAX_FILES = 10_000  # in the whole bundle
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PATH_CHARS = 512
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$")


class BundleError(ConformanceError, ValueError):
    """A standards bundle that cannot be read, or is refused (tampered, untrusted, too big)."""


@dataclass(frozen=True)
class OpenedBundle:
    """A verified bundle, unpacked into ``folder`` (``<id>/<version>/`` folders)."""

    path: Path
    folder: Path
    refs: tuple[str, ...]
    payload_digest: str
    signer: str | None  # the key id that signed it, if signed

    def describe(self) -> str:
        signed = f"signed by key {self.signer}" if self.signer else "unsigned"
        return f"{self.payload_digest[:19]}…, {signed}"


# ------------------------------------------------------------------------------------ pack


def _versions_to_pack(refs: Sequence[str], repository: StandardsRepository) -> list[str]:
    """The versions named, and the bases of the profiles among them, each once, bases first."""
    ordered: list[str] = []

    def add(ref: str, chain: tuple[str, ...]) -> None:
        if ref in ordered:
            return
        if ref in chain:
            raise UsageError(f"standard={ref!r} extends itself through {' -> '.join(chain)}")
        standard = load_standard(repository.folder(ref))
        if standard.extends:
            add(standard.extends, (*chain, ref))
        ordered.append(ref)

    for ref in refs:
        parse_ref(ref)
        add(ref, ())
    return ordered


def _files(folder: Path) -> list[dict[str, Any]]:
    entries = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        if path.is_symlink():
            raise UsageError(f"{path}: symbolic links are not allowed in a standard version")
        if not path.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        if not all(_SEGMENT.match(segment) for segment in relative.split("/")):
            raise UsageError(
                f"{path}: a bundle takes plain file names (letters, digits, _ . @ + -), "
                f"not {relative!r}"
            )
        data = path.read_bytes()
        entries.append(
            {
                "path": relative,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "content": base64.b64encode(data).decode("ascii"),
            }
        )
    return entries


def _payload_digest(payload: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(payload)).hexdigest()


def pack(
    refs: Sequence[str],
    out: Path,
    *,
    repository: StandardsRepository | None = None,
    key: Path | None = None,
    passphrase_env: str | None = None,
) -> OpenedBundle:
    """Write the bundle of ``refs`` (and their profiles' bases) to ``out``; never overwrite.

    The same versions give the same bytes (no time stamp): a bundle can be rebuilt and compared.
    """
    if out.exists():
        raise UsageError(f"{out}: already exists; refusing to overwrite it")
    repository = repository or StandardsRepository()
    standards: list[dict[str, Any]] = []
    for ref in _versions_to_pack(refs, repository):
        folder = repository.folder(ref)
        standard = load_standard(folder)
        if standard.folder != folder.resolve():  # a profile's effective folder is a copy
            folder = standard.manifest_path.parent
        standards.append({"ref": ref, "digest": standard.digest, "files": _files(folder)})
    payload = {"standards": standards}
    envelope: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_by": f"gov-conformance {__version__}",
        "payload": payload,
        "payload_digest": _payload_digest(payload),
    }
    signer = None
    if key is not None:
        private = load_private_key(key, passphrase_env)
        signer = key_id(private.public_key())
        signature = private.sign(canonical_json(envelope))
        envelope["signature"] = {
            "algorithm": "Ed25519",
            "key_id": signer,
            "value": base64.b64encode(signature).decode("ascii"),
        }
    data = gzip.compress(canonical_json(envelope), compresslevel=9, mtime=0)
    if len(data) > MAX_BUNDLE_BYTES:
        raise UsageError(f"the bundle would be {len(data)} bytes; at most {MAX_BUNDLE_BYTES}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    refs_packed = tuple(s["ref"] for s in standards)
    return OpenedBundle(out, out, refs_packed, envelope["payload_digest"], signer)


# ------------------------------------------------------------------------------------ open


def _refuse(path: Path, reason: str) -> BundleError:
    return BundleError(f"standards bundle refused: {reason}", Location(path))


def _read_bounded(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise _refuse(path, f"size={size} bytes; at most {MAX_BUNDLE_BYTES}")
        with path.open("rb") as raw:
            packed = raw.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        raise BundleError(f"cannot read the bundle: {exc.strerror}", Location(path)) from None
    if len(packed) > MAX_BUNDLE_BYTES:
        raise _refuse(path, f"more than {MAX_BUNDLE_BYTES} bytes")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(packed)) as stream:
            data = stream.read(MAX_UNPACKED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise _refuse(path, f"not a gzip'd bundle ({exc})") from None
    if len(data) > MAX_UNPACKED_BYTES:
        raise _refuse(path, f"decompresses to more than {MAX_UNPACKED_BYTES} bytes")
    return data


def _envelope(path: Path, data: bytes) -> dict[str, Any]:
    try:
        envelope = parse_strict(data.decode("utf-8"))
    except (UnicodeDecodeError, CanonicalError, ValueError) as exc:
        raise _refuse(path, f"not a bundle's JSON ({exc})") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise _refuse(path, f"not a standards bundle (expected format={FORMAT!r})")
    version = envelope.get("format_version")
    if version != FORMAT_VERSION:
        raise _refuse(
            path, f"format_version={version!r}; this suite reads version {FORMAT_VERSION}"
        )
    allowed = {"format", "format_version", "created_by", "payload", "payload_digest", "signature"}
    unknown = sorted(set(envelope) - allowed)
    if unknown:
        raise _refuse(path, f"unknown field(s) {', '.join(unknown)}")
    return envelope


def _safe_path(path: Path, text: Any) -> str:
    """A member's path: relative, POSIX, inside its version folder, of plain segments."""
    if not isinstance(text, str) or not 0 < len(text) <= MAX_PATH_CHARS:
        raise _refuse(path, f"member path={text!r}: expected a relative path")
    segments = text.split("/")
    if any(s in ("", ".", "..") or not _SEGMENT.match(s) for s in segments):
        raise _refuse(path, f"member path={text!r} leaves its folder or is not a plain path")
    return text


def _check_payload(path: Path, envelope: dict[str, Any]) -> list[dict[str, Any]]:
    payload = envelope.get("payload")
    standards = payload.get("standards") if isinstance(payload, dict) else None
    if not isinstance(standards, list) or not standards:
        raise _refuse(path, "no standards in the bundle")
    if len(standards) > MAX_STANDARDS:
        raise _refuse(path, f"{len(standards)} standard versions; at most {MAX_STANDARDS}")
    if sum(len(s.get("files") or []) for s in standards if isinstance(s, dict)) > MAX_FILES:
        raise _refuse(path, f"more than {MAX_FILES} files")
    declared = envelope.get("payload_digest")
    if declared != _payload_digest(payload):
        raise _refuse(path, f"payload digest differs from payload_digest={declared!r} (tampered)")
    seen: set[str] = set()
    for index, standard in enumerate(standards):
        where = f"standards[{index}]"
        if not isinstance(standard, dict) or not isinstance(standard.get("files"), list):
            raise _refuse(path, f"{where}: expected a ref, a digest and files")
        ref = standard.get("ref")
        try:
            parse_ref(str(ref))
        except UsageError:
            raise _refuse(path, f"{where}: ref={ref!r} is not ID@VERSION") from None
        if ref in seen:
            raise _refuse(path, f"{where}: ref={ref!r} twice")
        seen.add(str(ref))
        names: set[str] = set()
        for file in standard["files"]:
            if not isinstance(file, dict):
                raise _refuse(path, f"{ref}: a member is not an object")
            name = _safe_path(path, file.get("path"))
            if name in names or any(n.startswith(name + "/") or name.startswith(n + "/")
                                    for n in names):  # fmt: skip
                raise _refuse(path, f"{ref}: member path={name!r} twice, or as file and folder")
            names.add(name)
            size = file.get("size")
            if not isinstance(size, int) or not 0 <= size <= MAX_FILE_BYTES:
                raise _refuse(path, f"{ref}/{name}: size={size!r}; at most {MAX_FILE_BYTES}")
    return standards


def _check_signature(path: Path, envelope: dict[str, Any], trusted: dict[str, Any]) -> str | None:
    signature = envelope.get("signature")
    if signature is None:
        if trusted:
            raise _refuse(path, "not signed, but --trust keys were given (signature stripped?)")
        return None
    if not isinstance(signature, dict) or signature.get("algorithm") != "Ed25519":
        raise _refuse(path, "signature: expected an Ed25519 signature object")
    signer = str(signature.get("key_id"))
    if not trusted:
        raise _refuse(
            path,
            f"signed by key_id={signer}; give its public key with --trust PUB "
            f"(or ${STANDARDS_TRUST_ENV}) to verify it",
        )
    key = trusted.get(signer)
    if key is None:
        raise _refuse(path, f"signed by key_id={signer}, not one of the trusted keys")
    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    try:
        key.verify(base64.b64decode(str(signature.get("value")), validate=True),
                   canonical_json(unsigned))  # fmt: skip
    except (InvalidSignature, binascii.Error, ValueError):
        raise _refuse(path, f"signature does not verify with key_id={signer} (tampered)") from None
    return signer


def _unpack(path: Path, standards: list[dict[str, Any]], root: Path) -> None:
    total = 0
    for standard in standards:
        standard_id, version = parse_ref(standard["ref"])
        folder = root / standard_id / version
        folder.mkdir(parents=True)
        for file in standard["files"]:
            try:
                data = base64.b64decode(str(file.get("content")), validate=True)
            except (binascii.Error, ValueError):
                raise _refuse(path, f"{standard['ref']}/{file['path']}: not base64") from None
            total += len(data)
            if total > MAX_UNPACKED_BYTES:
                raise _refuse(path, f"more than {MAX_UNPACKED_BYTES} bytes unpacked")
            if len(data) != file["size"] or hashlib.sha256(data).hexdigest() != file.get("sha256"):
                raise _refuse(
                    path, f"{standard['ref']}/{file['path']}: size or sha256 differs (tampered)"
                )
            target = folder / file["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.resolve().is_relative_to(folder.resolve()):  # belt and braces
                raise _refuse(path, f"member path={file['path']!r} leaves its folder")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(target, flags, 0o444), "wb") as out:
                out.write(data)
    declared = {str(standard["ref"]): standard.get("digest") for standard in standards}
    digests: dict[str, str] = {}

    def digest_of(ref: str, chain: tuple[str, ...]) -> str:
        # A profile's digest seals its base's (see content_digest), so bases come first.
        if ref in digests:
            return digests[ref]
        if ref not in declared:
            raise _refuse(path, f"{chain[-1]} extends {ref}, which the bundle does not carry")
        if ref in chain:
            raise _refuse(path, f"{ref} extends itself through {' -> '.join((*chain, ref))}")
        standard_id, version = parse_ref(ref)
        folder = root / standard_id / version
        manifest = load_document(folder / MANIFEST).data
        extends = manifest.get("extends") if isinstance(manifest, dict) else None
        base = digest_of(str(extends), (*chain, ref)) if extends else None
        digest = content_digest(folder, manifest, base_digest=base)
        if digest != declared[ref]:
            raise _refuse(path, f"{ref}: content digest {digest} differs from the declared one")
        digests[ref] = digest
        return digest

    for ref in declared:
        digest_of(ref, ())


_opened: dict[tuple[str, str, frozenset[str]], OpenedBundle] = {}
_scratch: Path | None = None


def _scratch_root() -> Path:
    global _scratch
    if _scratch is None:
        _scratch = Path(tempfile.mkdtemp(prefix="conformance-bundles-"))
        atexit.register(shutil.rmtree, _scratch, True)
    return _scratch


_trust_given: list[Path] | None = None  # --trust of this command, for every bundle it opens


def _trusted(trust: Sequence[Path] | None) -> dict[str, Any]:
    if trust is None:
        trust = _trust_given
    if trust is None:
        trust = [Path(p) for p in os.environ.get(STANDARDS_TRUST_ENV, "").split(os.pathsep) if p]
    return dict(load_trusted_keys(list(trust)))


def open_bundle(path: Path, trust: Sequence[Path] | None = None) -> OpenedBundle:
    """Check ``path`` and unpack it into a private folder (removed at exit).

    ``trust``: public keys (files or folders of ``*.pub.pem``); None: the command's
    ``--trust`` keys, else ``$CONFORMANCE_STANDARDS_TRUST``. The same bytes with the same keys
    are unpacked once per process.
    """
    data = _read_bounded(path)
    trusted = _trusted(trust)
    memo = (hashlib.sha256(data).hexdigest(), str(path.resolve()), frozenset(trusted))
    if memo in _opened:
        return _opened[memo]
    envelope = _envelope(path, data)
    standards = _check_payload(path, envelope)
    signer = _check_signature(path, envelope, trusted)
    root = Path(tempfile.mkdtemp(prefix="bundle-", dir=_scratch_root()))
    _unpack(path, standards, root)
    opened = OpenedBundle(
        path.resolve(),
        root,
        tuple(s["ref"] for s in standards),
        str(envelope["payload_digest"]),
        signer,
    )
    _opened[memo] = opened
    return opened


def _open_source(path: Path, origin: str) -> StandardsSource:
    opened = open_bundle(path)
    return StandardsSource(opened.folder, origin, str(path), opened.describe())


def resolve_standards(
    given: Sequence[str | Path], trust: Sequence[str | Path] = ()
) -> list[StandardsSource] | None:
    """The sources of ``--standards`` values (folders or bundles); None when none was given
    (the default lookup order then applies).

    ``trust`` (``--trust``) checks every bundle this command opens, given or from
    ``$CONFORMANCE_STANDARDS_PATH``; without it, ``$CONFORMANCE_STANDARDS_TRUST`` does.
    ``--trust`` when no bundle is in sight is a usage error: it would verify nothing.
    """
    global _trust_given
    _trust_given = [Path(k) for k in trust] or None  # this command's, not an earlier one's
    if trust:
        env = [Path(p) for p in os.environ.get(STANDARDS_PATH_ENV, "").split(os.pathsep) if p]
        if not any(Path(p).is_file() for p in [*given, *([] if given else env)]):
            raise UsageError("--trust is for a signed standards bundle; no bundle was given")
    if not given:
        return None
    return [source_of(Path(p), "option") for p in given]


set_bundle_opener(_open_source)
