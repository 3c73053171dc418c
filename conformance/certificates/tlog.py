"""The transparency log: every issued document and every revocation, append-only.

One JSON Lines file (by default ``reports/transparency-log.jsonl``, beside the registry).
Each append writes two lines:

- ``{"entry": {"index", "kind", "logged_at", "data"}}``: ``kind`` is ``certificate``,
  ``failure-record`` or ``revocation``; ``data`` is the signed document (without its
  ``transparency`` block) or the revocation.  The Merkle leaf is the canonical JSON of the
  entry object;
- ``{"tree_head": {"log_id", "size", "root", "timestamp", "signature"}}``: the signed tree
  head after the append.  The signature (Ed25519, by the log key) covers the canonical JSON of
  the head without its signature, with ``"type": "conformance-tree-head/v1"``.

The tree is RFC 6962/9162's (:mod:`conformance.certificates.merkle`).  A certificate carries
its entry's index, its inclusion proof and the tree head, so a gate verifies it offline; a
consistency proof between two tree heads shows the log was only appended to, and two signed
heads of one size with different roots are a fork.  Removing, reordering or editing an entry
changes the roots the signed heads recorded, so :meth:`TransparencyLog.verify` finds it.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.certificates._canonical import CanonicalError, canonical_json, parse_strict
from conformance.certificates.keys import key_id
from conformance.certificates.merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    roots_by_size,
    verify_consistency,
    verify_inclusion,
)
from conformance.errors import ConformanceError, Location

__all__ = [
    "DEFAULT_LOG",
    "LogEntry",
    "LogError",
    "LogIntegrityError",
    "TransparencyLog",
    "TreeHead",
    "check_consistency",
    "verify_logged_document",
]

DEFAULT_LOG = Path("reports") / "transparency-log.jsonl"
HEAD_TYPE = "conformance-tree-head/v1"
KINDS = ("certificate", "failure-record", "revocation")
MAX_LOG_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 8 * 1024 * 1024


class LogError(ConformanceError, ValueError):
    """The log file cannot be used (missing, unreadable, or the wrong kind of file)."""


class LogIntegrityError(LogError):
    """The log, a tree head or a proof does not show what it claims (``conformance log``
    reports it as a finding, exit 1; a command that cannot go on exits 2)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TreeHead:
    log_id: str
    size: int
    root: str  # hex
    timestamp: str
    signature: str = ""  # base64 Ed25519

    def signed_bytes(self) -> bytes:
        return canonical_json(
            {
                "type": HEAD_TYPE,
                "log_id": self.log_id,
                "size": self.size,
                "root": self.root,
                "timestamp": self.timestamp,
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "log_id": self.log_id,
            "size": self.size,
            "root": self.root,
            "timestamp": self.timestamp,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Any, where: Location) -> TreeHead:
        fields = {"log_id": str, "size": int, "root": str, "timestamp": str, "signature": str}
        if not isinstance(data, dict) or set(data) != set(fields):
            raise LogIntegrityError(
                f"a tree head needs exactly the fields {', '.join(sorted(fields))}", where
            )
        for name, kind in fields.items():
            if not isinstance(data[name], kind) or isinstance(data[name], bool):
                raise LogIntegrityError(
                    f"tree head {name}={data[name]!r}: not a {kind.__name__}", where
                )
        if data["size"] < 0 or len(data["root"]) != 64:
            raise LogIntegrityError("tree head size or root out of range", where)
        return cls(**data)

    def sign(self, key: Ed25519PrivateKey) -> TreeHead:
        unsigned = TreeHead(key_id(key.public_key()), self.size, self.root, self.timestamp)
        value = base64.b64encode(key.sign(unsigned.signed_bytes())).decode("ascii")
        return TreeHead(unsigned.log_id, self.size, self.root, self.timestamp, value)

    def check(self, trusted: Mapping[str, Ed25519PublicKey], where: Location) -> None:
        """The head is signed by the trusted log key it names."""
        key = trusted.get(self.log_id)
        if key is None:
            raise LogIntegrityError(
                f"tree head of size {self.size} is signed by log key {self.log_id}, which is "
                f"not among the {len(trusted)} trusted log key(s)",
                where,
            )
        try:
            raw = base64.b64decode(self.signature, validate=True)
            if base64.b64encode(raw).decode("ascii") != self.signature:
                raise InvalidSignature("non-canonical base64")
            key.verify(raw, self.signed_bytes())
        except (InvalidSignature, binascii.Error, ValueError):
            raise LogIntegrityError(
                f"the signature of the tree head of size {self.size} does not verify", where
            ) from None


@dataclass(frozen=True)
class LogEntry:
    index: int
    kind: str
    logged_at: str
    data: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "logged_at": self.logged_at,
            "data": dict(self.data),
        }

    def leaf(self) -> bytes:
        return leaf_hash(canonical_json(self.as_dict()))

    @classmethod
    def from_dict(cls, data: Any, where: Location) -> LogEntry:
        if (
            not isinstance(data, dict)
            or set(data) != {"index", "kind", "logged_at", "data"}
            or not isinstance(data["index"], int)
            or data["kind"] not in KINDS
            or not isinstance(data["logged_at"], str)
            or not isinstance(data["data"], dict)
        ):
            raise LogIntegrityError(
                "an entry needs exactly index (integer), kind (certificate, failure-record or "
                "revocation), logged_at and data (object)",
                where,
            )
        return cls(data["index"], data["kind"], data["logged_at"], data["data"])


@dataclass
class LogState:
    entries: list[LogEntry] = field(default_factory=list)
    heads: list[tuple[TreeHead, int]] = field(default_factory=list)  # (head, line)
    entry_lines: list[int] = field(default_factory=list)

    @property
    def leaves(self) -> list[bytes]:
        return [e.leaf() for e in self.entries]


def _lines(handle: IO[bytes], path: Path) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(handle, start=1):
        if len(raw) > MAX_LINE_BYTES:
            raise LogIntegrityError(
                f"line of {len(raw)} bytes; expected under {MAX_LINE_BYTES}", Location(path, number)
            )
        if not raw.strip():
            continue
        try:
            yield number, parse_strict(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, CanonicalError) as exc:
            raise LogIntegrityError(f"not a JSON line: {exc}", Location(path, number)) from None


class TransparencyLog:
    """The log file; every method reads it afresh (appends hold an exclusive lock)."""

    def __init__(self, path: Path = DEFAULT_LOG) -> None:
        self.path = path

    def _parse(self, handle: IO[bytes]) -> LogState:
        state = LogState()
        for number, item in _lines(handle, self.path):
            where = Location(self.path, number)
            if isinstance(item, dict) and set(item) == {"entry"}:
                entry = LogEntry.from_dict(item["entry"], where)
                if entry.index != len(state.entries):
                    raise LogIntegrityError(
                        f"entry index={entry.index} at position {len(state.entries)}: an entry "
                        "was removed, reordered or inserted",
                        where,
                    )
                state.entries.append(entry)
                state.entry_lines.append(number)
            elif isinstance(item, dict) and set(item) == {"tree_head"}:
                state.heads.append((TreeHead.from_dict(item["tree_head"], where), number))
            else:
                raise LogIntegrityError(
                    'expected {"entry": ...} or {"tree_head": ...} on each line', where
                )
        return state

    def read(self) -> LogState:
        try:
            size = self.path.stat().st_size
            if size > MAX_LOG_BYTES:
                raise LogError(
                    f"size={size} bytes; expected a log under {MAX_LOG_BYTES}", Location(self.path)
                )
            with self.path.open("rb") as handle:
                return self._parse(handle)
        except FileNotFoundError:
            raise LogError("no transparency log here", Location(self.path)) from None
        except IsADirectoryError:
            raise LogError("expected a log file, found a directory", Location(self.path)) from None

    def verify(self, trusted: Mapping[str, Ed25519PublicKey]) -> LogState:
        """Every head signed by a trusted key, its root that of the entries before it, sizes
        never shrinking: an entry edited, removed or reordered, or a fork, is refused."""
        state = self.read()
        self._verify_state(state, trusted)
        return state

    def _verify_state(self, state: LogState, trusted: Mapping[str, Ed25519PublicKey]) -> None:
        roots = roots_by_size(state.leaves)
        previous: TreeHead | None = None
        for head, line in state.heads:
            where = Location(self.path, line)
            head.check(trusted, where)
            if head.size >= len(roots):
                raise LogIntegrityError(
                    f"tree head of size {head.size}, but the log holds {len(roots) - 1} "
                    "entries: entries were removed",
                    where,
                )
            actual = roots[head.size].hex()
            if actual != head.root:
                raise LogIntegrityError(
                    f"tree head of size {head.size} records root {head.root}, but the entries "
                    f"give {actual}: an entry was changed, removed or reordered",
                    where,
                )
            if previous is not None and head.size < previous.size:
                raise LogIntegrityError(
                    f"tree head of size {head.size} after one of size {previous.size}: a log "
                    "only grows",
                    where,
                )
            previous = head
        if state.entries and (previous is None or previous.size != len(state.entries)):
            raise LogIntegrityError(
                f"{len(state.entries)} entries but the last signed tree head covers "
                f"{previous.size if previous else 0}: entries without a signed head",
                Location(self.path, state.entry_lines[-1]),
            )

    def append(
        self, kind: str, data: Mapping[str, Any], key: Ed25519PrivateKey
    ) -> tuple[LogEntry, TreeHead, list[bytes]]:
        """Append one entry and its signed tree head; refuse to extend a log that does not
        verify under KEY.  Returns the entry, the new head and the entry's inclusion proof."""
        if kind not in KINDS:
            raise LogError(f"kind={kind!r}; expected one of {', '.join(KINDS)}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            state = self._parse(handle)
            trusted = {key_id(key.public_key()): key.public_key()}
            if state.entries or state.heads:
                # the file is re-read under the lock: check it before adding to it
                self._check_state(state, trusted)
            entry = LogEntry(len(state.entries), kind, _now(), dict(data))
            leaves = [*state.leaves, entry.leaf()]
            head = TreeHead("", len(leaves), root_hash(leaves).hex(), entry.logged_at).sign(key)
            lines = (
                json.dumps({"entry": entry.as_dict()}, ensure_ascii=False, sort_keys=True)
                + "\n"
                + json.dumps({"tree_head": head.as_dict()}, sort_keys=True)
                + "\n"
            )
            handle.seek(0, os.SEEK_END)
            handle.write(lines.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        return entry, head, inclusion_proof(entry.index, leaves)

    def _check_state(self, state: LogState, trusted: Mapping[str, Ed25519PublicKey]) -> None:
        if state.heads and state.heads[-1][0].log_id not in trusted:
            raise LogIntegrityError(
                f"the log is signed by log key {state.heads[-1][0].log_id}, not by the key "
                f"given ({', '.join(trusted)}); give the log's own key",
                Location(self.path, state.heads[-1][1]),
            )
        try:
            self._verify_state(state, trusted)
        except LogIntegrityError as exc:
            raise LogIntegrityError(
                f"refusing to extend a log that does not verify: {exc.message}", exc.location
            ) from None

    def head(self) -> TreeHead:
        state = self.read()
        if not state.heads:
            raise LogError("the log has no signed tree head yet", Location(self.path))
        return state.heads[-1][0]


def transparency_block(entry: LogEntry, head: TreeHead, proof: list[bytes]) -> dict[str, Any]:
    """What a certificate carries about its log entry (beside its signed payload)."""
    return {
        "index": entry.index,
        "kind": entry.kind,
        "logged_at": entry.logged_at,
        "inclusion_proof": [p.hex() for p in proof],
        "tree_head": head.as_dict(),
    }


def _hashes(items: list[str]) -> list[bytes]:
    try:
        return [bytes.fromhex(x) for x in items]
    except ValueError:
        raise ProofError("a proof hash is not hex") from None


def verify_logged_document(
    document: Mapping[str, Any], trusted: Mapping[str, Ed25519PublicKey]
) -> TreeHead:
    """Offline: the document's entry is in the tree its signed head describes.

    Raises LogIntegrityError (not logged, untrusted head, bad proof); returns the head."""
    block = document.get("transparency")
    where = Location("transparency")
    if not isinstance(block, dict):
        raise LogIntegrityError(
            "not logged: the document carries no inclusion proof (a rogue or unlogged issue)",
            where,
        )
    head = TreeHead.from_dict(block.get("tree_head"), where)
    head.check(trusted, where)
    data = {k: v for k, v in document.items() if k != "transparency"}
    entry = LogEntry.from_dict(
        {**{k: block.get(k) for k in ("index", "kind", "logged_at")}, "data": data}, where
    )
    if not isinstance(block.get("inclusion_proof"), list):
        raise LogIntegrityError("inclusion_proof: expected a list of hex hashes", where)
    try:
        verify_inclusion(
            entry.index,
            head.size,
            entry.leaf(),
            _hashes(block["inclusion_proof"]),
            bytes.fromhex(head.root),
        )
    except (ProofError, TypeError) as exc:
        raise LogIntegrityError(f"the inclusion proof fails: {exc}", where) from None
    return head


def check_consistency(
    old: TreeHead,
    new: TreeHead,
    log: TransparencyLog | None = None,
    proof: list[bytes] | None = None,
) -> None:
    """Tree ``old`` is a prefix of tree ``new``: with the proof given, or one made from LOG.

    Two heads of one size with different roots are a fork, whatever the proof."""
    if old.size > new.size:
        old, new = new, old
    if proof is None:
        if old.size == new.size:
            proof = []
        else:
            if log is None:
                raise LogError("a consistency proof or the log is needed")
            state = log.read()
            if new.size > len(state.entries):
                raise LogIntegrityError(
                    f"tree head of size {new.size}, but the log holds {len(state.entries)} entries",
                    Location(log.path),
                )
            proof = consistency_proof(old.size, state.leaves[: new.size])
    try:
        verify_consistency(
            old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), proof
        )
    except (ProofError, ValueError) as exc:
        raise LogIntegrityError(
            f"tree heads of sizes {old.size} and {new.size} are not consistent: {exc}",
            Location(log.path if log else "tree heads"),
        ) from None
