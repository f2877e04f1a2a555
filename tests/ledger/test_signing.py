"""BLS checkpoint signatures. Each verify is a pairing (~0.3 s): this file makes 8 of them."""

from __future__ import annotations

import stat

import pytest

from ledger.signing import (
    CIPHERSUITE,
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

pytestmark = pytest.mark.article(24)

MSG = checkpoint_message("pdex.test/ledger", 5, bytes(range(32)), "2026-11-27T03:07:29.123456Z")


@pytest.fixture(scope="module")
def keys() -> list[tuple[int, bytes]]:
    sks = [generate_secret_key() for _ in range(3)]
    return [(sk, public_key(sk)) for sk in sks]


def test_ciphersuite_is_the_proof_of_possession_one() -> None:
    assert CIPHERSUITE == "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"


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
