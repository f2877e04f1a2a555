"""Canonical entry bytes: these pin the hashed format, so old entries stay verifiable."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.canonical import (
    GENESIS_PREV,
    canonical_json,
    entry_bytes,
    entry_document,
    entry_hash,
    format_time,
    subject_commitment,
)
from ledger.merkle import leaf_hash

pytestmark = pytest.mark.article(24)

ENTRY = {
    "seq": 0,
    "kind": "registry.asset.registered",
    "actor": {"org": "91440700MA4UXXXX0X", "sub": "u1"},
    "at": "2026-11-27T03:07:29.123456Z",
    "prev": GENESIS_PREV,
    "body": {"name": "江门公交", "price": "1234.50"},
    "subjects": ["ab" * 32],
}


def test_keys_sorted_no_whitespace() -> None:
    obj = {"b": 1, "a": [1, "x", None], "c": {"z": None, "y": True, "x": False}}
    assert canonical_json(obj) == b'{"a":[1,"x",null],"b":1,"c":{"x":false,"y":true,"z":null}}'


def test_keys_sort_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3 example: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
    obj = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "ö": 7}
    order = ["\r", "1", "\u0080", "ö", "\u20ac", "\U0001f600", "\ufb33"]
    assert list(json.loads(canonical_json(obj))) == order


def test_unicode_is_raw_utf8_and_controls_are_escaped() -> None:
    assert canonical_json({"name": "江门 é"}) == '{"name":"江门 é"}'.encode()
    assert canonical_json(['\n\t\x0f"\\/']) == b'["\\n\\t\\u000f\\"\\\\/"]'
    assert canonical_json("\u2028") == '"\u2028"'.encode()


@pytest.mark.parametrize("value", [1.0, 0.5, [1, 2.5], {"a": {"b": [float("nan")]}}])
def test_floats_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="float"):
        canonical_json({"amount": value})


@pytest.mark.parametrize("value", [2**53, -(2**53), {1: "int key"}, b"bytes", {1, 2}])
def test_values_json_cannot_carry_exactly_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        canonical_json(value)


def test_big_numbers_travel_as_strings() -> None:
    assert canonical_json({"amount": str(10**30)}) == b'{"amount":"' + str(10**30).encode() + b'"}'
    assert canonical_json(2**53 - 1) == b"9007199254740991"


def test_format_time() -> None:
    moment = datetime(2026, 11, 27, 3, 7, 29, 123456, tzinfo=UTC)
    assert format_time(moment) == "2026-11-27T03:07:29.123456Z"
    beijing = timezone(timedelta(hours=8))
    assert format_time(moment.astimezone(beijing)) == "2026-11-27T03:07:29.123456Z"
    assert format_time(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000000Z"
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 1, 2))


def test_entry_document_and_bytes() -> None:
    doc = entry_document(**ENTRY)
    assert doc == ENTRY
    assert entry_bytes(**ENTRY) == canonical_json(doc)
    assert entry_bytes(**ENTRY).startswith(
        b'{"actor":{"org":"91440700MA4UXXXX0X","sub":"u1"},"at":'
    )


def test_entry_hash_is_the_merkle_leaf_hash() -> None:
    assert entry_hash(entry_document(**ENTRY)) == leaf_hash(entry_bytes(**ENTRY))


def test_entry_hash_is_pinned() -> None:
    # If this changes, every stored entry stops verifying: the format must not drift.
    expected = leaf_hash(
        b'{"actor":{"org":"91440700MA4UXXXX0X","sub":"u1"},"at":"2026-11-27T03:07:29.123456Z",'
        b'"body":{"name":"\xe6\xb1\x9f\xe9\x97\xa8\xe5\x85\xac\xe4\xba\xa4","price":"1234.50"},'
        b'"kind":"registry.asset.registered","prev":"' + GENESIS_PREV.encode() + b'","seq":0,'
        b'"subjects":["' + b"ab" * 32 + b'"]}'
    )
    assert entry_hash(entry_document(**ENTRY)) == expected


def test_every_field_changes_the_hash() -> None:
    base = entry_hash(entry_document(**ENTRY))
    changes = {
        "seq": 1,
        "kind": "registry.asset.revoked",
        "actor": {"sub": "u2"},
        "at": "2026-11-27T03:07:29.123457Z",
        "prev": "1" * 64,
        "body": {"name": "x"},
        "subjects": [],
    }
    for name, value in changes.items():
        assert entry_hash(entry_document(**{**ENTRY, name: value})) != base, name


def test_genesis_prev() -> None:
    assert GENESIS_PREV == "0" * 64


def test_subject_commitment() -> None:
    salt = bytes(range(32))
    got = subject_commitment(salt, "440703199001011234")
    assert got == hashlib.sha256(b"subject/v1\0" + salt + b"440703199001011234").hexdigest()
    assert len(got) == 64 and got == got.lower()
    assert subject_commitment(b"\x01" * 32, "440703199001011234") != got
    assert subject_commitment(salt, "440703199001011235") != got


@pytest.mark.parametrize(
    "kind, body, actor",
    [
        (
            "registry.asset.registered",
            {"amount": "12.50", "n": 3},
            {"org": None, "roles": [], "sub": "pdex"},
        ),
        (
            "k\u00e9nd.\u6570\u636e",
            {"text": 'quote " back \\ slash \n\t\u0001\u007f \u2028 \U0001f600'},
            {"z": [1, {"b": 2, "a": 1}]},
        ),
        ("x", {"\U0001f600": 1, "\ufb01": 2, "a": {"\u00e9": [], "e": {}}}, {}),
    ],
)
def test_stored_entry_bytes_equal_entry_bytes(kind, body, actor):
    from ledger.canonical import stored_entry_bytes

    subjects = ["ab" * 32]
    at = "2026-11-27T03:07:29.123456Z"
    expected = entry_bytes(7, kind, actor, at, "cd" * 32, body, subjects)
    stored = stored_entry_bytes(
        7,
        kind,
        canonical_json(actor).decode(),
        at,
        "cd" * 32,
        canonical_json(body).decode(),
        canonical_json(subjects).decode(),
    )
    assert stored == expected
