"""An oblivious PRF (2HashDH over the prime-order group of Edwards25519, libsodium through
PyNaCl): verification without disclosure (Art. 15 ¶3).

pdex holds a per-resource key k and never exports it. The source department maps each
(subject key, item, value) it publishes to a point H(x) (Elligator 2, cofactor cleared),
blinds it as r·H(x) with a random scalar r, and asks pdex for k·(r·H(x)); multiplying by
r⁻¹ gives k·H(x), and the published entry is SHA-256 of x and k·H(x). pdex sees only blinded
points — uniformly random in the group whatever x is — so no plaintext reaches it, and the
department never learns k. To answer a claim pdex computes the same output from the
claimed x itself. Pure: no I/O.

    r, blinded = blind(x)                          # source department
    evaluated = evaluate(k, blinded)               # pdex (`evaluate_blinded`), point checked
    digest = finalize(x, unblind(evaluated, r))    # == prf(k, x), what pdex recomputes
"""

from __future__ import annotations

import hashlib

from nacl import bindings as sodium
from nacl.utils import random

DOMAIN = b"pdex-oprf/v1"
POINT_BYTES = 32


def encode(*parts: str) -> bytes:
    """Unambiguous bytes of a tuple of strings (each length-prefixed)."""
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def hash_to_group(x: bytes) -> bytes:
    """H(x): a point of the prime-order subgroup (libsodium's Elligator 2 map)."""
    return sodium.crypto_core_ed25519_from_uniform(
        hashlib.sha512(DOMAIN + b"/h2g" + x).digest()[:32]
    )


def _scalar() -> bytes:
    """A uniformly random non-zero scalar mod L."""
    return sodium.crypto_core_ed25519_scalar_reduce(random(64))


def new_key() -> bytes:
    return _scalar()


def in_group(point: bytes) -> bool:
    """On the curve, in the prime-order subgroup, not of small order."""
    return len(point) == POINT_BYTES and bool(sodium.crypto_core_ed25519_is_valid_point(point))


def blind(x: bytes) -> tuple[bytes, bytes]:
    r = _scalar()
    return r, sodium.crypto_scalarmult_ed25519_noclamp(r, hash_to_group(x))


def evaluate(key: bytes, blinded: bytes) -> bytes:
    if not in_group(blinded):
        raise ValueError("not a point of the group")
    return sodium.crypto_scalarmult_ed25519_noclamp(key, blinded)


def unblind(evaluated: bytes, r: bytes) -> bytes:
    return sodium.crypto_scalarmult_ed25519_noclamp(
        sodium.crypto_core_ed25519_scalar_invert(r), evaluated
    )


def finalize(x: bytes, point: bytes) -> str:
    return hashlib.sha256(DOMAIN + encode(x.hex()) + point).hexdigest()


def prf(key: bytes, x: bytes) -> str:
    """What a published entry is: finalize(x, k·H(x)), computed by the key holder."""
    return finalize(x, sodium.crypto_scalarmult_ed25519_noclamp(key, hash_to_group(x)))


def claim_input(subject_key: str, item: str, value: str) -> bytes:
    """x for an entry: the subject's key, the item code and the value."""
    return encode("entry", subject_key.strip(), item.strip(), value.strip())


def subject_item_input(subject_key: str, item: str) -> bytes:
    """x for "the set knows this subject's item" (tells NO_MATCH from UNKNOWN)."""
    return encode("known", subject_key.strip(), item.strip())
