"""`append`: the one way any domain records a fact, inside the caller's transaction.

Appends are serialised by the ledger head row: an append writes the entry, its tree nodes
and the new head in one statement that only succeeds if the head is still the one the entry
was chained to, and the row lock it takes is held until the caller commits. So concurrent
transactions take seq numbers one at a time, each linked to the one before: no gaps, no
forks, no duplicates; a rollback takes the entry, its nodes and the head change with it.

Within one process, appenders also queue on an asyncio lock and remember the head they
wrote last (`_Appender`), which saves reading it again: the database still checks it, and a
stale guess (another process appended, or a transaction rolled back) is re-read and redone.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.clock import now
from core.db import AsyncSession, dialect_insert
from core.identity import Principal, Role, require
from ledger.canonical import canonical_json, entry_document, format_time, subject_commitment
from ledger.merkle import append_leaf, leaf_hash
from ledger.models import LedgerEntry, LedgerHead, LedgerNode, LedgerParty, SubjectSalt

SYSTEM_ACTOR: dict[str, Any] = {"org": None, "roles": [], "sub": "pdex"}


# PIPL Art. 47: a subject's entries hold only salted commitments, unlinked when erased
async def subject_salt(session: AsyncSession, subject_id: str) -> bytes:
    """The subject's salt, made on first use. Kept outside the ledger (DESIGN.md)."""
    known = session.sync_session.info.setdefault(_SALTS, {})
    select = sa.select(SubjectSalt.salt).where(SubjectSalt.subject_id == subject_id)
    # The caller's own statement may have read it already (`salt_column`), or found none.
    salt = known[subject_id] if subject_id in known else await session.scalar(select)
    if salt is None:
        # Two transactions may make a subject's first facts at once: the second insert does
        # nothing and reads the one salt that won (a plain insert failed the loser).
        salt = await session.scalar(
            dialect_insert(session, SubjectSalt)
            .values(subject_id=subject_id, salt=secrets.token_bytes(32), created_at=now())
            .on_conflict_do_nothing(index_elements=["subject_id"])
            .returning(SubjectSalt.salt)
        )
        if salt is None:
            salt = await session.scalar(select)
    assert salt is not None
    known[subject_id] = bytes(salt)
    return known[subject_id]  # type: ignore[no-any-return]


_SALTS = "pdex.ledger.salts"  # session.info key: salts the caller read in this transaction


def salt_column(subject: sa.ColumnElement[str]) -> sa.ScalarSelect[bytes | None]:
    """The salt of `subject` as a column of the caller's own statement (NULL before the
    subject's first entry): read with it, then `remember_salt`, and `append` needs no read."""
    return sa.select(SubjectSalt.salt).where(SubjectSalt.subject_id == subject).scalar_subquery()


def remember_salt(session: AsyncSession, subject_id: str, salt: bytes | None) -> None:
    """A salt read by `salt_column` in this transaction, or None: the subject had none then
    (salts never change; an erasure deletes the row in a transaction of its own)."""
    session.sync_session.info.setdefault(_SALTS, {})[subject_id] = salt and bytes(salt)


async def commitment_for(session: AsyncSession, subject_id: str) -> str:
    return subject_commitment(await subject_salt(session, subject_id), subject_id)


async def subject_identity(session: AsyncSession, actor: Principal | None) -> tuple[bytes, str]:
    """A data subject's own salt and commitment: with them they can show an entry is theirs."""
    actor = require(actor, Role.DATA_SUBJECT)
    salt = await subject_salt(session, actor.subject)
    return salt, subject_commitment(salt, actor.subject)


async def actor_document(session: AsyncSession, actor: Principal | None) -> dict[str, Any]:
    """Who did it. A data subject acting for themself appears only as a commitment."""
    if actor is None:
        return SYSTEM_ACTOR
    sub = actor.subject
    if Role.DATA_SUBJECT in actor.roles and actor.organization_id is None:
        sub = "commitment:" + await commitment_for(session, actor.subject)
    return {
        "org": str(actor.organization_id) if actor.organization_id else None,
        "roles": sorted(r.value for r in actor.roles),
        "sub": sub,
    }


@dataclass(frozen=True)
class _Tip:
    """The head of the log: its size, last entry hash and frontier (Merkle subtree roots)."""

    size: int
    last_hash: str
    frontier: tuple[bytes, ...]


class _Appender:
    """Per engine: the queue appenders take turns in, and the tip this process last wrote."""

    def __init__(self) -> None:
        self.turn = asyncio.Lock()
        self.tip: _Tip | None = None


_appenders: weakref.WeakKeyDictionary[Any, _Appender] = weakref.WeakKeyDictionary()
_TURN = "pdex.ledger.appender"  # session.info key: the appender whose turn this session holds


@sa.event.listens_for(Session, "after_commit")
def _end_turn_on_commit(session: Session) -> None:
    session.info.pop(_SALTS, None)  # known for one transaction: an erasure may follow
    appender = session.info.pop(_TURN, None)
    if appender is not None:
        appender.turn.release()


@sa.event.listens_for(Session, "after_rollback")
@sa.event.listens_for(Session, "after_soft_rollback")
def _end_turn_on_rollback(session: Session, *_: Any) -> None:
    session.info.pop(_SALTS, None)
    appender = session.info.pop(_TURN, None)
    if appender is not None:
        appender.tip = None  # what this transaction wrote is gone: re-read next time
        appender.turn.release()


async def _take_turn(session: AsyncSession) -> _Appender:
    """Queue behind this process's other appenders until this transaction ends."""
    engine = session.bind
    appender = _appenders.get(engine)
    if appender is None:
        appender = _appenders[engine] = _Appender()
    if _TURN not in session.sync_session.info:
        await _begin(session)  # before queueing, not while others wait
        await appender.turn.acquire()
        session.sync_session.info[_TURN] = appender
    return appender


async def _driver_connection(session: AsyncSession) -> Any:
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def _begin(session: AsyncSession) -> None:
    """Make sure the transaction has begun on the database, not just in SQLAlchemy.

    (SQLAlchemy's asyncpg adapter sends BEGIN with the first statement; the fast write goes
    to the driver directly, so if it were first it would run outside the transaction.)
    """
    connection = await session.connection()
    if session.bind.dialect.name == "postgresql":
        raw = await _driver_connection(session)
        if not raw.is_in_transaction():
            await connection.exec_driver_sql("SELECT 1")
            assert raw.is_in_transaction()


async def _read_tip(session: AsyncSession) -> _Tip:
    statement = sa.select(LedgerHead.size, LedgerHead.last_hash, LedgerHead.frontier).where(
        LedgerHead.id == 1
    )
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = (await session.execute(statement)).one()
    return _Tip(row.size, row.last_hash, tuple(bytes.fromhex(h) for h in json.loads(row.frontier)))


# PostgreSQL: one round trip. The head update is conditional on the tip the entry was chained
# to; the inserts only happen if it matched. Foreign keys are checked at the statement's end.
_PG_WRITE_SQL = """
WITH head AS (
  UPDATE ledger_head SET size = $9, last_hash = $8, frontier = $10
  WHERE id = 1 AND size = $1 AND last_hash = $5
  RETURNING id
), entry AS (
  INSERT INTO ledger_entry (seq, kind, actor, at, prev, body, subjects, hash)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM head
), node AS (
  INSERT INTO ledger_node (level, idx, hash)
  SELECT n.* FROM unnest($11::smallint[], $12::bigint[], $13::bytea[]) AS n, head
), party AS (
  INSERT INTO ledger_party (party, seq) SELECT p, $1 FROM unnest($14::text[]) AS p, head
)
SELECT count(*) FROM head
"""


async def _write(
    session: AsyncSession,
    entry: dict[str, Any],
    nodes: list[tuple[int, int, bytes]],
    parties: list[str],
    tip: _Tip,
    new_tip: _Tip,
) -> bool:
    """Move the head from `tip` to `new_tip` and write the entry; False if `tip` is stale."""
    frontier = json.dumps([h.hex() for h in new_tip.frontier])
    if session.bind.dialect.name == "postgresql":
        # The driver directly: SQLAlchemy's execution path costs more than the round trip
        # here. Same connection, same transaction (`_take_turn` made sure it has begun).
        raw = await _driver_connection(session)
        written = await raw.fetchval(
            _PG_WRITE_SQL,
            entry["seq"],
            entry["kind"],
            entry["actor"],
            entry["at"],
            entry["prev"],
            entry["body"],
            entry["subjects"],
            entry["hash"],
            new_tip.size,
            frontier,
            [n[0] for n in nodes],
            [n[1] for n in nodes],
            [n[2] for n in nodes],
            parties,
        )
        return written == 1
    # SQLite: in-process, so separate statements cost little; its one writer connection
    # (BEGIN IMMEDIATE) already holds the database's write lock.
    moved = await session.execute(
        sa.update(LedgerHead)
        .where(
            LedgerHead.id == 1, LedgerHead.size == tip.size, LedgerHead.last_hash == tip.last_hash
        )
        .values(size=new_tip.size, last_hash=new_tip.last_hash, frontier=frontier)
    )
    if moved.rowcount != 1:
        return False
    await session.execute(sa.insert(LedgerEntry), [entry])
    await session.execute(
        sa.insert(LedgerNode), [{"level": lv, "idx": ix, "hash": h} for lv, ix, h in nodes]
    )
    if parties:
        await session.execute(
            sa.insert(LedgerParty), [{"party": p, "seq": entry["seq"]} for p in parties]
        )
    return True


def _chain(
    tip: _Tip, kind: str, actor: dict[str, Any], at: str, body: dict[str, Any], subjects: list[str]
) -> tuple[dict[str, Any], list[tuple[int, int, bytes]], _Tip]:
    """The entry row chained to `tip`, the tree nodes it completes, and the new tip."""
    document = entry_document(tip.size, kind, actor, at, tip.last_hash, body, subjects)
    digest = leaf_hash(canonical_json(document))
    frontier, nodes = append_leaf(list(tip.frontier), tip.size, digest)
    row = {
        "seq": tip.size,
        "kind": kind,
        "actor": canonical_json(actor).decode(),
        "at": at,
        "prev": tip.last_hash,
        "body": canonical_json(body).decode(),
        "subjects": canonical_json(subjects).decode(),
        "hash": digest.hex(),
    }
    return row, nodes, _Tip(tip.size + 1, digest.hex(), tuple(frontier))


# Art. 24: every recorded fact joins one hash-chained, append-only log (the trusted chain)
async def append(
    session: AsyncSession,
    kind: str,
    actor: Principal | None,
    body: Mapping[str, Any],
    *,
    subjects: Iterable[str] = (),
    parties: Iterable[uuid.UUID] = (),
) -> LedgerEntry:
    """Record one fact: `kind` a `ledger.Kind` (`registry.asset.registered`; its body's meaning
    is in `ledger.kinds.MEANINGS`), a JSON `body` (no floats: money and large numbers as
    strings), the data `subjects` it concerns (stored only as salted commitments) and the
    organisations that are party to it (who may read it)."""
    kind = str(kind)  # a Kind member is stored as its plain value
    subject_ids = list(dict.fromkeys(subjects))
    actor_doc = await actor_document(session, actor)
    commitments = [await commitment_for(session, s) for s in subject_ids]
    body_doc = dict(body)
    canonical_json(body_doc)  # fail early, before taking a turn, on a float or a bad key
    party_keys = {f"org:{org}" for org in parties}
    if actor is not None and actor.organization_id is not None:
        party_keys.add(f"org:{actor.organization_id}")
    party_keys.update(f"subject:{s}" for s in subject_ids)
    if actor is not None and Role.DATA_SUBJECT in actor.roles:
        party_keys.add(f"subject:{actor.subject}")
    party_list = sorted(party_keys)

    appender = await _take_turn(session)
    at = format_time(now())
    tip = appender.tip or await _read_tip(session)
    row, nodes, new_tip = _chain(tip, kind, actor_doc, at, body_doc, commitments)
    if not await _write(session, row, nodes, party_list, tip, new_tip):
        tip = await _read_tip(session)  # another process appended: chain to the real head
        row, nodes, new_tip = _chain(tip, kind, actor_doc, at, body_doc, commitments)
        if not await _write(session, row, nodes, party_list, tip, new_tip):
            raise RuntimeError("ledger head moved while locked: the store is inconsistent")
    appender.tip = new_tip
    return LedgerEntry.model_construct(**row)
