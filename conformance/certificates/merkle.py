"""The Merkle tree of RFC 6962 / RFC 9162 (Certificate Transparency), SHA-256.

- leaf hash ``SHA-256(0x00 || entry)``; interior node ``SHA-256(0x01 || left || right)``;
- the root of ``n`` leaves splits at ``k``, the largest power of two below ``n``
  (RFC 9162 §2.1.1); the empty tree's root is ``SHA-256()``;
- an inclusion proof is the audit path of RFC 9162 §2.1.3.1 and is verified by the
  algorithm of §2.1.3.2; a consistency proof is the one of §2.1.4.1, verified by §2.1.4.2.

Proof generation works on the list of leaf hashes (a log kept in one file is small);
verification needs only the proof, the sizes and the roots, so a gate checks it offline.
Tested against the RFC 6962 reference vectors that Certificate Transparency's tests publish
(``tests/data/merkle/rfc6962-vectors.json``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "ProofError",
    "consistency_proof",
    "empty_root",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "roots_by_size",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A proof does not show what it claims (or sizes and indexes are out of range)."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    return hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, from the leaf hashes."""
    if not leaves:
        return empty_root()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_hash(leaves[:k]), root_hash(leaves[k:]))


def roots_by_size(leaves: Sequence[bytes]) -> list[bytes]:
    """The root of every prefix (index = size, 0..n) in O(n log n): the perfect subtrees of
    a prefix, folded right to left, are RFC 9162's split at the largest power of two."""
    roots = [empty_root()]
    stack: list[tuple[int, bytes]] = []  # (leaf count, hash) of perfect subtrees, left first
    for leaf in leaves:
        size, value = 1, leaf
        while stack and stack[-1][0] == size:
            left = stack.pop()[1]
            size, value = size * 2, node_hash(left, value)
        stack.append((size, value))
        root = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            root = node_hash(left, root)
        roots.append(root)
    return roots


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf ``index``."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ProofError(f"index={index} outside a tree of size {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root_hash(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root_hash(leaves[:k])]


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root_hash(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), root_hash(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root_hash(leaves[:k])]


def consistency_proof(size1: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1: tree ``size1`` is a prefix of ``leaves``."""
    n = len(leaves)
    if not 0 <= size1 <= n:
        raise ProofError(f"size1={size1} outside 0..{n}")
    if size1 in (0, n):
        return []
    return _subproof(size1, leaves, True)


def _shift_to_odd(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until fn's lowest bit is set or fn is 0 (RFC 9162 §2.1.3.2, 2.1.4.2)."""
    while True:
        fn >>= 1
        sn >>= 1
        if fn & 1 or fn == 0:
            return fn, sn


def _check_hashes(proof: Sequence[bytes]) -> None:
    for item in proof:
        if len(item) != HASH_SIZE:
            raise ProofError(f"a proof hash of {len(item)} bytes; expected {HASH_SIZE}")


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless ``leaf`` is at ``index`` under ``root``."""
    _check_hashes(proof)
    if not 0 <= index < size:
        raise ProofError(f"index={index} outside a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_to_odd(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path to the root")
    if r != root:
        raise ProofError(f"the proof leads to root {r.hex()}, the tree head says {root.hex()}")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless tree ``size1`` is a prefix of ``size2``."""
    _check_hashes(proof)
    if not 0 <= size1 <= size2:
        raise ProofError(f"size1={size1} is larger than size2={size2}")
    if size1 == size2:
        if proof:
            raise ProofError("trees of the same size need an empty proof")
        if root1 != root2:
            raise ProofError(
                f"two different roots for size {size1}: {root1.hex()} and {root2.hex()} "
                "(a forked log)"
            )
        return
    if size1 == 0:
        if proof:
            raise ProofError("an empty tree needs an empty proof")
        return
    if not proof:
        raise ProofError("an empty proof for trees of different sizes")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the first tree is a node of the second
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_to_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than needed")
    if fr != root1:
        raise ProofError(f"the proof gives the old root {fr.hex()}, expected {root1.hex()}")
    if sr != root2:
        raise ProofError(f"the proof gives the new root {sr.hex()}, expected {root2.hex()}")
