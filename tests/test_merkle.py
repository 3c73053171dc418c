"""The RFC 6962 / RFC 9162 Merkle tree against Certificate Transparency's reference vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.certificates.merkle import (
    ProofError,
    consistency_proof,
    empty_root,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    roots_by_size,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "merkle" / "rfc6962-vectors.json").read_text("utf-8")
)
LEAVES = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]


def _hashes(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in items]


def test_prefixes_separate_leaves_from_nodes() -> None:
    assert empty_root().hex() == VECTORS["roots"][0]
    # the hash of an empty leaf is not the empty tree's root
    assert (
        leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert node_hash(LEAVES[0], LEAVES[1]) != leaf_hash(LEAVES[0] + LEAVES[1])


def test_roots_of_every_prefix_at_once_equal_the_recursive_definition() -> None:
    assert roots_by_size(LEAVES) == ROOTS
    leaves = [leaf_hash(str(n).encode()) for n in range(70)]
    assert roots_by_size(leaves) == [root_hash(leaves[:n]) for n in range(71)]


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_prefix_equals_the_reference(size: int) -> None:
    assert root_hash(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: f"{v['index']}of{v['size']}")
def test_inclusion_proofs_equal_the_reference_and_verify(vector: dict[str, Any]) -> None:
    index, size, proof = vector["index"], vector["size"], _hashes(vector["proof"])
    assert inclusion_proof(index, LEAVES[:size]) == proof
    verify_inclusion(index, size, LEAVES[index], proof, ROOTS[size])


@pytest.mark.parametrize(
    "vector", VECTORS["consistency"], ids=lambda v: f"{v['size1']}to{v['size2']}"
)
def test_consistency_proofs_equal_the_reference_and_verify(vector: dict[str, Any]) -> None:
    size1, size2, proof = vector["size1"], vector["size2"], _hashes(vector["proof"])
    assert consistency_proof(size1, LEAVES[:size2]) == proof
    verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], proof)


def _inclusion_corruptions(index: int, size: int, proof: list[bytes]) -> list[tuple[Any, ...]]:
    """The corruptions the reference probes apply: (index, size, leaf, proof, root)."""
    leaf, root = LEAVES[index], ROOTS[size]
    cases: list[tuple[Any, ...]] = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, leaf_hash(b"WrongLeaf"), proof, root),
        (index, size, leaf, proof, empty_root()),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [root, *proof], root),
    ]
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = bytes([flipped[position][0] ^ 8]) + flipped[position][1:]
        cases.append((index, size, leaf, flipped, root))
    if proof:
        cases.append((index, size, leaf, proof[:-1], root))
    return cases


def test_every_corrupted_inclusion_proof_is_refused() -> None:
    refused = 0
    for vector in VECTORS["inclusion"]:
        proof = _hashes(vector["proof"])
        for index, size, leaf, bad, root in _inclusion_corruptions(
            vector["index"], vector["size"], proof
        ):
            with pytest.raises(ProofError):
                verify_inclusion(index, size, leaf, bad, root)
            refused += 1
    assert refused == 5 * 9 + 10 + 4  # nine each, a flip per proof hash, four truncations


def test_every_corrupted_consistency_proof_is_refused() -> None:
    """The reference probes' corruptions of each consistency vector (sizes that differ)."""
    refused = 0
    for vector in VECTORS["consistency"]:
        size1, size2, proof = vector["size1"], vector["size2"], _hashes(vector["proof"])
        if size1 == size2:
            continue
        root1, root2 = ROOTS[size1], ROOTS[size2]
        cases: list[tuple[Any, ...]] = [
            (size1 ^ 2, size2, root1, root2, proof),
            (size1 + 1, size2, root1, root2, proof),
            (size1 - 1, size2, root1, root2, proof),
            (size1, size2 // 2, root1, root2, proof),
            (size1, size2 * 2, root1, root2, proof),
            (size1, size2, root2, root1, proof),
            (size1, size2, empty_root(), root2, proof),
            (size1, size2, root1, empty_root(), proof),
            (size1, size2, root1, root2, [*proof, b""]),
            (size1, size2, root1, root2, [*proof, root1]),
            (size1, size2, root1, root2, [*proof, root2]),
            (size1, size2, root1, root2, [b"", *proof]),
            (size1, size2, root1, root2, [root1, *proof]),
            (size1, size2, root1, root2, [root2, *proof]),
            (size1, size2, root1, root2, [proof[0], *proof]),
            (size1, size2, root1, root2, proof[:-1]),
            (size1, size2, root1, root2, []),
        ]
        for position in range(len(proof)):
            flipped = list(proof)
            flipped[position] = bytes([flipped[position][0] ^ 16]) + flipped[position][1:]
            cases.append((size1, size2, root1, root2, flipped))
        for case in cases:
            with pytest.raises(ProofError):
                verify_consistency(*case)
            refused += 1
    assert refused == 4 * 17 + 11  # four vectors, 11 proof hashes among them


def test_generated_proofs_verify_for_every_index_and_size_up_to_40() -> None:
    leaves = [leaf_hash(str(n).encode()) for n in range(40)]
    roots = [root_hash(leaves[:n]) for n in range(41)]
    for size in range(1, 41):
        for index in range(size):
            verify_inclusion(
                index, size, leaves[index], inclusion_proof(index, leaves[:size]), roots[size]
            )
        for size1 in range(size + 1):
            verify_consistency(
                size1, size, roots[size1], roots[size], consistency_proof(size1, leaves[:size])
            )


def test_a_fork_of_the_same_size_is_named() -> None:
    with pytest.raises(ProofError, match="forked log"):
        verify_consistency(8, 8, ROOTS[8], ROOTS[7], [])
