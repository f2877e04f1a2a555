"""Offline verification of chains and bundles.

BLS verification is slow in pure Python (~0.3 s per pairing check), so bundles here carry one
witness and few checkpoints: this file makes 13 pairing checks.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from ledger.canonical import GENESIS_PREV, entry_document, entry_hash, format_time
from ledger.merkle import EMPTY_ROOT, root_of
from ledger.signing import aggregate, checkpoint_message, generate_secret_key, public_key, sign
from ledger.verify import BUNDLE_FORMAT, verify_bundle, verify_chain, verify_checkpoint

pytestmark = pytest.mark.article(24)

ORIGIN = "pdex.test/ledger"
START = datetime(2026, 11, 27, 3, 7, 29, 123456, tzinfo=UTC)


def rehash(entry: dict) -> None:
    """Recompute one entry's stored hash from its content."""
    fields = {k: entry[k] for k in ("seq", "kind", "actor", "at", "prev", "body", "subjects")}
    entry["hash"] = entry_hash(entry_document(**fields)).hex()


def rehash_from(entries: list[dict], start: int) -> None:
    """Relink and rehash from ``start`` on, as a forger rewriting history would."""
    for i in range(start, len(entries)):
        entries[i]["prev"] = entries[i - 1]["hash"] if i else GENESIS_PREV
        rehash(entries[i])


def make_entries(n: int) -> list[dict]:
    entries = [
        {
            "seq": i,
            "kind": "consent.consent.granted" if i % 3 else "registry.asset.registered",
            "actor": {"sub": f"user-{i % 4}", "org": "org-1"},
            "at": format_time(START + timedelta(seconds=i)),
            "body": {"asset": f"asset-{i}", "price": f"{i}.00"},
            "subjects": [f"{i:064x}"],
        }
        for i in range(n)
    ]
    rehash_from(entries, 0)
    return entries


def leaf_hashes(entries: list[dict]) -> list[bytes]:
    return [bytes.fromhex(e["hash"]) for e in entries]


def make_checkpoint(entries: list[dict], size: int, platform_sk: int, witness_sk: int) -> dict:
    root = root_of(leaf_hashes(entries[:size]))  # the reference root, independent of verify.py
    timestamp = format_time(START + timedelta(hours=1))
    msg = checkpoint_message(ORIGIN, size, root, timestamp)
    platform_sig, witness_sig = sign(platform_sk, msg), sign(witness_sk, msg)
    return {
        "origin": ORIGIN,
        "treeSize": size,
        "rootHash": root.hex(),
        "timestamp": timestamp,
        "signature": platform_sig.hex(),
        "cosignatures": [{"witness": "auditor", "signature": witness_sig.hex()}],
        "aggregateSignature": aggregate([platform_sig, witness_sig]).hex(),
    }


@pytest.fixture(scope="module")
def keys() -> dict[str, int]:
    return {"platform": generate_secret_key(), "auditor": generate_secret_key()}


@pytest.fixture(scope="module")
def signed_bundle(keys: dict[str, int]) -> dict:
    entries = make_entries(50)
    return {
        "format": BUNDLE_FORMAT,
        "origin": ORIGIN,
        "platformPublicKey": public_key(keys["platform"]).hex(),
        "witnesses": [{"id": "auditor", "publicKey": public_key(keys["auditor"]).hex()}],
        "entries": entries,
        "checkpoints": [
            make_checkpoint(entries, size, keys["platform"], keys["auditor"]) for size in (20, 50)
        ],
    }


@pytest.fixture
def bundle(signed_bundle: dict) -> dict:
    return copy.deepcopy(signed_bundle)


# --- chain ----------------------------------------------------------------------------------


def test_clean_chain_passes() -> None:
    entries = make_entries(50)
    result = verify_chain(iter(entries), record_roots_at=[0, 1, 20, 50, 99])
    assert result.ok and result.first_bad_seq is None and result.reason == ""
    assert result.size == 50
    assert result.root == root_of(leaf_hashes(entries))
    assert result.roots == {n: root_of(leaf_hashes(entries[:n])) for n in (0, 1, 20, 50)}


def test_empty_chain_passes() -> None:
    result = verify_chain([])
    assert result.ok and result.size == 0 and result.root == EMPTY_ROOT


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("body", {"asset": "asset-17", "price": "0.01"}),
        ("kind", "consent.consent.revoked"),
        ("at", "2026-11-27T03:07:46.123457Z"),
        ("actor", {"sub": "someone-else"}),
        ("subjects", []),
        ("prev", "f" * 64),
        ("hash", "0" * 64),
    ],
)
def test_altered_entry_17_is_reported(field: str, value: object) -> None:
    entries = make_entries(50)
    entries[17][field] = value
    result = verify_chain(entries)
    assert not result.ok
    assert result.first_bad_seq == 17
    assert result.size == 17
    assert result.root == root_of(leaf_hashes(entries[:17]))


def test_altered_entry_with_recomputed_hash_breaks_the_next_link() -> None:
    entries = make_entries(50)
    entries[17]["body"] = {"asset": "forged"}
    rehash(entries[17])  # entry 17 is self-consistent again; 18 still links to the original
    result = verify_chain(entries)
    assert result.first_bad_seq == 18
    assert "prev" in result.reason


def test_removed_entry_is_reported() -> None:
    entries = make_entries(50)
    del entries[17]
    result = verify_chain(entries)
    assert result.first_bad_seq == 17
    assert result.reason == "expected seq 17, found 18"


def test_swapped_pair_is_reported() -> None:
    entries = make_entries(50)
    entries[17], entries[18] = entries[18], entries[17]
    assert verify_chain(entries).first_bad_seq == 17


def test_swapped_and_renumbered_pair_is_reported() -> None:
    entries = make_entries(50)
    entries[17], entries[18] = entries[18], entries[17]
    entries[17]["seq"], entries[18]["seq"] = 17, 18
    result = verify_chain(entries)
    assert result.first_bad_seq == 17 and "prev" in result.reason


def test_chain_must_start_at_genesis() -> None:
    entries = make_entries(5)
    assert verify_chain(entries[1:]).first_bad_seq == 0
    entries[0]["prev"] = "1" * 64
    rehash_from(entries, 1)
    result = verify_chain(entries)
    assert result.first_bad_seq == 0 and "genesis" in result.reason


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: e.pop("subjects"),
        lambda e: e.update(body={"price": 1.5}),
        lambda e: e.update(seq="3"),
        lambda e: e.update(seq=True),
        lambda e: e.update(hash=None),
        lambda e: e.update(actor={1: "int key"}),
    ],
)
def test_malformed_entries_are_reported_not_raised(damage) -> None:
    entries = make_entries(5)
    damage(entries[3])
    result = verify_chain(entries)
    assert not result.ok and result.first_bad_seq == 3 and result.reason


def test_non_object_entry_is_reported() -> None:
    entries: list = make_entries(3)
    entries[1] = "not an entry"
    assert verify_chain(entries).first_bad_seq == 1


# --- checkpoints and bundles ----------------------------------------------------------------


def test_clean_bundle_passes(bundle: dict, keys: dict[str, int]) -> None:  # 6 pairing checks
    report = verify_bundle(bundle, expected_platform_pk=public_key(keys["platform"]))
    assert report.problems == []
    assert report.ok and report.entries == 50 and report.checkpoints == 2
    assert report.first_bad_seq is None


def test_forged_checkpoint_root_fails(bundle: dict) -> None:  # 3 pairing checks
    bundle["checkpoints"] = bundle["checkpoints"][1:]
    bundle["checkpoints"][0]["rootHash"] = "ab" * 32
    report = verify_bundle(bundle)
    assert not report.ok and report.checkpoints == 0 and report.entries == 50
    assert any("rootHash is not the root of the first 50" in p for p in report.problems)
    assert any("platform signature does not verify" in p for p in report.problems)


def test_rewritten_history_is_caught_by_the_checkpoint(bundle: dict) -> None:  # 3 pairings
    # The forger rewrites entry 17 and recomputes every later hash: the chain alone is
    # consistent again, but the signed root no longer matches.
    bundle["checkpoints"] = bundle["checkpoints"][1:]
    bundle["entries"][17]["body"] = {"asset": "forged"}
    rehash_from(bundle["entries"], 17)
    report = verify_bundle(bundle)
    assert report.first_bad_seq is None and report.entries == 50
    assert report.problems == ["checkpoint 50: rootHash is not the root of the first 50 entries"]


def test_broken_chain_and_unreachable_checkpoint(bundle: dict) -> None:  # 0 pairing checks
    for cp in bundle["checkpoints"]:
        cp["signature"] = "zz"  # malformed: reported without any pairing check
    del bundle["entries"][30]
    report = verify_bundle(bundle)
    assert not report.ok and report.first_bad_seq == 30 and report.entries == 30
    assert "entry 30: expected seq 30, found 31" in report.problems
    assert any("cannot check, the chain breaks at seq 30" in p for p in report.problems)
    assert any("malformed" in p for p in report.problems)


def test_checkpoint_beyond_the_entries(bundle: dict) -> None:  # 0 pairing checks
    bundle["checkpoints"] = [{**bundle["checkpoints"][1], "aggregateSignature": None}]
    bundle["entries"] = bundle["entries"][:40]
    report = verify_bundle(bundle)
    assert report.entries == 40 and report.first_bad_seq is None
    assert any("bundle has only 40 entries" in p for p in report.problems)


def test_unknown_and_duplicate_witnesses(signed_bundle: dict) -> None:  # 1 pairing check
    cp = copy.deepcopy(signed_bundle["checkpoints"][0])
    cp["cosignatures"] += [{"witness": "stranger", "signature": "00" * 96}]
    cp["cosignatures"] += [cp["cosignatures"][0]]
    platform_pk = bytes.fromhex(signed_bundle["platformPublicKey"])
    problems = verify_checkpoint(cp, platform_pk, {"auditor": b"\x00" * 48})
    assert any("unknown witness 'stranger'" in p for p in problems)
    assert any("'auditor' co-signed twice" in p for p in problems)
    assert any("co-signature of 'auditor' does not verify" in p for p in problems)
    assert any("aggregate signature does not verify" in p for p in problems)


def test_pinned_platform_key_and_origin(bundle: dict) -> None:  # 0 pairing checks
    bundle["checkpoints"] = []
    report = verify_bundle(bundle, expected_platform_pk=b"\x01" * 48)
    assert report.problems == ["platformPublicKey is not the expected platform key"]
    bundle["checkpoints"] = [{"origin": "elsewhere", "treeSize": 1, "signature": "zz"}]
    report = verify_bundle(bundle)
    assert any("origin 'elsewhere'" in p for p in report.problems)

    cp = {"origin": ORIGIN, "treeSize": 1, "rootHash": "00" * 32, "timestamp": "t"}
    cp |= {
        "signature": "",
        "aggregateSignature": "",
        "cosignatures": [{"witness": [], "signature": ""}],
    }
    assert verify_checkpoint(cp, b"", {}) == [
        "checkpoint 1: malformed (ValueError('witness ids must be strings'))"
    ]


@pytest.mark.parametrize(
    "broken",
    [
        None,
        [],
        {},
        {"format": "other"},
        {"format": BUNDLE_FORMAT, "platformPublicKey": "zz"},
        {"format": BUNDLE_FORMAT, "platformPublicKey": "00", "witnesses": [{"id": "x"}]},
        {"format": BUNDLE_FORMAT, "platformPublicKey": "00", "entries": None},
        {"format": BUNDLE_FORMAT, "platformPublicKey": "00", "checkpoints": 5},
    ],
)
def test_malformed_bundles_are_reported_not_raised(broken: object) -> None:
    report = verify_bundle(broken)  # type: ignore[arg-type]
    assert not report.ok and report.problems
