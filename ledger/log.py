"""`append`: the one way any domain records a fact, inside the caller's transaction.

The head row is locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer
connection and `BEGIN IMMEDIATE`), so concurrent transactions take seq numbers one at a time
and each links to the one before: no gaps, no forks, no duplicates. The lock is held until the
caller's commit; a rollback takes the entry, its tree nodes and the head change with it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from core.clock import now
from core.db import AsyncSession
from core.identity import Principal, Role, require
from ledger.canonical import canonical_json, entry_document, format_time, subject_commitment
from ledger.merkle import append_leaf, leaf_hash
from ledger.models import LedgerEntry, LedgerHead, LedgerNode, LedgerParty, SubjectSalt

SYSTEM_ACTOR: dict[str, Any] = {"org": None, "roles": [], "sub": "pdex"}


async def subject_salt(session: AsyncSession, subject_id: str) -> bytes:
    """The subject's salt, made on first use. Kept outside the ledger (DESIGN.md)."""
    salt = await session.scalar(
        sa.select(SubjectSalt.salt).where(SubjectSalt.subject_id == subject_id)
    )
    if salt is None:
        salt = secrets.token_bytes(32)
        session.add(SubjectSalt(subject_id=subject_id, salt=salt))
        await session.flush()
    return salt


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


_local_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


async def _queue_locally(session: AsyncSession) -> None:
    """Take this process's turn before asking PostgreSQL for the head row lock.

    Appenders in one process then wait on an asyncio lock instead of each parking a pooled
    connection in a row-lock wait; the row lock still orders writers across processes. The
    turn ends when the caller's transaction does (commit or rollback).
    """
    engine = session.bind
    lock = _local_locks.setdefault(engine, asyncio.Lock())
    sync_session = session.sync_session
    if sync_session.info.get("ledger_turn"):
        return
    await lock.acquire()
    sync_session.info["ledger_turn"] = True

    def release(*_: Any) -> None:
        if sync_session.info.pop("ledger_turn", False):
            lock.release()

    for name in ("after_commit", "after_rollback", "after_soft_rollback"):
        sa.event.listen(sync_session, name, release, once=True)


async def _lock_head(session: AsyncSession) -> sa.Row[Any]:
    statement = sa.select(LedgerHead.size, LedgerHead.last_hash, LedgerHead.frontier).where(
        LedgerHead.id == 1
    )
    if session.bind.dialect.name == "postgresql":
        await _queue_locally(session)
        statement = statement.with_for_update()
    return (await session.execute(statement)).one()


# PostgreSQL: every write of one append in one round trip while the head lock is held.
# (Foreign keys are checked at the end of the statement, after the entry row exists.)
_PG_WRITE = sa.text(
    """
    WITH entry AS (
      INSERT INTO ledger_entry (seq, kind, actor, at, prev, body, subjects, hash)
      VALUES (:seq, :kind, :actor, :at, :prev, :body, :subjects, :hash)
    ), node AS (
      INSERT INTO ledger_node (level, idx, hash)
      SELECT * FROM unnest(:levels, :idxs, :hashes)
    ), party AS (
      INSERT INTO ledger_party (party, seq) SELECT unnest(:parties), :seq
    )
    UPDATE ledger_head SET size = :size, last_hash = :hash, frontier = :frontier WHERE id = 1
    """
).bindparams(
    sa.bindparam("levels", type_=ARRAY(sa.SmallInteger)),
    sa.bindparam("idxs", type_=ARRAY(sa.BigInteger)),
    sa.bindparam("hashes", type_=ARRAY(sa.LargeBinary)),
    sa.bindparam("parties", type_=ARRAY(sa.Text)),
)


async def append(
    session: AsyncSession,
    kind: str,
    actor: Principal | None,
    body: Mapping[str, Any],
    *,
    subjects: Iterable[str] = (),
    parties: Iterable[uuid.UUID] = (),
) -> LedgerEntry:
    """Record one fact: `kind` like `registry.asset.registered`, a JSON `body` (no floats:
    money and large numbers as strings), the data `subjects` it concerns (stored only as
    salted commitments) and the organisations that are party to it (who may read it)."""
    subject_ids = list(dict.fromkeys(subjects))
    actor_doc = await actor_document(session, actor)
    commitments = [await commitment_for(session, s) for s in subject_ids]
    body_doc = dict(body)
    canonical_json(body_doc)  # fail early, before the head is locked, on a float or a bad key
    party_keys = {f"org:{org}" for org in parties}
    if actor is not None and actor.organization_id is not None:
        party_keys.add(f"org:{actor.organization_id}")
    party_keys.update(f"subject:{s}" for s in subject_ids)
    if actor is not None and Role.DATA_SUBJECT in actor.roles:
        party_keys.add(f"subject:{actor.subject}")

    head = await _lock_head(session)
    seq = head.size
    document = entry_document(
        seq, kind, actor_doc, format_time(now()), head.last_hash, body_doc, commitments
    )
    digest = leaf_hash(canonical_json(document))
    frontier = [bytes.fromhex(h) for h in json.loads(head.frontier)]
    frontier, nodes = append_leaf(frontier, seq, digest)
    entry = LedgerEntry(
        seq=seq,
        kind=kind,
        actor=canonical_json(actor_doc).decode(),
        at=document["at"],
        prev=head.last_hash,
        body=canonical_json(body_doc).decode(),
        subjects=canonical_json(commitments).decode(),
        hash=digest.hex(),
    )
    row = entry.model_dump()
    new_head = {"size": seq + 1, "frontier": json.dumps([h.hex() for h in frontier])}
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            _PG_WRITE,
            {
                **row,
                **new_head,
                "levels": [n[0] for n in nodes],
                "idxs": [n[1] for n in nodes],
                "hashes": [n[2] for n in nodes],
                "parties": sorted(party_keys),
            },
        )
    else:  # SQLite: in-process, so separate statements cost little
        await session.execute(sa.insert(LedgerEntry), [row])
        await session.execute(
            sa.insert(LedgerNode), [{"level": lv, "idx": ix, "hash": h} for lv, ix, h in nodes]
        )
        if party_keys:
            await session.execute(
                sa.insert(LedgerParty), [{"party": p, "seq": seq} for p in sorted(party_keys)]
            )
        await session.execute(
            sa.update(LedgerHead).where(LedgerHead.id == 1).values(last_hash=entry.hash, **new_head)
        )
    return entry
