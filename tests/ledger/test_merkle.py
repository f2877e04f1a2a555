"""RFC 9162 Merkle tree: the published vectors, then exhaustive checks on small trees."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from ledger.merkle import (
    EMPTY_ROOT,
    append_leaf,
    consistency_nodes,
    consistency_proof,
    frontier_nodes,
    inclusion_nodes,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hash,
    range_nodes,
    root_from_frontier,
    root_of,
    verify_consistency,
    verify_inclusion,
)

pytestmark = pytest.mark.article(24)

VECTORS = json.loads((Path(__file__).parents[1] / "data" / "rfc6962-vectors.json").read_text())


def _unhex_all(values: list[str] | None) -> list[bytes]:
    return [bytes.fromhex(v) for v in values or []]


class Store:
    """In-memory stand-in for the database's node table, built only through append_leaf."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.frontier: list[bytes] = []
        self.roots = [EMPTY_ROOT]  # roots[n] = root after n leaves
        for size, leaf in enumerate(leaves):
            self.frontier, new = append_leaf(self.frontier, size, leaf)
            for level, index, value in new:
                assert (level, index) not in self.nodes, "a stored node is never rewritten"
                self.nodes[(level, index)] = value
            self.roots.append(root_from_frontier(self.frontier))
        self.reads: list[tuple[int, int]] = []

    def get(self, level: int, index: int) -> bytes:
        self.reads.append((level, index))
        return self.nodes[(level, index)]


VECTOR_LEAVES = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaf_inputs_hex"]]
VECTOR_STORE = Store(VECTOR_LEAVES)
LEAVES = [leaf_hash(f"leaf {i}".encode()) for i in range(201)]
STORE = Store(LEAVES[:71])


# --- published vectors ----------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["hash_vectors"], ids=lambda v: v["desc"])
def test_hash_vectors(vector: dict) -> None:
    if vector["op"] == "empty_root":
        got = EMPTY_ROOT
    elif vector["op"] == "leaf":
        got = leaf_hash(bytes.fromhex(vector["input_hex"]))
    else:
        got = node_hash(bytes.fromhex(vector["left_hex"]), bytes.fromhex(vector["right_hex"]))
    assert got.hex() == vector["expected"]


@pytest.mark.parametrize("size", sorted(int(s) for s in VECTORS["root_hashes_by_size"]))
def test_vector_roots(size: int) -> None:
    expected = bytes.fromhex(VECTORS["root_hashes_by_size"][str(size)])
    assert root_of(VECTOR_LEAVES[:size]) == expected
    assert VECTOR_STORE.roots[size] == expected
    assert range_hash(0, size, VECTOR_STORE.get) == expected


def test_vector_node_hashes_match_our_layout() -> None:
    # NodeHashes in transparency-dev/merkle: [level][index] = hash of the complete subtree
    # over leaves [index * 2**level, (index + 1) * 2**level) of the 8-leaf tree: our layout.
    expected = {
        (level, index): bytes.fromhex(h)
        for level, row in enumerate(VECTORS["node_hashes_by_level"])
        for index, h in enumerate(row)
    }
    assert VECTOR_STORE.nodes == expected


@pytest.mark.parametrize(
    "probe", VECTORS["inclusion_probes"], ids=lambda p: p["file"].removeprefix("testdata/")
)
def test_inclusion_probes(probe: dict) -> None:
    ok = verify_inclusion(
        bytes.fromhex(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        _unhex_all(probe["proof"]),
        bytes.fromhex(probe["root"]),
    )
    assert ok is not probe["wantErr"]


@pytest.mark.parametrize(
    "probe", VECTORS["consistency_probes"], ids=lambda p: p["file"].removeprefix("testdata/")
)
def test_consistency_probes(probe: dict) -> None:
    ok = verify_consistency(
        probe["size1"],
        probe["size2"],
        bytes.fromhex(probe["root1"]),
        bytes.fromhex(probe["root2"]),
        _unhex_all(probe["proof"]),
    )
    assert ok is not probe["wantErr"]


def test_generators_reproduce_vector_proofs() -> None:
    """Where a happy-path probe is about the 8-leaf vector tree, our proof must be identical."""
    checked = 0
    for p in VECTORS["inclusion_probes"]:
        if p["desc"] == "happy path" and p["root"] == VECTORS["root_hashes_by_size"].get(
            str(p["treeSize"])
        ):
            got = inclusion_proof(p["leafIdx"], p["treeSize"], VECTOR_STORE.get)
            assert got == _unhex_all(p["proof"])
            checked += 1
    for p in VECTORS["consistency_probes"]:
        if p["desc"] == "happy path" and p["root2"] == VECTORS["root_hashes_by_size"].get(
            str(p["size2"])
        ):
            got = consistency_proof(p["size1"], p["size2"], VECTOR_STORE.get)
            assert got == _unhex_all(p["proof"])
            checked += 1
    assert checked >= 8


# --- appending ------------------------------------------------------------------------------


def test_frontier_root_equals_reference_root_up_to_200() -> None:
    frontier: list[bytes] = []
    assert root_from_frontier(frontier) == EMPTY_ROOT == root_of([])
    for size in range(200):
        frontier, _ = append_leaf(frontier, size, LEAVES[size])
        assert root_from_frontier(frontier) == root_of(LEAVES[: size + 1])


def test_append_returns_leaf_and_completed_parents() -> None:
    frontier, nodes = append_leaf([], 0, LEAVES[0])
    assert nodes == [(0, 0, LEAVES[0])]
    frontier, nodes = append_leaf(frontier, 1, LEAVES[1])
    assert [(level, index) for level, index, _ in nodes] == [(0, 1), (1, 0)]
    frontier, _ = append_leaf(frontier, 2, LEAVES[2])
    _, nodes = append_leaf(frontier, 3, LEAVES[3])
    assert [(level, index) for level, index, _ in nodes] == [(0, 3), (1, 1), (2, 0)]


def test_frontier_nodes_are_the_stored_frontier() -> None:
    for size in range(72):
        keys = frontier_nodes(size)
        assert [STORE.nodes[k] for k in keys] == Store(LEAVES[:size]).frontier
    assert frontier_nodes(0) == []
    assert frontier_nodes(13) == [(3, 0), (2, 2), (0, 12)]


def test_append_rejects_a_frontier_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="frontier"):
        append_leaf([], 1, LEAVES[0])


# --- generated proofs -----------------------------------------------------------------------


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    tampered = list(proof)
    tampered[i] = bytes([tampered[i][0] ^ 1]) + tampered[i][1:]
    return tampered


def test_inclusion_proofs_for_every_leaf_of_every_tree_up_to_70() -> None:
    roots = STORE.roots
    for size in range(1, 71):
        for index in range(size):
            proof = inclusion_proof(index, size, STORE.get)
            leaf = LEAVES[index]
            assert verify_inclusion(leaf, index, size, proof, roots[size])
            assert len(proof) <= math.ceil(math.log2(size))
            if proof:
                assert not verify_inclusion(
                    leaf, index, size, _flip(proof, index % len(proof)), roots[size]
                )
            if size > 1:
                other = (index + 1) % size
                assert not verify_inclusion(leaf, other, size, proof, roots[size])
            assert not verify_inclusion(leaf, index, size + 1, proof, roots[size + 1])
            if index < size - 1:
                assert not verify_inclusion(leaf, index, size - 1, proof, roots[size - 1])
            assert not verify_inclusion(LEAVES[200], index, size, proof, roots[size])


def test_consistency_proofs_for_every_pair_up_to_70() -> None:
    roots = STORE.roots
    for n in range(1, 71):
        for m in range(1, n + 1):
            proof = consistency_proof(m, n, STORE.get)
            assert verify_consistency(m, n, roots[m], roots[n], proof)
            if proof:
                assert not verify_consistency(
                    m, n, roots[m], roots[n], _flip(proof, (m + n) % len(proof))
                )
                assert not verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                assert not verify_consistency(m, n, roots[m], roots[n], [*proof, proof[0]])
            assert not verify_consistency(m, n + 1, roots[m], roots[n + 1], proof)
            if m > 1:
                assert not verify_consistency(m - 1, n, roots[m - 1], roots[n], proof)
            if m < n:
                assert not verify_consistency(m + 1, n, roots[m + 1], roots[n], proof)
                assert not verify_consistency(m, n, roots[m], roots[n - 1], proof)


def test_generators_reject_bad_arguments() -> None:
    for index, size in [(0, 0), (5, 5), (-1, 3)]:
        with pytest.raises(ValueError, match="outside"):
            inclusion_proof(index, size, STORE.get)
    for m, n in [(0, 5), (6, 5), (-1, 2)]:
        with pytest.raises(ValueError, match="0 < m <= n"):
            consistency_proof(m, n, STORE.get)
    with pytest.raises(ValueError, match="not a subtree"):
        range_hash(1, 3, STORE.get)
    with pytest.raises(ValueError, match="invalid range"):
        range_hash(4, 3, STORE.get)


def test_range_hash_matches_reference_for_every_subtree_range() -> None:
    for lo in range(70):
        for hi in range(lo + 1, 71):
            span = 1 << (hi - lo - 1).bit_length()
            if lo % span == 0:
                assert range_hash(lo, hi, STORE.get) == root_of(LEAVES[lo:hi])


# --- the keys a proof reads -----------------------------------------------------------------


def _read_by(generate: Callable[[], object]) -> list[tuple[int, int]]:
    STORE.reads = []
    generate()
    return STORE.reads


def test_nodes_lists_are_exactly_what_the_generators_read() -> None:
    for size in range(1, 71):
        for index in range(size):
            read = _read_by(partial(inclusion_proof, index, size, STORE.get))
            assert inclusion_nodes(index, size) == read
        for m in range(1, size + 1):
            read = _read_by(partial(consistency_proof, m, size, STORE.get))
            assert consistency_nodes(m, size) == read
        assert range_nodes(0, size) == _read_by(partial(range_hash, 0, size, STORE.get))


def _is_stored_node(key: tuple[int, int], size: int) -> bool:
    level, index = key
    return level >= 0 and index >= 0 and (index + 1) << level <= size


@pytest.mark.parametrize(
    "n", [2, 3, 1000, 2**16 - 1, 2**16, 2**16 + 1, 1_000_003, 2**20 - 1, 2**20]
)
def test_proofs_read_logarithmically_many_complete_nodes(n: int) -> None:
    limit = 2 * math.log2(n) + 2
    for index in {0, 1, n // 3, n // 2, n - 2, n - 1}:
        keys = inclusion_nodes(index, n)
        assert len(keys) <= limit
        assert all(_is_stored_node(k, n) for k in keys)
    for m in {1, n // 3 + 1, n // 2 + 1, n - 1, n}:
        keys = consistency_nodes(m, n)
        assert len(keys) <= limit
        assert all(_is_stored_node(k, n) for k in keys)
    assert len(range_nodes(0, n)) == n.bit_count()
