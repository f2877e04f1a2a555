"""BLS signatures over BLS12-381 for checkpoints (proof-of-possession scheme).

Ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``: public keys are 48-byte G1
points, signatures 96-byte G2 points. Why BLS: the platform's and every witness's signatures
over one checkpoint add up to a single 96-byte aggregate that verifies in one pairing check.
Why PoP: fast aggregate verification is only safe for keys whose owner proved possession of
the secret (``prove_possession``), which blocks rogue-key attacks; check it when registering
a witness.

Two implementations of the same functions (issue 14 §6): ``blspy`` (Chia's binding of the
blst-style C++ library, from PyPI wheels; ~1 ms a verify) is used when it imports, and
``py_ecc`` (pure Python, ~0.3 s a verify) is the reference the tests cross-check every
signature and aggregate against, and the fallback where the binding is missing. Both give the
same bytes (the ciphersuite is deterministic). ``BACKEND`` names the one in use.

Verifiers here return ``False`` on any bad input and never raise.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

try:  # the fast binding where its wheel installs; py_ecc otherwise
    import blspy as _blspy
except ImportError:  # pragma: no cover - exercised on machines without the wheel
    _blspy = None

# py_ecc is imported on first use, not here: it takes ~0.5 s to import (its pairing tables),
# a tenth of `pdex ledger verify` on a million entries, which with blspy never calls it.
# Its values of these two constants are checked by tests/ledger/test_signing.py.
CIPHERSUITE = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
curve_order = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""r, the order of BLS12-381's G1 and G2: secret keys are 0 < sk < r."""


@cache
def _py_ecc() -> Any:
    """py_ecc's ``G2ProofOfPossession`` scheme."""
    from py_ecc.bls import G2ProofOfPossession

    return G2ProofOfPossession


# The compressed point at infinity: KeyValidate refuses it as a public key.
_INFINITY_G1 = b"\xc0" + bytes(47)


class PyEcc:
    """The reference: py_ecc's ``G2ProofOfPossession``."""

    name = "py_ecc"

    @staticmethod
    def public_key(sk: int) -> bytes:
        return bytes(_py_ecc().SkToPk(sk))

    @staticmethod
    def sign(sk: int, msg: bytes) -> bytes:
        return bytes(_py_ecc().Sign(sk, msg))

    @staticmethod
    def verify(pk: bytes, msg: bytes, sig: bytes) -> bool:
        return bool(_py_ecc().Verify(pk, msg, sig))

    @staticmethod
    def prove_possession(sk: int) -> bytes:
        return bytes(_py_ecc().PopProve(sk))

    @staticmethod
    def verify_possession(pk: bytes, proof: bytes) -> bool:
        return bool(_py_ecc().PopVerify(pk, proof))

    @staticmethod
    def aggregate(sigs: Sequence[bytes]) -> bytes:
        return bytes(_py_ecc().Aggregate(list(sigs)))

    @staticmethod
    def fast_aggregate_verify(pks: Sequence[bytes], msg: bytes, sig: bytes) -> bool:
        return bool(_py_ecc().FastAggregateVerify(list(pks), msg, sig))


class Blspy:
    """blspy's ``PopSchemeMPL``, with py_ecc's input checks where blspy is laxer: only
    ``bytes`` of the exact length, no public key at infinity, no empty key list."""

    name = "blspy"

    @staticmethod
    def _sk(sk: int) -> Any:
        if not 0 < sk < curve_order:
            raise ValueError("not a BLS12-381 secret key")
        return _blspy.PrivateKey.from_bytes(sk.to_bytes(32, "big"))

    @staticmethod
    def _pk(pk: bytes) -> Any:
        if type(pk) is not bytes or len(pk) != 48 or pk == _INFINITY_G1:
            raise ValueError("not a public key")
        return _blspy.G1Element.from_bytes(pk)

    @staticmethod
    def _sig(sig: bytes) -> Any:
        if type(sig) is not bytes or len(sig) != 96:
            raise ValueError("not a signature")
        return _blspy.G2Element.from_bytes(sig)

    @classmethod
    def public_key(cls, sk: int) -> bytes:
        return bytes(cls._sk(sk).get_g1())

    @classmethod
    def sign(cls, sk: int, msg: bytes) -> bytes:
        return bytes(_blspy.PopSchemeMPL.sign(cls._sk(sk), msg))

    @classmethod
    def verify(cls, pk: bytes, msg: bytes, sig: bytes) -> bool:
        return bool(_blspy.PopSchemeMPL.verify(cls._pk(pk), bytes(msg), cls._sig(sig)))

    @classmethod
    def prove_possession(cls, sk: int) -> bytes:
        return bytes(_blspy.PopSchemeMPL.pop_prove(cls._sk(sk)))

    @classmethod
    def verify_possession(cls, pk: bytes, proof: bytes) -> bool:
        return bool(_blspy.PopSchemeMPL.pop_verify(cls._pk(pk), cls._sig(proof)))

    @classmethod
    def aggregate(cls, sigs: Sequence[bytes]) -> bytes:
        if not sigs:
            raise ValueError("no signatures")
        return bytes(_blspy.PopSchemeMPL.aggregate([cls._sig(s) for s in sigs]))

    @classmethod
    def fast_aggregate_verify(cls, pks: Sequence[bytes], msg: bytes, sig: bytes) -> bool:
        if not pks:
            return False
        keys = [cls._pk(pk) for pk in pks]
        return bool(_blspy.PopSchemeMPL.fast_aggregate_verify(keys, bytes(msg), cls._sig(sig)))


BACKENDS: tuple[type[PyEcc] | type[Blspy], ...] = (PyEcc, Blspy) if _blspy else (PyEcc,)
_impl: type[PyEcc] | type[Blspy] = Blspy if _blspy else PyEcc
BACKEND = _impl.name


def generate_secret_key() -> int:
    """A fresh secret key: KeyGen (RFC draft-irtf-cfrg-bls-signature) on 32 random bytes."""
    return _py_ecc().KeyGen(secrets.token_bytes(32))


def public_key(sk: int) -> bytes:
    """The 48-byte compressed G1 public key of ``sk``."""
    return _impl.public_key(sk)


def sign(sk: int, msg: bytes) -> bytes:
    """96-byte signature of ``msg``."""
    return _impl.sign(sk, msg)


def verify(pk: bytes, msg: bytes, sig: bytes) -> bool:
    """True only for a valid signature; garbage of any kind gives False."""
    try:
        return _impl.verify(pk, msg, sig)
    except Exception:  # both libraries let malformed points escape as odd exception types
        return False


def prove_possession(sk: int) -> bytes:
    """Proof that the holder of ``public_key(sk)`` knows ``sk`` (a signature of the key)."""
    return _impl.prove_possession(sk)


def verify_possession(pk: bytes, proof: bytes) -> bool:
    """Check a proof of possession; never raises."""
    try:
        return _impl.verify_possession(pk, proof)
    except Exception:
        return False


def aggregate(sigs: Sequence[bytes]) -> bytes:
    """Add signatures into one. Raises ValueError on an empty list or a malformed signature."""
    try:
        return _impl.aggregate(sigs)
    except Exception as exc:
        raise ValueError(f"cannot aggregate signatures: {exc}") from exc


def fast_aggregate_verify(pks: Sequence[bytes], msg: bytes, sig: bytes) -> bool:
    """Verify an aggregate of signatures by all ``pks`` over one ``msg``; never raises.

    Only sound if every key's proof of possession was checked (see module docstring).
    """
    try:
        return _impl.fast_aggregate_verify(pks, msg, sig)
    except Exception:
        return False


def checkpoint_message(origin: str, tree_size: int, root_hash: bytes, timestamp: str) -> bytes:
    """The signed text of a checkpoint, modelled on the C2SP ``tlog-checkpoint`` body.

    Four lines, each ending in ``\\n``, UTF-8::

        <origin>                 e.g. "pdex.example.gov.cn/ledger"
        <tree size>              decimal, no leading zeros
        <base64 root hash>       standard base64 with padding of the 32-byte RFC 9162 root
        <timestamp>              RFC 3339 UTC, e.g. "2026-11-27T03:07:29.123456Z"

    The first three lines are exactly a C2SP checkpoint; the timestamp is our extension line.
    """
    if not origin or "\n" in origin or "\n" in timestamp or not timestamp:
        raise ValueError("origin and timestamp must be non-empty single lines")
    if isinstance(tree_size, bool) or not isinstance(tree_size, int) or tree_size < 0:
        raise ValueError(f"tree size must be a non-negative int, got {tree_size!r}")
    if len(root_hash) != 32:
        raise ValueError(f"root hash must be 32 bytes, got {len(root_hash)}")
    root_b64 = base64.b64encode(root_hash).decode("ascii")
    return f"{origin}\n{tree_size}\n{root_b64}\n{timestamp}\n".encode()


def save_secret_key(path: str | os.PathLike[str], sk: int) -> None:
    """Write ``sk`` as 64 hex digits, readable by the owner only (mode 0600)."""
    if not 0 < sk < curve_order:
        raise ValueError("not a BLS12-381 secret key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), 0o600)  # O_CREAT's mode is ignored for an existing file
        f.write(f"{sk:064x}\n")


def load_secret_key(path: str | os.PathLike[str]) -> int:
    """Read a key written by ``save_secret_key``; ValueError if it is not one."""
    raw = bytes.fromhex(Path(path).read_text(encoding="ascii").strip())
    if len(raw) != 32:
        raise ValueError(f"{path}: expected 64 hex digits")
    sk = int.from_bytes(raw, "big")
    if not 0 < sk < curve_order:
        raise ValueError(f"{path}: not a BLS12-381 secret key")
    return sk
