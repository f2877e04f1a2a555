"""The batched ledger sequencer (issue 14 item 4): facts queued in the domain's transaction,
sequenced in batches after it commits; causality, stamps, savepoints, and kill -9 at any point
losing no committed fact and writing no half batch — on both engines."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

import ledger
from core.db import AsyncSession, Database
from core.identity import Principal, Role
from ledger import sequencer
from ledger.audit import verify_database
from ledger.models import LedgerEntry, LedgerFact, LedgerHead, LedgerNode, WitnessKey

pytestmark = pytest.mark.article(24)

AGENCY = Principal("clerk-1", uuid.uuid4(), frozenset({Role.AGENCY}))
CHILD = Path(__file__).with_name("crash_child.py")


async def counts(db) -> dict[str, int]:
    async with db.read() as session:
        return {
            "entries": await session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)),
            "nodes": await session.scalar(sa.select(sa.func.count()).select_from(LedgerNode)),
            "head": await session.scalar(sa.select(LedgerHead.size)),
            "facts": await session.scalar(sa.select(sa.func.count()).select_from(LedgerFact)),
            "pending": await session.scalar(
                sa.select(sa.func.count()).select_from(LedgerFact).where(LedgerFact.seq.is_(None))
            ),
        }


async def test_a_mutation_answers_with_its_seq_once_its_batch_committed(fresh_db):
    async with fresh_db.transaction() as session:
        first = await ledger.append(session, "test.thing.happened", AGENCY, {"n": 1})
        second = await ledger.append(session, "test.thing.happened", AGENCY, {"n": 2})
        assert first.seq is None  # inside the transaction the seq is not known yet
    assert (first.seq, second.seq) == (0, 1)
    assert second.prev == first.hash
    async with fresh_db.read() as session:
        stored = await session.get(LedgerEntry, 1)
    assert stored.hash == second.hash and stored.at == second.at
    assert (await counts(fresh_db))["pending"] == 0


async def test_concurrent_commits_share_batches_and_every_fact_gets_one_seq(
    fresh_db, is_postgres, monkeypatch
):
    batches: list[int] = []
    real = sequencer.sequence_batch

    async def counted(engine, **kwargs):
        done = await real(engine, **kwargs)
        if done:
            batches.append(len(done))
        return done

    monkeypatch.setattr(sequencer, "sequence_batch", counted)

    async def one(n: int) -> ledger.Fact:
        async with fresh_db.transaction() as session:
            return await ledger.append(session, "test.thing.happened", AGENCY, {"n": n})

    facts = await asyncio.gather(*(one(n) for n in range(40)))
    assert sorted(f.seq for f in facts) == list(range(40))
    if is_postgres:  # SQLite's transactions sequence their own facts (one writer anyway)
        assert sum(batches) == 40 and len(batches) < 40  # some batch took several commits
    assert (await verify_database(fresh_db)).ok


async def test_a_transaction_begun_after_another_committed_gets_a_later_seq(fresh_db):
    """Causality: whatever else is in flight, B (begun after A committed) comes after A."""
    order: list[tuple[str, int]] = []

    async def noise(n: int) -> None:
        async with fresh_db.transaction() as session:
            await ledger.append(session, "test.noise", AGENCY, {"n": n})

    async def pair(n: int) -> None:
        async with fresh_db.transaction() as session:
            a = await ledger.append(session, "test.a", AGENCY, {"n": n})
        async with fresh_db.transaction() as session:
            b = await ledger.append(session, "test.b", AGENCY, {"n": n})
        order.append((a.seq, b.seq))

    await asyncio.gather(*(noise(n) for n in range(20)), *(pair(n) for n in range(10)))
    assert len(order) == 10 and all(a < b for a, b in order)


async def test_stamped_rows_get_the_seq_in_the_database_and_in_memory(fresh_db):
    from core.models import Organization, OrganizationKind

    async with fresh_db.transaction() as session:
        org = Organization(kind=OrganizationKind.AUDITOR, name="w", uscc="91440700MA0000001X")
        session.add(org)
        await session.flush()
        witness = WitnessKey(organization_id=org.id, public_key="ab" * 48, last_signed_size=-1)
        session.add(witness)
        fact = await ledger.append(session, "test.thing.happened", AGENCY, {"n": 1})
        fact.stamp((witness, "last_signed_size"))
    assert witness.last_signed_size == fact.seq == 0
    async with fresh_db.read() as session:
        assert (await session.get(WitnessKey, witness.id)).last_signed_size == 0


async def test_a_refused_mutation_queues_nothing(fresh_db):
    with pytest.raises(RuntimeError):
        async with fresh_db.transaction() as session:
            await ledger.append(session, "test.thing.happened", AGENCY, {"n": 1})
            raise RuntimeError("refused after the append")
    assert await counts(fresh_db) == {"entries": 0, "nodes": 0, "head": 0, "facts": 0, "pending": 0}


async def test_a_fact_appended_in_a_rolled_back_savepoint_is_not_recorded(fresh_db):
    async with fresh_db.transaction() as session:
        kept = await ledger.append(session, "test.kept", AGENCY, {"n": 1})
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await ledger.append(session, "test.dropped", AGENCY, {"n": 2})
                raise RuntimeError("the savepoint rolls back")
        async with session.begin_nested():
            inner = await ledger.append(session, "test.kept", AGENCY, {"n": 3})
    assert (kept.seq, inner.seq) == (0, 1)
    async with fresh_db.read() as session:
        kinds = (await session.scalars(sa.select(LedgerEntry.kind))).all()
    assert sorted(kinds) == ["test.kept", "test.kept"]


async def test_a_commit_outside_database_transaction_cannot_drop_facts(fresh_db):
    """Facts join the queue in `Database.transaction`'s last step: a session committed any
    other way is refused, rather than committing its change without its facts."""
    async with AsyncSession(fresh_db.writer) as session:
        await session.begin()
        await ledger.append(session, "test.thing.happened", AGENCY, {"n": 1})
        with pytest.raises(RuntimeError, match="ledger facts left unwritten"):
            await session.commit()
    assert await counts(fresh_db) == {"entries": 0, "nodes": 0, "head": 0, "facts": 0, "pending": 0}


def child(db, mode: str, writers: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), db.url, mode, str(writers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def finished(process: subprocess.Popen[str]) -> int:
    return await asyncio.to_thread(process.wait, 60)


async def recovered(db) -> dict[str, int]:
    """After a crash: sequence what waits, then check the log and every stamp."""
    await sequencer.sequence_pending(db.writer)
    after = await counts(db)
    assert after["pending"] == 0 and after["entries"] == after["facts"] == after["head"]
    report = await verify_database(db)
    assert report.ok, report.problems[:3]
    async with db.read() as session:
        entries = (await session.execute(sa.select(LedgerEntry.seq, LedgerEntry.body))).all()
        stamped = dict(
            (await session.execute(sa.select(WitnessKey.id, WitnessKey.last_signed_size))).all()
        )
    for seq, body in entries:  # each fact's row carries its seq: no stamp lost or misplaced
        assert stamped[uuid.UUID(json.loads(body)["witness"])] == seq
    assert len(stamped) == len(entries)  # every committed row has its fact
    return after


async def test_kill_after_the_commit_before_the_batch_loses_no_fact(fresh_db, is_postgres):
    process = child(fresh_db, "after-commit")
    assert await finished(process) == -9, process.stderr.read()
    before = await counts(fresh_db)
    if is_postgres:  # the fact waits in the queue
        assert before == {"entries": 0, "nodes": 0, "head": 0, "facts": 1, "pending": 1}
    else:  # SQLite: the transaction sequenced its own fact before it committed
        assert before == {"entries": 1, "nodes": 1, "head": 1, "facts": 1, "pending": 0}
    assert (await recovered(fresh_db))["entries"] == 1


async def test_kill_inside_a_batch_writes_no_half_batch(fresh_db, is_postgres):
    async with fresh_db.transaction() as session:  # an entry before, to chain after
        await ledger.append(session, "test.thing.happened", AGENCY, {"n": 0})
    process = child(fresh_db, "mid-batch")
    assert await finished(process) == -9, process.stderr.read()
    before = await counts(fresh_db)
    if not is_postgres:  # SQLite's batch is in the domain's transaction: both are gone
        assert before == {"entries": 1, "nodes": 1, "head": 1, "facts": 1, "pending": 0}
        assert (await verify_database(fresh_db)).ok
        return
    assert before == {"entries": 1, "nodes": 1, "head": 1, "facts": 2, "pending": 1}
    # the test's own fact has no witness row: stamp checks only for the child's
    async with fresh_db.read() as session:
        head = await session.scalar(sa.select(LedgerHead.last_hash))
    async with fresh_db.read() as session:
        assert head == (await session.get(LedgerEntry, 0)).hash
    await sequencer.sequence_pending(fresh_db.writer)
    after = await counts(fresh_db)
    assert after == {"entries": 2, "nodes": 3, "head": 2, "facts": 2, "pending": 0}
    assert (await verify_database(fresh_db)).ok


@pytest.mark.parametrize("round_", range(3))
async def test_kill_9_at_a_random_moment_under_load(fresh_db, round_):
    process = child(fresh_db, "run", writers=8)
    line = await asyncio.to_thread(process.stdout.readline)
    assert line.strip() == "ready", process.stderr.read()
    await asyncio.sleep(random.uniform(0.3, 1.5))
    process.kill()
    assert await finished(process) == -9
    after = await recovered(fresh_db)
    assert after["entries"] > 0


async def test_a_fact_another_process_sequenced_is_read_back(
    fresh_db, fresh_settings, is_postgres, monkeypatch
):
    """Another process's batch may take this one's fact first: the waiter reads its seq."""
    if not is_postgres:
        pytest.skip("SQLite's transactions sequence their own facts before they commit")
    other = Database(fresh_settings)  # another process's engines on the same database
    taken: list[dict] = []
    real = sequencer.sequence_batch

    async def other_process_first(engine, **kwargs):
        if not taken:
            taken.append(await real(other.writer))
        return await real(engine, **kwargs)

    monkeypatch.setattr(sequencer, "sequence_batch", other_process_first)
    try:
        async with fresh_db.transaction() as session:
            fact = await ledger.append(session, "test.thing.happened", AGENCY, {"n": 1})
    finally:
        await other.dispose()
    assert list(taken[0]) == [fact.id] and taken[0][fact.id].seq == fact.seq == 0
    async with fresh_db.read() as session:
        assert (await session.get(LedgerEntry, 0)).hash == fact.hash
