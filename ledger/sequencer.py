"""The sequencer: gives the facts domain transactions queued their seq, chains them and adds
them to the tree, many in one transaction.

Why: an append used to take the ledger head inside the domain's transaction and hold it until
that transaction committed, so appends across the whole system took turns one commit at a
time. Now a domain transaction only inserts its fact into `ledger_fact` (`ledger.append`,
no lock); once it has committed, the mutation waits for its fact's batch (`settle`), and
one batch sequences every fact committed by then: many commits' facts for one head update.

The model:
- Order. Committed facts are taken in `ledger_fact.id` order. A transaction that began after
  another committed drew a higher id, so its fact gets a later seq: either both wait in the
  queue together, or the earlier one was sequenced already (causality).
- One batch at a time. A batch locks the head row (PostgreSQL `FOR UPDATE`; SQLite holds the
  write lock), so batches of several processes take turns and each takes whatever is pending:
  the lock is the election, and any process takes over from one that died.
- Crash. A batch is one transaction (entries, nodes, parties, head, the facts' seqs, stamps):
  it commits whole or not at all. A committed fact whose batch never ran waits in the queue
  until the next batch in any process (`pdex serve` runs one with every checkpoint, 5 s).
- SQLite. Its one writer holds the database's lock for the whole transaction anyway, so the
  committing transaction runs the batch itself (`sequence_in`), just before its commit: a
  batch of its own would cost a second transaction and batch nothing.
- Stamps. Domain rows that carry their fact's seq (`ledger_seq`) were inserted with a
  placeholder; the batch writes the seq into them, and `settle` into the caller's objects.
  Between the domain's commit and its batch (milliseconds, or until the next batch after a
  crash) such a row shows the placeholder.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import attributes

from core.db import AsyncSession
from ledger.canonical import stored_document
from ledger.merkle import append_leaf, leaf_hash
from ledger.models import LedgerEntry, LedgerFact

BATCH = 2000  # facts per batch transaction: bounds its size after a backlog
KEEP_SECONDS = 600  # sequenced facts are kept this long for waiters in other processes
_F = LedgerFact.__table__.c


UNSEQUENCED = -1
"""The `ledger_seq` a row is inserted with when its fact's seq is not known yet (`stamp`)."""


@dataclass(eq=False)
class Fact:
    """A fact appended in a transaction. `id` is its place in the queue, set as the
    transaction commits; `seq`, `hash` and `prev` are set once its batch has committed
    (`Database.transaction` waits for that before it returns)."""

    kind: str
    actor: str
    at: str
    body: str
    subjects: str
    parties: list[str]
    targets: list[tuple[Any, str]] = field(default_factory=list)  # objects to give the seq
    id: int | None = None
    seq: int | None = None
    hash: str | None = None
    prev: str | None = None

    def stamp(self, *targets: Any) -> None:
        """Give the seq to these too: rows (their `ledger_seq`, inserted as `UNSEQUENCED`)
        or `(object, attribute)` pairs; an object that is not a row gets it in memory only."""
        self.targets.extend(t if isinstance(t, tuple) else (t, "ledger_seq") for t in targets)

    def queue_row(self) -> dict[str, Any]:
        """The `ledger_fact` row: the rows to stamp are named by their keys now, at commit."""
        return {
            "kind": self.kind,
            "actor": self.actor,
            "at": self.at,
            "body": self.body,
            "subjects": self.subjects,
            "parties": json.dumps(self.parties),
            "stamps": json.dumps(_stamps(self.targets)),
        }

    def _sequenced(self, seq: int, digest: str, prev: str) -> None:
        self.seq, self.hash, self.prev = seq, digest, prev
        for target, name in self.targets:
            if sa.inspect(target, raiseerr=False) is not None:  # a row: not a change to flush
                attributes.set_committed_value(target, name, seq)
            else:
                setattr(target, name, seq)


def _stamps(targets: Iterable[tuple[Any, str]]) -> list[list[Any]]:
    """What a batch updates, per table and column: `[table, column, [key columns], [key
    kinds], [[key values], ...]]`, a key kind "uuid" or "plain". Self-describing, so any
    process can apply it, whichever domains it imported."""
    grouped: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], list[list[Any]]] = {}
    for obj, name in targets:
        state = sa.inspect(obj, raiseerr=False)
        if state is None:
            continue
        mapper = state.mapper
        keys = tuple(mapper.primary_key)
        column = mapper.get_property(name).columns[0]
        kinds = tuple("uuid" if isinstance(k.type, sa.Uuid) else "plain" for k in keys)
        values = [getattr(obj, mapper.get_property_by_column(k).key) for k in keys]
        group = (mapper.local_table.name, column.name, tuple(k.name for k in keys), kinds)
        grouped.setdefault(group, []).append(
            [str(v) if kind == "uuid" else v for v, kind in zip(values, kinds, strict=True)]
        )
    return [[t, c, list(k), list(u), rows] for (t, c, k, u), rows in grouped.items()]


@dataclass(frozen=True)
class Tip:
    """The head of the log: its size, last entry hash and frontier (Merkle subtree roots)."""

    size: int
    last_hash: str
    frontier: tuple[bytes, ...]

    @classmethod
    def from_row(cls, size: int, last_hash: str, frontier: str) -> Tip:
        """From `ledger_head`'s columns (the frontier stored as a JSON list of hex hashes)."""
        return cls(size, last_hash, tuple(bytes.fromhex(h) for h in json.loads(frontier)))

    def frontier_json(self) -> str:
        return json.dumps([h.hex() for h in self.frontier])


@dataclass(frozen=True)
class Sequenced:
    seq: int
    hash: str
    prev: str


class Queued(NamedTuple):
    """A `ledger_fact` row waiting in the queue, as a batch reads it."""

    id: int
    kind: str
    actor: str
    at: str
    body: str
    subjects: str
    parties: str
    stamps: str


@dataclass(frozen=True)
class _Batch:
    """What one batch writes: entry rows (in `_ENTRY_COLUMNS` order), tree nodes, party rows,
    the new head, and what each fact id became."""

    entries: list[tuple[Any, ...]]
    nodes: list[tuple[int, int, bytes]]
    parties: list[tuple[str, int]]
    done: dict[int, Sequenced]
    tip: Tip


_ENTRY_COLUMNS = ("seq", "kind", "actor", "at", "prev", "body", "subjects", "hash")


def chain(tip: Tip, facts: Sequence[Queued]) -> _Batch:
    """Number the facts from `tip` on, chain each to the one before and hash it as
    `pdex ledger verify` will (from the stored texts), and grow the tree: pure."""
    entries: list[tuple[Any, ...]] = []
    nodes: list[tuple[int, int, bytes]] = []
    parties: list[tuple[str, int]] = []
    done: dict[int, Sequenced] = {}
    frontier, size, last = list(tip.frontier), tip.size, tip.last_hash
    for fact in facts:
        document = stored_document(
            str(size).encode(),
            fact.kind.encode(),
            fact.actor.encode(),
            fact.at.encode(),
            last.encode(),
            fact.body.encode(),
            fact.subjects.encode(),
        )
        digest = leaf_hash(document)
        frontier, made = append_leaf(frontier, size, digest)
        entries.append(
            (size, fact.kind, fact.actor, fact.at, last, fact.body, fact.subjects, digest.hex())
        )
        nodes.extend(made)
        parties.extend((p, size) for p in json.loads(fact.parties))
        done[fact.id] = Sequenced(size, digest.hex(), last)
        size, last = size + 1, digest.hex()
    return _Batch(entries, nodes, parties, done, Tip(size, last, tuple(frontier)))


async def sequence_batch(engine: AsyncEngine, *, limit: int = BATCH) -> dict[int, Sequenced]:
    """Sequence the pending facts (up to `limit`, oldest first) in one transaction; returns
    what each fact id became. Empty when nothing was pending."""
    if engine.dialect.name == "postgresql":
        return await _postgres_batch(engine, limit)
    return await _sqlite_batch(engine, limit)


def _before_commit() -> None:
    """Nothing; the crash tests replace it to kill the process mid-batch."""


# PostgreSQL: the driver directly, five round trips a batch (SQLAlchemy's execution path
# cost more CPU than the batch's own work). Lock the head first, then read the queue in a
# statement of its own: under READ COMMITTED that one sees what the batch we may have waited
# for committed (one statement that locked the head and read the queue would read the queue
# as it was before the wait: facts sequenced twice).
_PG_TIP = "SELECT size, last_hash, frontier FROM ledger_head WHERE id = 1 FOR UPDATE"
_PG_PENDING = (
    "SELECT id, kind, actor, at, body, subjects, parties, stamps FROM ledger_fact"
    " WHERE seq IS NULL ORDER BY id LIMIT $1"
)
# The whole batch's writes in one statement (foreign keys are checked at its end, so the
# parties may name entries it inserts).
_PG_WRITE = """
WITH head AS (
  UPDATE ledger_head SET size = $1, last_hash = $2, frontier = $3 WHERE id = 1
), entry AS (
  INSERT INTO ledger_entry (seq, kind, actor, at, prev, body, subjects, hash)
  SELECT * FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::text[], $10::text[], $11::text[])
), node AS (
  INSERT INTO ledger_node (level, idx, hash)
  SELECT * FROM unnest($12::smallint[], $13::bigint[], $14::bytea[])
), party AS (
  INSERT INTO ledger_party (party, seq) SELECT * FROM unnest($15::text[], $16::bigint[])
)
UPDATE ledger_fact SET seq = v.seq
FROM unnest($17::bigint[], $18::bigint[]) AS v(id, seq) WHERE ledger_fact.id = v.id
"""


async def _postgres_batch(engine: AsyncEngine, limit: int) -> dict[int, Sequenced]:
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        async with raw.transaction():
            head = await raw.fetchrow(_PG_TIP)
            tip = Tip.from_row(*head)
            facts = [Queued(*row) for row in await raw.fetch(_PG_PENDING, limit)]
            if not facts:
                return {}
            batch = chain(tip, facts)
            await raw.execute(
                _PG_WRITE,
                batch.tip.size,
                batch.tip.last_hash,
                batch.tip.frontier_json(),
                *(list(column) for column in zip(*batch.entries, strict=True)),
                *([n[i] for n in batch.nodes] for i in range(3)),
                [p for p, _ in batch.parties],
                [s for _, s in batch.parties],
                list(batch.done),
                [s.seq for s in batch.done.values()],
            )
            for sql, rows in _stamp_updates(facts, batch.done, "postgresql"):
                await raw.executemany(sql, rows)
            before = _prune_before(engine, tip.size)
            if before is not None:
                await raw.execute("DELETE FROM ledger_fact WHERE seq < $1", before)
            _before_commit()
    return batch.done


async def _sqlite_batch(engine: AsyncEngine, limit: int) -> dict[int, Sequenced]:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        return await sequence_in(session, limit=limit)


async def sequence_in(session: AsyncSession, *, limit: int = BATCH) -> dict[int, Sequenced]:
    """SQLite: a batch in the caller's transaction, whose `BEGIN IMMEDIATE` holds the
    database's one write lock. Plain SQL to the driver, as on PostgreSQL: the ORM's bulk
    paths cost more CPU than the batch's own work."""
    connection = await session.connection()

    async def run(sql: str, params: Any = ()) -> Any:
        return await connection.exec_driver_sql(sql, params)

    head = (await run(_SQLITE_TIP)).one()
    tip = Tip.from_row(*head)
    facts = [Queued(*row) for row in (await run(_SQLITE_PENDING, (limit,))).all()]
    if not facts:
        return {}
    batch = chain(tip, facts)
    await run(_SQLITE_ENTRY, batch.entries)
    await run("INSERT INTO ledger_node (level, idx, hash) VALUES (?, ?, ?)", batch.nodes)
    if batch.parties:
        await run("INSERT INTO ledger_party (party, seq) VALUES (?, ?)", batch.parties)
    await run(
        "UPDATE ledger_head SET size = ?, last_hash = ?, frontier = ? WHERE id = 1",
        (batch.tip.size, batch.tip.last_hash, batch.tip.frontier_json()),
    )
    await run(
        "UPDATE ledger_fact SET seq = ? WHERE id = ?",
        [(s.seq, i) for i, s in batch.done.items()],
    )
    for sql, rows in _stamp_updates(facts, batch.done, "sqlite"):
        await run(sql, rows)
    before = _prune_before(session.bind, tip.size)
    if before is not None:
        await run("DELETE FROM ledger_fact WHERE seq < ?", (before,))
    _before_commit()
    return batch.done


_SQLITE_TIP = "SELECT size, last_hash, frontier FROM ledger_head WHERE id = 1"
_SQLITE_PENDING = _PG_PENDING.replace("$1", "?")
_SQLITE_ENTRY = (
    f"INSERT INTO ledger_entry ({', '.join(_ENTRY_COLUMNS)}) VALUES ({', '.join('?' * 8)})"
)


_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def _stamp_updates(
    facts: Sequence[Any], done: dict[int, Sequenced], dialect: str
) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The batch's stamps as `UPDATE` statements with their rows, one per table and column:
    `(sql, [(seq, *key values), ...])`, PostgreSQL's `$n` or SQLite's `?` parameters, uuids
    as each engine stores them."""
    grouped: dict[tuple[str, str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    for fact in facts:
        seq = done[fact.id].seq
        for table, column, keys, kinds, rows in json.loads(fact.stamps):
            assert all(_NAME.fullmatch(n) for n in (table, column, *keys))  # names from mappers
            grouped.setdefault((table, column, tuple(keys)), []).extend(
                (seq, *(_key(v, kind, dialect) for v, kind in zip(row, kinds, strict=True)))
                for row in rows
            )
    updates = []
    for (table, column, keys), rows in grouped.items():
        mark = (lambda i: f"${i}") if dialect == "postgresql" else (lambda i: "?")
        where = " AND ".join(f'"{k}" = {mark(i + 2)}' for i, k in enumerate(keys))
        updates.append((f'UPDATE "{table}" SET "{column}" = {mark(1)} WHERE {where}', rows))
    return updates


def _key(value: Any, kind: str, dialect: str) -> Any:
    if kind != "uuid":
        return value
    # SQLAlchemy's Uuid: PostgreSQL's uuid type; SQLite stores the 32 hex digits.
    return uuid.UUID(value) if dialect == "postgresql" else uuid.UUID(value).hex


# Sequenced facts are deleted once no waiter can still want them: each process remembers the
# log's size every minute and, ten minutes on, deletes the facts sequenced before it.
_marks: weakref.WeakKeyDictionary[Any, deque[tuple[float, int]]] = weakref.WeakKeyDictionary()


def _prune_before(engine: AsyncEngine, size: int) -> int | None:
    """The seq before which sequenced facts may be deleted now, if it is time to."""
    marks = _marks.setdefault(engine.sync_engine, deque())
    clock = time.monotonic()
    if not marks or clock - marks[-1][0] >= 60:
        marks.append((clock, size))
    if clock - marks[0][0] >= KEEP_SECONDS:
        return marks.popleft()[1]
    return None


class _Waiters:
    """Per engine, in this process: one batch at a time, and what batches found for the facts
    this process's transactions wait for."""

    def __init__(self) -> None:
        self.turn = asyncio.Lock()
        self.waiting: set[int] = set()
        self.done: dict[int, Sequenced | None] = {}


_waiters: weakref.WeakKeyDictionary[Any, _Waiters] = weakref.WeakKeyDictionary()


def _for(engine: AsyncEngine) -> _Waiters:
    waiters = _waiters.get(engine.sync_engine)
    if waiters is None:
        waiters = _waiters[engine.sync_engine] = _Waiters()
    return waiters


async def settle(
    engine: AsyncEngine, facts: Sequence[Fact], known: dict[int, Sequenced] | None = None
) -> None:
    """Wait until each of `facts` (committed) is sequenced, running batches as needed, then
    give each its seq, hash and prev and the objects it stamps their seq.

    The first waiter to take this process's turn runs a batch for every fact pending, so the
    waiters queued behind it usually find theirs done. A fact another process sequenced is
    read back from `ledger_fact`; one that is not there was rolled back with a savepoint.
    `known`: what a batch in the facts' own transaction made of them (SQLite)."""
    waiters = _for(engine)
    ids = [f.id for f in facts]
    waiters.waiting.update(ids)
    waiters.done.update((i, s) for i, s in (known or {}).items() if i in waiters.waiting)
    try:
        while any(i not in waiters.done for i in ids):
            async with waiters.turn:
                if all(i in waiters.done for i in ids):
                    break
                for fact_id, sequenced in (await sequence_batch(engine)).items():
                    if fact_id in waiters.waiting:
                        waiters.done[fact_id] = sequenced
                missing = [i for i in ids if i not in waiters.done]
                if missing:
                    waiters.done.update(await _look_up(engine, missing))
        for fact in facts:
            sequenced = waiters.done.get(fact.id)
            if sequenced is not None:
                fact._sequenced(sequenced.seq, sequenced.hash, sequenced.prev)
    finally:
        for i in ids:
            waiters.waiting.discard(i)
            waiters.done.pop(i, None)


async def _look_up(engine: AsyncEngine, ids: list[int]) -> dict[int, Sequenced | None]:
    """Facts sequenced elsewhere (their seq and entry), and facts that do not exist (None);
    facts still pending are left out, for the next batch."""
    statement = (
        sa.select(_F.id, _F.seq, LedgerEntry.hash, LedgerEntry.prev)
        .select_from(LedgerFact.__table__)
        .outerjoin(LedgerEntry, LedgerEntry.seq == _F.seq)
        .where(_F.id.in_(ids))
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    found: dict[int, Sequenced | None] = {
        r.id: Sequenced(r.seq, r.hash, r.prev) for r in rows if r.seq is not None
    }
    present = {r.id for r in rows}
    found.update((i, None) for i in ids if i not in present)
    return found


async def sequence_pending(engine: AsyncEngine) -> int:
    """Sequence everything pending (after a crash, facts whose batch never ran); how many."""
    total = 0
    async with _for(engine).turn:
        while done := await sequence_batch(engine):
            total += len(done)
    return total
