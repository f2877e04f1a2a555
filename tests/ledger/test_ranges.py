"""`ledger.ranges`: one range of the log checked on its own (what `pdex ledger verify` runs
in each worker process), its COPY reader on PostgreSQL, and the checks it adds."""

from __future__ import annotations

import hashlib
import uuid

import pytest

import ledger
from core.identity import Principal, Role
from ledger import merkle, ranges, signing
from ledger.audit import SessionReader, verify_database
from ledger.canonical import GENESIS_PREV, canonical_json, entry_bytes, stored_document
from tests.ledger.test_log import append_many, tamper

pytestmark = pytest.mark.article(24)

AGENCY = Principal("clerk-1", uuid.uuid4(), frozenset({Role.AGENCY}))
AT = "2026-11-27T03:07:29.123456Z"


def stored_fields(documents: list[dict]) -> list[bytes]:
    """The flat stored fields (`ranges.COLUMNS`) of a chain of entry documents, as append
    writes them: canonical JSON texts, each hash the leaf hash of the whole document."""
    fields: list[bytes] = []
    prev = GENESIS_PREV
    for seq, doc in enumerate(documents):
        data = entry_bytes(seq, doc["kind"], doc["actor"], AT, prev, doc["body"], [])
        digest = merkle.leaf_hash(data).hex()
        fields += [
            str(seq).encode(),
            doc["kind"].encode(),
            canonical_json(doc["actor"]),
            AT.encode(),
            prev.encode(),
            canonical_json(doc["body"]),
            b"[]",
            digest.encode(),
        ]
        prev = digest
    return fields


def documents(n: int) -> list[dict]:
    return [
        {"kind": "test.thing.happened", "actor": {"sub": "a"}, "body": {"i": i}} for i in range(n)
    ]


def test_leaves_and_levels_are_the_merkle_tree() -> None:
    fields = stored_fields(documents(13))
    leaves, problem = ranges.entry_leaves(fields, 0, GENESIS_PREV.encode())
    assert problem == "" and [leaf.hex().encode() for leaf in leaves] == fields[7::8]
    levels = ranges.tree_levels(leaves)
    assert [len(level) for level in levels] == [13, 6, 3, 1]
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier, created = merkle.append_leaf(frontier, size, leaf)
        for level, idx, digest in created:
            assert levels[level][idx] == digest
        assert ranges.frontier_at(levels, size + 1) == frontier
    assert merkle.root_from_frontier(ranges.frontier_at(levels, 13)) == merkle.root_of(leaves)


def test_text_that_json_escapes_takes_the_careful_path() -> None:
    docs = documents(3)
    docs[1]["kind"] = 'k\u00e9nd "quoted" \\ back'
    docs[1]["body"] = {"text": 'quote " back \\ slash \n\t\u0001 \u2028 \U0001f600'}
    fields = stored_fields(docs)
    leaves, problem = ranges.entry_leaves(fields, 0, GENESIS_PREV.encode())
    assert problem == "" and len(leaves) == 3


@pytest.mark.parametrize(
    ("index", "value", "reason"),
    [
        (0, b"5", "expected seq 4, found 5"),
        (4, b"f" * 64, "prev does not match the hash of the entry before"),
        (5, b'{"i":99}', "stored hash does not match the entry's content"),
        (1, b"test.other", "stored hash does not match the entry's content"),
        (7, b"A" * 64, "stored hash does not match the entry's content"),
        (2, None, "a stored field is NULL"),
    ],
)
def test_a_bad_field_names_its_seq(index: int, value: bytes | None, reason: str) -> None:
    fields: list[bytes | None] = list(stored_fields(documents(8)))
    fields[4 * 8 + index] = value
    leaves, problem = ranges.entry_leaves(fields, 0, GENESIS_PREV.encode())
    assert (len(leaves), problem) == (4, reason)


def test_a_shifted_field_boundary_keeps_the_hash_and_is_caught() -> None:
    """The hash pins the concatenation only: end `actor` inside what was `body`, and every
    byte, so the hash, is unchanged. Each JSON text must be one value."""
    docs = documents(3)
    docs[1]["body"] = {"a": 1, "at": "elsewhere", "body": {"z": 1}}
    fields = stored_fields(docs)
    row = 8
    actor, body = fields[row + 2], fields[row + 5]
    # {"actor":ACTOR,"at":"AT","body":{"a":1,"at":"elsewhere","body":{"z":1}},"kind":…
    fields[row + 2] = actor + b',"at":"' + AT.encode() + b'","body":{"a":1'
    fields[row + 3] = b"elsewhere"
    fields[row + 5] = b'{"z":1}}'
    forged = stored_document(*(fields[row + i] for i in (0, 1, 2, 3, 4, 5, 6)))
    assert body != fields[row + 5]
    assert hashlib.sha256(b"\x00" + forged).hexdigest().encode() == fields[row + 7]
    leaves, problem = ranges.entry_leaves(fields, 0, GENESIS_PREV.encode())
    assert (len(leaves), problem) == (1, "stored actor is not one JSON value")


def test_copy_text_format_is_split_exactly() -> None:
    data = b"0\tk\\tab\\\\x\\n\t\\N\n1\tplain\t{}\n"
    assert ranges.copy_fields(data, 3) == [b"0", b"k\tab\\x\n", None, b"1", b"plain", b"{}"]
    assert ranges.copy_fields(b"", 3) == []
    with pytest.raises(ValueError, match="not rows of 3"):
        ranges.copy_fields(b"0\t1\n", 3)


# --- on the database ------------------------------------------------------------------------


async def append_varied(db, n: int) -> None:
    """Entries whose texts COPY escapes (tab, newline, backslash) and JSON escapes."""
    for i in range(n):
        kind = 'test.k\u00e9nd "q"\t\n' if i % 5 == 2 else "test.thing.happened"
        body = {"i": i, "text": f'tab\there\nnew "q" \\ {i} \u2028 \U0001f600'}
        async with db.transaction() as session:
            await ledger.append(session, kind, AGENCY, body)


async def test_the_copy_reader_reads_what_the_session_reader_reads(fresh_db, is_postgres):
    """PostgreSQL: the driver's COPY text, split, equals the rows through SQLAlchemy; so do
    the levels and nodes, and a whole range's verdict, clean and tampered."""
    if not is_postgres:
        pytest.skip("the COPY reader is PostgreSQL's")
    await append_varied(fresh_db, 21)
    session_reader = SessionReader(fresh_db)

    async def both(check):
        async with fresh_db.read() as session:
            connection = await session.connection()
            driver = (await connection.get_raw_connection()).driver_connection
            return await check(ranges.PgReader(driver)), await check(session_reader)

    copied, selected = await both(lambda reader: reader.fields(0, 21))
    assert copied == selected and len(copied) == 21 * 8
    assert b"\t\n" in copied[2 * 8 + 1] and b"\\" in copied[5]  # COPY escaped them
    for level in range(5):
        pg, sql = await both(lambda reader, level=level: reader.level(level, 0, 20 >> level))
        assert pg == sql and pg[0] == 21 >> level and pg[1]
    await tamper(fresh_db, "UPDATE ledger_node SET hash = '\\x00'::bytea WHERE level = 1")
    for level in (0, 1):
        pg, sql = await both(lambda reader, level=level: reader.nodes(level, 0, 10))
        assert pg == sql
    pg, sql = await both(lambda reader: ranges.check_range(reader, 8, 16, frozenset({3})))
    assert pg == sql and pg.problem == (
        9,
        "stored tree node (level 1, index 4) is wrong or missing",
    )


async def test_a_tampered_row_in_a_later_worker_names_its_seq(fresh_db, settings):
    """Ranges of 8 in 2 worker processes: a bad row in the middle of the third range, then
    a bad node in the middle of the second, are each named by seq."""
    signer = ledger.Signer(settings.ledger_origin, signing.generate_secret_key())
    await append_varied(fresh_db, 13)
    await ledger.publish_checkpoint(fresh_db, signer)  # size 13: inside the second range
    await append_many(fresh_db, 17)
    report = await verify_database(fresh_db, workers=2, chunk=8)
    assert report.ok and (report.entries, report.checkpoints) == (30, 1), report.problems

    await tamper(fresh_db, "UPDATE ledger_entry SET body = '{\"i\":99}' WHERE seq = 20")
    report = await verify_database(fresh_db, workers=2, chunk=8)
    assert report.first_bad_seq == 20
    assert report.problems == ["seq 20: stored hash does not match the entry's content"]

    await tamper(
        fresh_db,
        "UPDATE ledger_node SET hash = (SELECT hash FROM ledger_node WHERE level = 0 AND idx = 0)"
        " WHERE level = 0 AND idx = 11",
    )
    one_pass = await verify_database(fresh_db, workers=1, chunk=1 << 15)
    report = await verify_database(fresh_db, workers=2, chunk=8)
    assert report.first_bad_seq == one_pass.first_bad_seq == 11
    assert (
        report.problems
        == one_pass.problems
        == ["seq 11: stored tree node (level 0, index 11) is wrong or missing"]
    )


async def test_a_shifted_boundary_in_the_database_is_caught(fresh_db):
    """The same forgery as above, made on stored rows: every byte and hash unchanged."""
    async with fresh_db.transaction() as session:
        for i in range(4):
            body = {"a": 1, "at": "elsewhere", "body": {"z": i}}
            await ledger.append(session, "test.thing.happened", AGENCY, body)
    assert (await verify_database(fresh_db, workers=1)).ok
    await tamper(
        fresh_db,
        'UPDATE ledger_entry SET actor = actor || \',"at":"\' || at || \'","body":{"a":1\', '
        "at = 'elsewhere', body = '{\"z\":2}}' WHERE seq = 2",
    )
    report = await verify_database(fresh_db, workers=1)
    assert report.problems == ["seq 2: stored actor is not one JSON value"]
