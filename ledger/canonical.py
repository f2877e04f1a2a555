"""The exact bytes of a ledger entry, and its hash.

Why: a hash is only reproducible if everyone serialises the entry identically, years later and
in any language. RFC 8785 (JSON Canonicalization Scheme) fixes key order, escaping and
whitespace. Floats are refused outright: their text form is a trap (0.1 + 0.2), so money and
big numbers travel as strings. Integers must be "safe" (|n| < 2**53, RFC 8785 / I-JSON).

Entry document (hashed as ``leaf_hash(canonical_json(doc))``, RFC 9162)::

    {"actor": {...}, "at": "2026-11-27T03:07:29.123456Z", "body": {...},
     "kind": "registry.asset.registered", "prev": "<64 hex>", "seq": 0,
     "subjects": ["<64 hex subject commitment>", ...]}

The entry hash doubles as the Merkle leaf hash, so the hash chain and the tree agree on one
value per entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785

from ledger.merkle import leaf_hash

GENESIS_PREV = "0" * 64
"""``prev`` of entry 0: there is no previous entry."""

_SUBJECT_DOMAIN = b"subject/v1\0"


def _reject_floats(obj: Any, path: str = "$") -> None:
    """Walk ``obj``; raise TypeError at the first float (bool and int are fine)."""
    if isinstance(obj, float):
        raise TypeError(f"float at {path}: pass numbers that need precision as strings")
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            _reject_floats(value, f"{path}.{key}")
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            _reject_floats(value, f"{path}[{i}]")


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 bytes of ``obj`` (sorted keys, no whitespace, UTF-8).

    Raises TypeError for floats and ValueError (``rfc8785.CanonicalizationError``) for other
    values JSON cannot carry exactly: non-string keys, |integers| >= 2**53, other types.
    """
    _reject_floats(obj)
    return rfc8785.dumps(obj)


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and ``Z``: one spelling per instant, so hashes agree."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone-aware time (e.g. datetime.now(UTC))")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_document(
    seq: int,
    kind: str,
    actor: dict[str, Any],
    at: str,
    prev: str,
    body: dict[str, Any],
    subjects: list[str],
) -> dict[str, Any]:
    """The dict that is hashed for one entry (field names are part of the format: never rename).

    ``subjects`` holds subject commitments, never raw identifiers; its order is kept as given.
    """
    return {
        "seq": seq,
        "kind": kind,
        "actor": actor,
        "at": at,
        "prev": prev,
        "body": body,
        "subjects": list(subjects),
    }


def entry_bytes(
    seq: int,
    kind: str,
    actor: dict[str, Any],
    at: str,
    prev: str,
    body: dict[str, Any],
    subjects: list[str],
) -> bytes:
    """Canonical bytes of one entry: the Merkle leaf data."""
    return canonical_json(entry_document(seq, kind, actor, at, prev, body, subjects))


PLAIN_CHARS = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
"""Printable ASCII but `"` and `\\`: text made of these (UTF-8 bytes) is its own RFC 8785
string body, so `b'"' + text + b'"'` is its canonical JSON string."""


def is_plain(text: bytes) -> bool:
    """Whether `text` is made of `PLAIN_CHARS` only (`translate` deletes them in C)."""
    return not text.translate(None, PLAIN_CHARS)


STORED_DOCUMENT = b'{"actor":%b,"at":"%b","body":%b,"kind":"%b","prev":"%b","seq":%b,"subjects":%b}'
"""The entry document with the stored texts in place, in RFC 8785 key order, for `%`:
(actor, at, body, kind, prev, seq, subjects), each UTF-8 bytes. Only when `at`, `kind`
and `prev` are plain (`is_plain`); `stored_document` handles any text."""


def _canonical_string(text: str) -> bytes:
    """RFC 8785 form of a JSON string; the common plain-ASCII case without the library."""
    if text.isascii():
        encoded = text.encode()
        if is_plain(encoded):
            return b'"' + encoded + b'"'
    return canonical_json(text)


def stored_document(
    seq: bytes, kind: bytes, actor: bytes, at: bytes, prev: bytes, body: bytes, subjects: bytes
) -> bytes:
    """`entry_bytes` assembled from the stored texts as UTF-8 bytes (seq as its decimal
    digits): what `pdex ledger verify` hashes (see `stored_entry_bytes`)."""
    if is_plain(at) and is_plain(kind) and is_plain(prev):
        return STORED_DOCUMENT % (actor, at, body, kind, prev, seq, subjects)
    return b"".join(
        (
            b'{"actor":',
            actor,
            b',"at":',
            _canonical_string(at.decode()),
            b',"body":',
            body,
            b',"kind":',
            _canonical_string(kind.decode()),
            b',"prev":',
            _canonical_string(prev.decode()),
            b',"seq":',
            seq,
            b',"subjects":',
            subjects,
            b"}",
        )
    )


def stored_entry_bytes(
    seq: int, kind: str, actor_json: str, at: str, prev: str, body_json: str, subjects_json: str
) -> bytes:
    """`entry_bytes` assembled from the canonical JSON texts the database stores.

    RFC 8785 is compositional: the canonical form of the document is its keys, in order,
    each followed by the canonical form of its value. So verification needs no
    canonicalisation: the texts append wrote reproduce the hash, and any other text, even
    equivalent JSON, does not. (What the concatenation alone does not pin is where one
    field ends and the next begins: `pdex ledger verify` also checks that each JSON text
    is one JSON value, see `ledger/ranges.py`.)
    """
    return stored_document(
        str(seq).encode(),
        kind.encode(),
        actor_json.encode(),
        at.encode(),
        prev.encode(),
        body_json.encode(),
        subjects_json.encode(),
    )


def entry_hash(doc: Mapping[str, Any]) -> bytes:
    """RFC 9162 leaf hash of the canonical entry: chain link and Merkle leaf at once."""
    return leaf_hash(canonical_json(doc))


def subject_commitment(salt: bytes, subject_id: str) -> str:
    """Hex SHA-256 of ``b"subject/v1\\0" + salt + subject_id``.

    Why: entries must name the person or asset concerned without publishing the identifier.
    With a secret, fixed-length salt (e.g. 32 bytes) the value cannot be reversed by trying
    every resident ID; whoever holds the salt can still find all entries about one subject.
    """
    return hashlib.sha256(_SUBJECT_DOMAIN + salt + subject_id.encode("utf-8")).hexdigest()
