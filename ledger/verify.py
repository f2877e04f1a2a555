"""Offline verification of an exported ledger: no database, only the entries and checkpoints.

Why offline: an auditor must be able to check the platform without trusting its servers. The
chain check re-derives every entry hash and link; the checkpoint check proves the platform and
the witnesses signed exactly the tree those entries form. A rewrite of history that also
recomputes every hash passes the chain check but not the checkpoints.

Bundle format ``pdex-ledger-bundle/v1`` (JSON, all binary values lowercase hex)::

    {"format": "pdex-ledger-bundle/v1", "origin": "...", "platformPublicKey": "<hex>",
     "witnesses": [{"id": "auditor", "publicKey": "<hex>"}],
     "entries": [{"seq", "kind", "actor", "at", "prev", "body", "subjects", "hash"}, ...],
     "checkpoints": [{"origin", "treeSize", "rootHash", "timestamp", "signature",
                      "cosignatures": [{"witness": "auditor", "signature": "<hex>"}],
                      "aggregateSignature": "<hex>"}]}

A bundle names its own platform key: pin the key you trust with ``expected_platform_pk``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger import signing
from ledger.canonical import GENESIS_PREV, entry_document, entry_hash
from ledger.merkle import EMPTY_ROOT, append_leaf, root_from_frontier

BUNDLE_FORMAT = "pdex-ledger-bundle/v1"
ENTRY_FIELDS = ("seq", "kind", "actor", "at", "prev", "body", "subjects", "hash")


@dataclass
class ChainResult:
    """Outcome of ``verify_chain``. ``size`` and ``root`` cover the verified prefix only."""

    ok: bool
    size: int
    root: bytes
    first_bad_seq: int | None = None
    reason: str = ""
    roots: dict[int, bytes] = field(default_factory=dict)
    """Root after each size asked for in ``record_roots_at`` (within the verified prefix)."""


@dataclass
class BundleReport:
    """Outcome of ``verify_bundle``: counts of what verified, and every problem found."""

    ok: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None
    problems: list[str]


def entry_problem(entry: Any, seq: int, prev: str) -> str | None:
    """Why ``entry`` cannot be entry number ``seq`` following hash ``prev``; None if it can."""
    if not isinstance(entry, Mapping):
        return "entry is not an object"
    missing = [name for name in ENTRY_FIELDS if name not in entry]
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    found = entry["seq"]
    if isinstance(found, bool) or found != seq:
        return f"expected seq {seq}, found {found!r}"
    if entry["prev"] != prev:
        if seq == 0:
            return "prev of the first entry is not the genesis value (64 zeros)"
        return f"prev does not match the hash of entry {seq - 1}"
    try:
        doc = entry_document(**{name: entry[name] for name in ENTRY_FIELDS if name != "hash"})
        derived = entry_hash(doc).hex()
    except (TypeError, ValueError) as exc:
        return f"entry cannot be canonicalised: {exc}"
    if entry["hash"] != derived:
        return "stored hash does not match the entry's content"
    return None


def verify_chain(
    entries: Iterable[Mapping[str, Any]], record_roots_at: Collection[int] = ()
) -> ChainResult:
    """Check seq numbering, prev links and hashes in one pass, O(log n) memory.

    Stops at the first bad entry: everything after it is unanchored.
    """
    wanted = set(record_roots_at)
    roots = {0: EMPTY_ROOT} if 0 in wanted else {}
    frontier: list[bytes] = []
    size, prev = 0, GENESIS_PREV
    for entry in entries:
        problem = entry_problem(entry, size, prev)
        if problem is not None:
            return ChainResult(False, size, root_from_frontier(frontier), size, problem, roots)
        frontier, _ = append_leaf(frontier, size, bytes.fromhex(entry["hash"]))
        size += 1
        prev = entry["hash"]
        if size in wanted:
            roots[size] = root_from_frontier(frontier)
    return ChainResult(True, size, root_from_frontier(frontier), None, "", roots)


def _unhex(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{name} is not valid hex") from None


def verify_checkpoint(
    cp: Mapping[str, Any], platform_pk: bytes, witness_pks: Mapping[str, bytes]
) -> list[str]:
    """Signature problems of one wire-format checkpoint; empty list when all verify.

    Checks the platform signature, each co-signature, and the aggregate of all of them with
    ``fast_aggregate_verify``. Does not check the root against entries (see verify_bundle).
    """
    label = f"checkpoint {cp.get('treeSize', '?')!r}" if isinstance(cp, Mapping) else "checkpoint"
    try:
        msg = signing.checkpoint_message(
            cp["origin"], cp["treeSize"], _unhex(cp["rootHash"], "rootHash"), cp["timestamp"]
        )
        platform_sig = _unhex(cp["signature"], "signature")
        aggregate_sig = _unhex(cp["aggregateSignature"], "aggregateSignature")
        cosigs = [
            (c["witness"], _unhex(c["signature"], f"co-signature of {c['witness']!r}"))
            for c in cp.get("cosignatures", [])
        ]
        if not all(isinstance(witness, str) for witness, _ in cosigs):
            raise ValueError("witness ids must be strings")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"{label}: malformed ({exc!r})"]

    problems: list[str] = []
    if not signing.verify(platform_pk, msg, platform_sig):
        problems.append(f"{label}: platform signature does not verify")
    signers = [platform_pk]
    seen: set[str] = set()
    for witness, sig in cosigs:
        if witness in seen:
            problems.append(f"{label}: witness {witness!r} co-signed twice")
        elif witness not in witness_pks:
            problems.append(f"{label}: unknown witness {witness!r}")
        elif not signing.verify(witness_pks[witness], msg, sig):
            problems.append(f"{label}: co-signature of {witness!r} does not verify")
        seen.add(witness)
        signers.append(witness_pks.get(witness, b""))
    if not signing.fast_aggregate_verify(signers, msg, aggregate_sig):
        problems.append(f"{label}: aggregate signature does not verify")
    return problems


def _root_problem(cp: Mapping[str, Any], origin: Any, chain: ChainResult) -> str | None:
    """Why this checkpoint does not describe the bundle's entries; None if it does."""
    size = cp.get("treeSize")
    label = f"checkpoint {size!r}"
    if cp.get("origin") != origin:
        return f"{label}: origin {cp.get('origin')!r} is not the bundle's {origin!r}"
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return f"{label}: treeSize is not a non-negative integer"
    if size not in chain.roots:
        if chain.ok:
            return f"{label}: bundle has only {chain.size} entries"
        return f"{label}: cannot check, the chain breaks at seq {chain.first_bad_seq}"
    try:
        claimed = _unhex(cp.get("rootHash"), "rootHash")
    except ValueError as exc:
        return f"{label}: {exc}"
    if claimed != chain.roots[size]:
        return f"{label}: rootHash is not the root of the first {size} entries"
    return None


def _is_array(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping)


# Art. 24: an auditor verifies an exported chain offline, without database or server
def verify_bundle(
    bundle: Mapping[str, Any], expected_platform_pk: bytes | None = None
) -> BundleReport:
    """Verify a whole exported bundle: chain, checkpoint roots, then checkpoint signatures."""
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        return BundleReport(False, 0, 0, None, [f"not a {BUNDLE_FORMAT} bundle"])
    problems: list[str] = []
    try:
        platform_pk = _unhex(bundle.get("platformPublicKey"), "platformPublicKey")
        witness_pks: dict[str, bytes] = {}
        for w in bundle.get("witnesses", []):
            if w["id"] in witness_pks:
                problems.append(f"witness {w['id']!r} listed twice")
            witness_pks[w["id"]] = _unhex(w["publicKey"], f"public key of {w['id']!r}")
    except (KeyError, TypeError, ValueError) as exc:
        return BundleReport(False, 0, 0, None, [f"malformed bundle keys ({exc!r})"])
    if expected_platform_pk is not None and platform_pk != expected_platform_pk:
        problems.append("platformPublicKey is not the expected platform key")

    entries, checkpoints = bundle.get("entries", []), bundle.get("checkpoints", [])
    if not _is_array(entries) or not _is_array(checkpoints):
        return BundleReport(False, 0, 0, None, ["entries and checkpoints must be arrays"])
    checkpoints = list(checkpoints)
    sizes = [cp.get("treeSize") for cp in checkpoints if isinstance(cp, Mapping)]
    chain = verify_chain(entries, [s for s in sizes if isinstance(s, int) and s >= 0])
    if not chain.ok:
        problems.append(f"entry {chain.first_bad_seq}: {chain.reason}")

    good = 0
    for cp in checkpoints:
        if not isinstance(cp, Mapping):
            problems.append("checkpoint is not an object")
            continue
        root_problem = _root_problem(cp, bundle.get("origin"), chain)
        cp_problems = [root_problem] if root_problem else []
        cp_problems += verify_checkpoint(cp, platform_pk, witness_pks)
        problems += cp_problems
        if not cp_problems:
            good += 1
    return BundleReport(not problems, chain.size, good, chain.first_bad_seq, problems)
