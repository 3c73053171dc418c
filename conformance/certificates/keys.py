"""Ed25519 signing keys: PEM files, key ids, generation without overwriting.

A private key is PKCS#8 PEM (encrypted when a passphrase variable is given), written with
mode 0600; a public key is SubjectPublicKeyInfo PEM.  The key id is the first 32 hex digits
(128 bits) of the sha256 of the 32-byte raw public key: it names the key on certificates and
picks the trusted key at verification.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.controls import control_in
from conformance.errors import ConformanceError, Location
from conformance.redaction import register

__all__ = [
    "KeyFileError",
    "KeyPair",
    "generate_keypair",
    "key_id",
    "load_private_key",
    "load_public_key",
    "load_trusted_keys",
    "private_key_from_pem",
]

KEY_ID_HEX = 32
MAX_KEY_FILE_BYTES = 64 * 1024


class KeyFileError(ConformanceError, ValueError):
    """A key file is missing, malformed or not an Ed25519 key."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_HEX]


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise KeyFileError(
                f"file too large for a key (> {MAX_KEY_FILE_BYTES} bytes)", Location(path)
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError("key file not found", Location(path)) from None
    except IsADirectoryError:
        raise KeyFileError("expected a key file, found a directory", Location(path)) from None
    except OSError as exc:
        raise KeyFileError(f"unreadable: {exc.strerror}", Location(path)) from None


def _passphrase(env: str | None) -> bytes | None:
    if env is None:
        return None
    value = os.environ.get(env)
    if not value:
        raise KeyFileError(f"environment variable {env} is not set; expected the key's passphrase")
    register(value)  # redacted at every sink (issue 15 item 2)
    return value.encode("utf-8")


def private_key_from_pem(
    data: bytes, passphrase: bytes | None, where: Location, hint: str = "--passphrase-env"
) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM bytes; errors name ``where``, never the key's text."""
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:  # encrypted without a passphrase, or the reverse
        missing = "encrypted" in str(exc) and passphrase is None
        raise KeyFileError(
            f"cannot open the private key: {exc}" + (f" (give {hint})" if missing else ""),
            where,
        ) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(
            f"not a PEM private key or wrong passphrase: {str(exc).splitlines()[0]}", where
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(
            f"a {type(key).__name__.lstrip('_')} key; expected an Ed25519 private key", where
        )
    return key


def load_private_key(path: Path, passphrase_env: str | None = None) -> Ed25519PrivateKey:
    return private_key_from_pem(_read(path), _passphrase(passphrase_env), Location(path))


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read(path)
    if b"PRIVATE KEY" in data:
        raise KeyFileError(
            "this is a private key; trust the public key (the .pub.pem file) instead",
            Location(path),
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(
            f"not a PEM public key: {str(exc).splitlines()[0]}", Location(path)
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(
            f"a {type(key).__name__.lstrip('_')} key; expected an Ed25519 public key",
            Location(path),
        )
    return key


def load_trusted_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    """Key id -> key, from public key files or folders of them (``*.pub.pem``)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        files = sorted(path.glob("*.pub.pem")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise KeyFileError("no *.pub.pem file in this folder", Location(path))
        for file in files:
            key = load_public_key(file)
            keys[key_id(key)] = key
    return keys


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    key_id: str


def generate_keypair(folder: Path, name: str, passphrase_env: str | None = None) -> KeyPair:
    """Write NAME.key.pem (0600) and NAME.pub.pem in FOLDER; never overwrite either."""
    if not name or any(c in name for c in "/\\") or name.startswith(".") or control_in(name):
        raise KeyFileError(
            f"name={name!r}; expected a plain file name stem such as 'reviewer-2026'"
        )
    folder.mkdir(parents=True, exist_ok=True)
    private_path = folder / f"{name}.key.pem"
    public_path = folder / f"{name}.pub.pem"
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError("already exists; refusing to overwrite a key", Location(path))
    key = Ed25519PrivateKey.generate()
    passphrase = _passphrase(passphrase_env)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(public_pem)
    return KeyPair(private_path, public_path, key_id(key.public_key()))
