"""RFC 9162 §2.1 Merkle tree: hashes, proofs and their verification.

Why our own code: the algorithms are short, and the storage model is ours. The database keeps
the hash of every *complete, aligned* subtree as node ``(level, index)``, covering leaves
``[index * 2**level, (index + 1) * 2**level)``. Such a node never changes once written, so
appends only insert rows. Any other range hash is folded from O(log n) stored nodes.

Conventions: every "leaf" here is a leaf *hash* (``leaf_hash(data)``); proofs list hashes from
the leaf upwards, exactly as RFC 9162 and every RFC 6962 verifier expect. Generators raise
``ValueError`` on bad arguments; verifiers return ``False`` on anything wrong and never raise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

NodeKey = tuple[int, int]
"""``(level, index)`` of a stored complete subtree."""

GetNode = Callable[[int, int], bytes]
"""Returns the stored hash of complete subtree ``(level, index)``."""

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string: the root of a tree with no leaves."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d); the prefix keeps leaves and nodes apart."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference MTH(D[n]) straight from the RFC's recursive definition (for tests, small n)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


# --- appending ------------------------------------------------------------------------------


def frontier_nodes(size: int) -> list[NodeKey]:
    """Keys of the frontier of a tree of ``size`` leaves: one per set bit, highest level first.

    Why: the database loads exactly these rows to append the next leaf.
    """
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    return [
        (level, (size >> level) - 1)
        for level in range(size.bit_length() - 1, -1, -1)
        if (size >> level) & 1
    ]


def append_leaf(
    frontier: list[bytes], size: int, leaf: bytes
) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Append leaf hash ``leaf`` to a tree of ``size`` leaves given by its ``frontier``.

    Returns the new frontier and the nodes ``(level, index, hash)`` to store: the leaf at
    level 0 plus every parent the append completes. The input list is not modified.
    """
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if len(frontier) != size.bit_count():
        raise ValueError(
            f"frontier has {len(frontier)} hashes, a tree of {size} needs {size.bit_count()}"
        )
    new_frontier = list(frontier)
    new_nodes = [(0, size, leaf)]
    current, level, index = leaf, 0, size
    # Each trailing 1-bit of ``size`` is a complete sibling on the left: merge with it.
    while (size >> level) & 1:
        current = node_hash(new_frontier.pop(), current)
        level += 1
        index >>= 1
        new_nodes.append((level, index, current))
    new_frontier.append(current)
    return new_frontier, new_nodes


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """MTH of the whole tree: fold the frontier from the smallest subtree leftwards."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


# --- proof generation -----------------------------------------------------------------------


def range_hash(lo: int, hi: int, get_node: GetNode) -> bytes:
    """MTH(D[lo:hi]) read from stored complete subtrees: O(log n) reads.

    ``[lo, hi)`` must be a subtree of some RFC 9162 tree (``lo`` a multiple of the smallest
    power of two >= hi - lo; every range a proof needs is one). Then the left part of each
    split is a complete aligned node and only the right part needs further splitting.
    """
    size = hi - lo
    if lo < 0 or size < 0:
        raise ValueError(f"invalid range [{lo}, {hi})")
    if size == 0:
        return EMPTY_ROOT
    span = 1 << (size - 1).bit_length()  # smallest power of two >= size
    if lo % span:
        raise ValueError(f"range [{lo}, {hi}) is not a subtree of any Merkle tree")
    lefts: list[bytes] = []
    while not _is_power_of_two(hi - lo):  # peel off the complete left part
        k = split_point(hi - lo)
        lefts.append(get_node(k.bit_length() - 1, lo // k))
        lo += k
    size = hi - lo
    level = size.bit_length() - 1
    result = get_node(level, lo >> level)
    for left in reversed(lefts):
        result = node_hash(left, result)
    return result


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf-level sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:  # leaf on the left: the right subtree is the sibling
            path.append(range_hash(lo + k, hi, get_node))
            hi = lo + k
        else:
            path.append(range_hash(lo, lo + k, get_node))
            lo += k
    path.reverse()
    return path


def consistency_proof(m: int, n: int, get_node: GetNode) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1; empty when m == n."""
    if not 0 < m <= n:
        raise ValueError(f"consistency proof needs 0 < m <= n, got m={m}, n={n}")
    proof: list[bytes] = []
    lo, hi = 0, n
    whole_old_tree = True  # the RFC's ``b``: is D[lo:hi] still the entire old tree's prefix?
    while m != hi:
        k = split_point(hi - lo)
        if m <= lo + k:
            proof.append(range_hash(lo + k, hi, get_node))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, get_node))
            lo += k
            whole_old_tree = False
    if not whole_old_tree:
        proof.append(range_hash(lo, hi, get_node))
    proof.reverse()
    return proof


def _nodes_read(generate: Callable[[GetNode], object]) -> list[NodeKey]:
    """Run a generator with a recording getter: the keys it reads, in order, without repeats."""
    keys: dict[NodeKey, None] = {}

    def record(level: int, index: int) -> bytes:
        keys[(level, index)] = None
        return bytes(HASH_SIZE)

    generate(record)
    return list(keys)


def inclusion_nodes(index: int, size: int) -> list[NodeKey]:
    """Node keys ``inclusion_proof(index, size, ...)`` will read: fetch them in one query."""
    return _nodes_read(lambda get: inclusion_proof(index, size, get))


def consistency_nodes(m: int, n: int) -> list[NodeKey]:
    """Node keys ``consistency_proof(m, n, ...)`` will read: fetch them in one query."""
    return _nodes_read(lambda get: consistency_proof(m, n, get))


def range_nodes(lo: int, hi: int) -> list[NodeKey]:
    """Node keys ``range_hash(lo, hi, ...)`` will read (e.g. ``range_nodes(0, size)`` = root)."""
    return _nodes_read(lambda get: range_hash(lo, hi, get))


# --- proof verification ---------------------------------------------------------------------


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` put ``leaf_hash`` at ``index`` under ``root``?"""
    try:
        if not 0 <= index < size or not _is_hash(leaf_hash):
            return False
        if not all(_is_hash(p) for p in proof):
            return False
        fn, sn, r = index, size - 1, leaf_hash
        for p in proof:
            if sn == 0:  # proof longer than the path
                return False
            if fn & 1 or fn == sn:
                r = node_hash(p, r)
                while not fn & 1 and fn != 0:  # skip levels where we are the lone right edge
                    fn >>= 1
                    sn >>= 1
            else:
                r = node_hash(r, p)
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == root
    except (TypeError, ValueError):
        return False


def verify_consistency(m: int, n: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (n, root2) an append-only extension of (m, root1)?

    Edge cases follow the transparency-dev vectors: m > n fails; m == n passes only with an
    empty proof and equal roots, except m == 0, which always fails (a proof from the empty
    tree proves nothing).
    """
    try:
        if not 0 < m <= n:
            return False
        if m == n:
            return len(proof) == 0 and root1 == root2
        if not proof or not all(_is_hash(p) for p in proof):
            return False
        path = list(proof)
        if _is_power_of_two(m):  # the old root is itself a node of the new tree
            path.insert(0, root1)
        fn, sn = m - 1, n - 1
        while fn & 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                fr = node_hash(c, fr)
                sr = node_hash(c, sr)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                sr = node_hash(sr, c)
            fn >>= 1
            sn >>= 1
        return sn == 0 and fr == root1 and sr == root2
    except (TypeError, ValueError):
        return False
