"""append, proofs, checkpoints, witnesses and `pdex ledger verify` on a real database."""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid

import pytest
import sqlalchemy as sa

import ledger
from core.identity import Principal, Role
from ledger import merkle, signing
from ledger.audit import verify_database
from ledger.canonical import GENESIS_PREV
from ledger.models import LedgerEntry, LedgerHead, SubjectSalt

pytestmark = pytest.mark.article(24)

AGENCY = Principal("clerk-1", uuid.uuid4(), frozenset({Role.AGENCY}))
CITIZEN = Principal("citizen-42", None, frozenset({Role.DATA_SUBJECT}))


async def append_many(db, n, kind="test.thing.happened"):
    for i in range(n):
        async with db.transaction() as session:
            await ledger.append(session, kind, AGENCY, {"i": i, "amount": "12.50"})


async def rows(db):
    async with db.read() as session:
        return list(
            (await session.execute(sa.select(LedgerEntry).order_by(LedgerEntry.seq))).scalars()
        )


async def test_entries_chain_from_genesis(fresh_db):
    await append_many(fresh_db, 5)
    entries = await rows(fresh_db)
    assert [e.seq for e in entries] == [0, 1, 2, 3, 4]
    assert entries[0].prev == GENESIS_PREV
    for before, after in itertools.pairwise(entries):
        assert after.prev == before.hash
    assert json.loads(entries[2].body) == {"amount": "12.50", "i": 2}
    assert json.loads(entries[2].actor) == {
        "org": str(AGENCY.organization_id),
        "roles": ["agency"],
        "sub": "clerk-1",
    }
    root = merkle.root_of([bytes.fromhex(e.hash) for e in entries])
    async with fresh_db.read() as session:
        assert await ledger.proofs.root_at(session, 5) == root


async def test_rollback_leaves_no_entry(fresh_db):
    await append_many(fresh_db, 2)
    with pytest.raises(RuntimeError):
        async with fresh_db.transaction() as session:
            await ledger.append(session, "test.thing.happened", AGENCY, {"doomed": True})
            raise RuntimeError("the domain change failed after the append")
    assert [e.seq for e in await rows(fresh_db)] == [0, 1]
    async with fresh_db.read() as session:
        head = (await session.execute(sa.select(LedgerHead))).scalar_one()
    assert head.size == 2
    await append_many(fresh_db, 1)
    assert [e.seq for e in await rows(fresh_db)] == [0, 1, 2]
    assert (await verify_database(fresh_db)).ok


async def test_two_processes_appending_to_one_log(fresh_db, fresh_settings):
    """Each process remembers the head it wrote; the other's appends make that stale, and the
    database's check sends it back to read the real head."""
    from core.db import Database

    other = Database(fresh_settings)  # another engine: another process's view of the log
    try:
        for round_ in range(3):
            for db in (fresh_db, other, other, fresh_db):
                async with db.transaction() as session:
                    await ledger.append(session, "test.process.appended", AGENCY, {"round": round_})
    finally:
        await other.dispose()
    assert [e.seq for e in await rows(fresh_db)] == list(range(12))
    assert (await verify_database(fresh_db)).ok


async def test_floats_are_refused_before_anything_is_written(fresh_db):
    with pytest.raises(TypeError):
        async with fresh_db.transaction() as session:
            await ledger.append(session, "test.money.paid", AGENCY, {"amount": 12.5})
    assert await rows(fresh_db) == []


@pytest.mark.article(47, law="PIPL")
async def test_subjects_are_salted_commitments(fresh_db):
    async with fresh_db.transaction() as session:
        entry = await ledger.append(
            session,
            "consent.consent.granted",
            CITIZEN,
            {"purpose": "loan"},
            subjects=["citizen-42"],
        )
    text = entry.actor + entry.body + entry.subjects
    assert "citizen-42" not in text
    async with fresh_db.read() as session:
        salt = await session.scalar(
            sa.select(SubjectSalt.salt).where(SubjectSalt.subject_id == "citizen-42")
        )
    commitment = hashlib.sha256(b"subject/v1\0" + salt + b"citizen-42").hexdigest()
    assert json.loads(entry.subjects) == [commitment]
    assert json.loads(entry.actor)["sub"] == "commitment:" + commitment

    # PIPL Art. 47: erasure deletes the salt; that unlinks the entry and breaks no hash.
    async with fresh_db.transaction() as session:
        await session.execute(sa.delete(SubjectSalt).where(SubjectSalt.subject_id == "citizen-42"))
    assert (await verify_database(fresh_db)).ok


async def test_proofs_from_the_database_verify(fresh_db):
    await append_many(fresh_db, 37)
    leaves = [bytes.fromhex(e.hash) for e in await rows(fresh_db)]
    async with fresh_db.read() as session:
        for size in (1, 2, 7, 16, 37):
            root = merkle.root_of(leaves[:size])
            for seq in {0, size // 2, size - 1}:
                proof = await ledger.inclusion_proof(session, seq, size)
                assert proof.root_hash == root
                assert merkle.verify_inclusion(leaves[seq], seq, size, proof.hashes, root)
            for old in {1, size // 2 or 1, size}:
                proof = await ledger.consistency_proof(session, old, size)
                assert merkle.verify_consistency(
                    old, size, merkle.root_of(leaves[:old]), root, proof.hashes
                )
        from core.errors import UserError

        with pytest.raises(UserError) as bad:
            await ledger.inclusion_proof(session, 5, 38)
        assert bad.value.code == "TREE_SIZE_INVALID"
        with pytest.raises(UserError) as bad:
            await ledger.inclusion_proof(session, 9, 9)
        assert bad.value.code == "SEQ_OUT_OF_RANGE"


async def test_batched_proofs_match_single_ones_in_two_statements(fresh_db, count_statements):
    await append_many(fresh_db, 37)
    leaves = [bytes.fromhex(e.hash) for e in await rows(fresh_db)]
    root = merkle.root_of(leaves)
    async with fresh_db.read() as session:
        counts = []
        for seqs in ([3], [36, 0, 17, 3, 3, 20, 9, 31]):
            with count_statements(fresh_db.reader) as counter:
                proofs = await ledger.current_inclusion_proofs(session, seqs)
            counts.append(len(counter.statements))
            assert [p.seq for p in proofs] == seqs
            for proof in proofs:
                assert proof == await ledger.inclusion_proof(session, proof.seq, 37)
                assert merkle.verify_inclusion(leaves[proof.seq], proof.seq, 37, proof.hashes, root)
        # tree size, nodes, leaves: the same three however many proofs
        assert counts == [3, 3], counts


async def test_ledger_rows_are_append_only_in_the_database(fresh_db):
    await append_many(fresh_db, 1)
    for statement in (
        "UPDATE ledger_entry SET kind = 'x'",
        "DELETE FROM ledger_entry",
        "DELETE FROM ledger_node",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with fresh_db.transaction() as session:
                await session.execute(sa.text(statement))


async def tamper(db, statement):
    """What a malicious operator with superuser rights could do: bypass the triggers."""
    async with db.transaction() as session:
        if db.is_sqlite:
            names = (
                (
                    await session.execute(
                        sa.text("SELECT name FROM sqlite_master WHERE type='trigger'")
                    )
                )
                .scalars()
                .all()
            )
            for name in names:
                await session.execute(sa.text(f"DROP TRIGGER {name}"))
        else:
            await session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for part in statement.split(";"):
            await (await session.connection()).exec_driver_sql(part)


@pytest.mark.parametrize(
    "statement, bad_seq",
    [
        ("UPDATE ledger_entry SET body = '{\"i\":99}' WHERE seq = 6", 6),
        ("UPDATE ledger_entry SET kind = 'test.other' WHERE seq = 3", 3),
        ("UPDATE ledger_entry SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 0", 0),
        ("DELETE FROM ledger_party WHERE seq = 4; DELETE FROM ledger_entry WHERE seq = 4", 4),
        ("UPDATE ledger_node SET hash = ledger_node.hash WHERE 1 = 0", None),
    ],
)
async def test_verify_names_the_first_tampered_seq(fresh_db, statement, bad_seq):
    await append_many(fresh_db, 10)
    assert (await verify_database(fresh_db)).ok
    await tamper(fresh_db, statement)
    report = await verify_database(fresh_db)
    assert report.first_bad_seq == bad_seq
    assert report.ok is (bad_seq is None)


# Ranges of 2, 4 and 8 entries over an 11-entry log: every range boundary, a partial last
# range, nodes checked inside a range and above the ranges. In this process (workers=1); the
# parallel processes run the same per-range code (test below).
RANGES = [{"workers": 1, "chunk": c} for c in (2, 4, 8)]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET body = '{\"i\":99}' WHERE seq = 6",
        "UPDATE ledger_entry SET kind = 'test.other' WHERE seq = 4",
        "UPDATE ledger_entry SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 0",
        "DELETE FROM ledger_party WHERE seq = 3; DELETE FROM ledger_entry WHERE seq = 3",
        "DELETE FROM ledger_party WHERE seq = 10; DELETE FROM ledger_entry WHERE seq = 10",
        "DELETE FROM ledger_node WHERE level = 2 AND idx = 1",
        "DELETE FROM ledger_node WHERE level = 3 AND idx = 0",
        "UPDATE ledger_node SET hash = (SELECT hash FROM ledger_node WHERE level = 0 AND idx = 0)"
        " WHERE level = 1 AND idx = 4",
    ],
)
async def test_verify_in_ranges_reports_what_one_pass_reports(fresh_db, settings, statement):
    signer = ledger.Signer(settings.ledger_origin, signing.generate_secret_key())
    await append_many(fresh_db, 5)
    await ledger.publish_checkpoint(fresh_db, signer)  # size 5: inside the second range of 4
    await append_many(fresh_db, 3)
    await ledger.publish_checkpoint(fresh_db, signer)  # size 8: a range boundary
    await append_many(fresh_db, 3)
    for options in RANGES:
        report = await verify_database(fresh_db, **options)
        assert report.ok and report.entries == 11 and report.checkpoints == 2, options
    await tamper(fresh_db, statement)
    expected = await verify_database(fresh_db, workers=1, chunk=1 << 15)  # one pass
    assert not expected.ok
    for options in RANGES:
        report = await verify_database(fresh_db, **options)
        assert (report.first_bad_seq, report.problems) == (
            expected.first_bad_seq,
            expected.problems,
        ), options


async def test_verify_in_parallel_processes(fresh_db, settings):
    signer = ledger.Signer(settings.ledger_origin, signing.generate_secret_key())
    await append_many(fresh_db, 9)
    await ledger.publish_checkpoint(fresh_db, signer)
    await append_many(fresh_db, 2)
    seen = []
    report = await verify_database(fresh_db, lambda *step: seen.append(step), workers=2, chunk=4)
    assert report.ok and (report.entries, report.checkpoints) == (11, 1), report.problems
    assert seen == [
        ("entries", 4, 11),
        ("entries", 8, 11),
        ("entries", 11, 11),
        ("checkpoints", 1, 1),
    ]
    await tamper(fresh_db, "UPDATE ledger_entry SET body = '{\"i\":99}' WHERE seq = 9")
    report = await verify_database(fresh_db, workers=2, chunk=4)
    assert report.first_bad_seq == 9 and "stored hash" in report.problems[0]


async def test_verify_detects_a_rewritten_node(fresh_db):
    await append_many(fresh_db, 8)
    await tamper(fresh_db, "DELETE FROM ledger_node WHERE level = 2 AND idx = 1")
    report = await verify_database(fresh_db)
    assert report.first_bad_seq == 7 and "level 2" in report.problems[0]


async def test_checkpoint_witnesses_and_aggregate(fresh_db, settings):
    signer = ledger.Signer(settings.ledger_origin, signing.generate_secret_key())
    await append_many(fresh_db, 3)
    checkpoint = await ledger.publish_checkpoint(fresh_db, signer)
    assert checkpoint.tree_size == 3
    assert (
        await ledger.publish_checkpoint(fresh_db, signer) == checkpoint
    )  # nothing new: no re-sign
    note = ledger.checkpoints.message(checkpoint)
    assert signing.verify(signer.public_key, note, bytes.fromhex(checkpoint.signature))

    auditor = Principal("aud", uuid.uuid4(), frozenset({Role.AUDITOR}))
    async with fresh_db.transaction() as session:  # the witness's org must exist (FK)
        from core.models import Organization, OrganizationKind
        from core.validators import make_org_code, make_uscc

        session.add(
            Organization(
                id=auditor.organization_id,
                kind=OrganizationKind.AUDITOR,
                name="Aud",
                uscc=make_uscc("91440700" + make_org_code("AUD00001")),
            )
        )
    sk = signing.generate_secret_key()
    from core.errors import UserError

    with pytest.raises(UserError) as refused:
        async with fresh_db.transaction() as session:
            await ledger.register_witness_key(
                session,
                auditor,
                public_key=signing.public_key(sk).hex(),
                proof_of_possession=signing.prove_possession(signing.generate_secret_key()).hex(),
            )
    assert refused.value.code == "PROOF_OF_POSSESSION_INVALID"
    async with fresh_db.transaction() as session:
        await ledger.register_witness_key(
            session,
            auditor,
            public_key=signing.public_key(sk).hex(),
            proof_of_possession=signing.prove_possession(sk).hex(),
        )

    cosignature = signing.sign(sk, note).hex()  # signed once: BLS signing is ~0.25 s

    async def cosign(**overrides):
        values = dict(
            tree_size=3,
            root_hash=checkpoint.root_hash,
            from_size=0,
            signature=cosignature,
        )
        values.update(overrides)
        async with fresh_db.transaction() as session:
            return await ledger.cosign_checkpoint(session, auditor, **values)

    for overrides, code in [
        ({"root_hash": "00" * 32}, "CHECKPOINT_MISMATCH"),
        ({"from_size": 2}, "CONSISTENCY_NOT_CHECKED"),
        ({"tree_size": 99}, "CHECKPOINT_NOT_FOUND"),
        ({"signature": signing.sign(sk, b"something else").hex()}, "SIGNATURE_INVALID"),
    ]:
        with pytest.raises(UserError) as refused:
            await cosign(**overrides)
        assert refused.value.code == code
    await cosign()
    with pytest.raises(UserError) as refused:
        await cosign(from_size=3)
    assert refused.value.code == "ALREADY_COSIGNED"

    # The witness registration was itself recorded; a new checkpoint covers it.
    newer = await ledger.publish_checkpoint(fresh_db, signer)
    assert newer.tree_size == 4
    async with fresh_db.read() as session:
        signed = await ledger.signed_checkpoint(session, checkpoint)
    assert signing.fast_aggregate_verify(signed.signer_keys, note, signed.aggregate_signature)
    assert len(signed.signer_keys) == 2

    # Going back to an older size than the last one co-signed is refused.
    newer_note = ledger.checkpoints.message(newer)
    await cosign(
        tree_size=4,
        root_hash=newer.root_hash,
        from_size=3,
        signature=signing.sign(sk, newer_note).hex(),
    )
    with pytest.raises(UserError) as refused:
        await cosign(from_size=4)
    assert refused.value.code == "STALE_CHECKPOINT"

    report = await verify_database(fresh_db)
    assert report.ok, report.problems
    assert report.checkpoints == 2


async def test_two_first_facts_about_one_subject_share_one_salt(db):
    """The salt race: two transactions make a subject's first facts at once. Both commit and
    both name the subject by the same commitment (the loser's insert does nothing)."""
    import asyncio

    subject = f"person-race-{uuid.uuid4().hex[:8]}"
    first_inserted = asyncio.Event()

    async def first() -> bytes:
        async with db.transaction() as session:
            salt = await ledger.subject_salt(session, subject)
            first_inserted.set()
            await asyncio.sleep(0.2)  # hold the uncommitted row while the other one tries
            return salt

    async def second() -> bytes:
        await first_inserted.wait()
        async with db.transaction() as session:
            return await ledger.subject_salt(session, subject)

    a, b = await asyncio.gather(first(), second())
    assert a == b
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(SubjectSalt).where(SubjectSalt.subject_id == subject)
        )
        assert len(list(rows)) == 1
