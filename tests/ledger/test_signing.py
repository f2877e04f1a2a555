"""BLS checkpoint signatures, on every backend: blspy (when installed) and py_ecc, the
reference each blspy result is compared with. A py_ecc verify is a pairing (~0.3 s)."""

from __future__ import annotations

import stat

import pytest

from ledger import signing
from ledger.signing import (
    BACKENDS,
    CIPHERSUITE,
    PyEcc,
    aggregate,
    checkpoint_message,
    fast_aggregate_verify,
    generate_secret_key,
    load_secret_key,
    prove_possession,
    public_key,
    save_secret_key,
    sign,
    verify,
    verify_possession,
)

# Pure BLS (no database; ~0.3-0.7 s a pairing check): run once, not on both engines.
pytestmark = [pytest.mark.article(24), pytest.mark.slow]


@pytest.fixture(autouse=True, params=[b.name for b in BACKENDS])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test once per implementation (the module functions dispatch to `_impl`)."""
    impl = next(b for b in BACKENDS if b.name == request.param)
    monkeypatch.setattr(signing, "_impl", impl)
    return impl.name


MSG = checkpoint_message("pdex.test/ledger", 5, bytes(range(32)), "2026-11-27T03:07:29.123456Z")


@pytest.fixture(scope="module")
def keys() -> list[tuple[int, bytes]]:
    sks = [generate_secret_key() for _ in range(3)]
    return [(sk, public_key(sk)) for sk in sks]


def test_ciphersuite_is_the_proof_of_possession_one() -> None:
    assert CIPHERSUITE == "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"


def test_the_constants_written_out_are_py_ecc_s() -> None:
    """`ledger.signing` imports py_ecc only when it is used; its constants are py_ecc's."""
    from py_ecc.bls import G2ProofOfPossession
    from py_ecc.optimized_bls12_381 import curve_order

    assert CIPHERSUITE.encode() == G2ProofOfPossession.DST
    assert signing.curve_order == curve_order


def test_sign_and_verify(keys: list[tuple[int, bytes]]) -> None:
    (sk, pk), (_, other_pk) = keys[0], keys[1]
    sig = sign(sk, MSG)
    assert len(pk) == 48 and len(sig) == 96
    assert verify(pk, MSG, sig)
    assert not verify(other_pk, MSG, sig)
    assert not verify(pk, MSG + b"x", sig)


def test_proof_of_possession(keys: list[tuple[int, bytes]]) -> None:
    (sk, pk), (_, other_pk) = keys[0], keys[1]
    proof = prove_possession(sk)
    assert verify_possession(pk, proof)
    assert not verify_possession(other_pk, proof)
    # A plain signature over the key is not a proof: the PoP uses its own domain tag.
    assert not verify_possession(pk, sign(sk, pk))


def test_aggregate_of_three(keys: list[tuple[int, bytes]]) -> None:
    agg = aggregate([sign(sk, MSG) for sk, _ in keys])
    pks = [pk for _, pk in keys]
    assert fast_aggregate_verify(pks, MSG, agg)
    assert not fast_aggregate_verify(pks[:2], MSG, agg)


def test_garbage_gives_false_not_exceptions(keys: list[tuple[int, bytes]]) -> None:
    # All of these fail before any pairing is computed, so they are cheap.
    pk = keys[0][1]
    sig = b"\x01" * 96
    for bad_pk, bad_sig in [
        (b"", sig),
        (b"x" * 48, sig),
        (pk, b""),
        (pk, b"junk"),
        ("text", sig),
        (None, None),
        (pk, b"\xff" * 96),
    ]:
        assert verify(bad_pk, MSG, bad_sig) is False  # type: ignore[arg-type]
        assert verify_possession(bad_pk, bad_sig) is False  # type: ignore[arg-type]
    assert fast_aggregate_verify([], MSG, sig) is False
    assert fast_aggregate_verify([b"x" * 48], MSG, sig) is False
    assert fast_aggregate_verify(None, MSG, sig) is False  # type: ignore[arg-type]
    assert verify(pk, "not bytes", sig) is False  # type: ignore[arg-type]


def test_aggregate_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        aggregate([])
    with pytest.raises(ValueError):
        aggregate([b"junk"])


def test_checkpoint_message_format() -> None:
    root = bytes(32)
    msg = checkpoint_message("pdex.test/ledger", 42, root, "2026-11-27T03:07:29.123456Z")
    assert msg == (
        b"pdex.test/ledger\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
        b"2026-11-27T03:07:29.123456Z\n"
    )
    for bad in [
        ("a\nb", 1, root, "t"),
        ("", 1, root, "t"),
        ("o", -1, root, "t"),
        ("o", True, root, "t"),
        ("o", 1, root[:31], "t"),
        ("o", 1, root, "t\n"),
    ]:
        with pytest.raises(ValueError):
            checkpoint_message(*bad)


def test_secret_keys_are_fresh() -> None:
    assert generate_secret_key() != generate_secret_key()


def test_key_file_round_trip(tmp_path, keys: list[tuple[int, bytes]]) -> None:
    sk = keys[0][0]
    path = tmp_path / "platform.key"
    path.write_text("old")
    path.chmod(0o644)
    save_secret_key(path, sk)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) == 64
    assert load_secret_key(path) == sk


@pytest.mark.parametrize("content", ["", "zz", "00" * 32, "ff" * 32, "01" * 31, "0x" + "1" * 62])
def test_load_rejects_what_is_not_a_key(tmp_path, content: str) -> None:
    path = tmp_path / "bad.key"
    path.write_text(content)
    with pytest.raises(ValueError):
        load_secret_key(path)


def test_save_rejects_out_of_range_keys(tmp_path) -> None:
    with pytest.raises(ValueError):
        save_secret_key(tmp_path / "k", 0)


def test_blspy_is_used_where_it_installs() -> None:
    pytest.importorskip("blspy")
    assert [b.name for b in BACKENDS] == ["py_ecc", "blspy"]
    assert signing.BACKEND == "blspy"


def test_every_backend_gives_the_reference_bytes_and_answers(
    keys: list[tuple[int, bytes]], backend: str
) -> None:
    """Keys, signatures, proofs and aggregates byte for byte as py_ecc makes them, and the
    same verdict on good, wrong and malformed input."""
    if backend == PyEcc.name:
        pytest.skip("the reference itself")
    impl = signing._impl
    messages = [MSG, b"", "签名 ✓".encode() * 50]
    for sk, pk in keys:
        assert impl.public_key(sk) == PyEcc.public_key(sk) == pk
        assert impl.prove_possession(sk) == PyEcc.prove_possession(sk)
    sigs = {(sk, m): impl.sign(sk, m) for sk, _ in keys for m in messages}
    for (sk, m), sig in sigs.items():
        assert sig == PyEcc.sign(sk, m)
    for m in messages[:2]:
        parts = [sigs[sk, m] for sk, _ in keys]
        assert impl.aggregate(parts) == PyEcc.aggregate(parts)
    (sk, pk), (_, other) = keys[0], keys[1]
    good = sigs[sk, MSG]
    infinity_pk, infinity_sig = b"\xc0" + bytes(47), b"\xc0" + bytes(95)
    cases = [(pk, MSG, good), (other, MSG, good), (pk, b"x", good), (infinity_pk, MSG, good)]
    cases += [(pk, MSG, infinity_sig), (pk, MSG, good[:95] + bytes([good[95] ^ 1]))]
    for case in cases:
        assert verify(*case) is PyEcc.verify(*case), case
    agg = aggregate([sigs[s, MSG] for s, _ in keys])
    pks = [p for _, p in keys]
    for group in (pks, pks[:2], [infinity_pk, *pks[1:]]):
        assert fast_aggregate_verify(group, MSG, agg) is PyEcc.fast_aggregate_verify(
            group, MSG, agg
        )
