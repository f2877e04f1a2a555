"""`append`: the one way any domain records a fact, inside the caller's transaction.

An append queues the fact (`ledger_fact`) in the caller's transaction and takes no lock: the
fact exists exactly when the change it records has committed. The sequencer
(`ledger.sequencer`) then gives it its seq, chains it and adds it to the tree, in a batch
with the other facts committed by then; `Database.transaction` waits for that batch, so a
mutation still answers with its fact's seq. The subject salts live here too.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.clock import now
from core.db import AsyncSession, after_commit, before_commit, dialect_insert, within
from core.identity import Principal, Role, require
from ledger.canonical import canonical_json, format_time, subject_commitment
from ledger.models import LedgerFact, SubjectSalt
from ledger.sequencer import Fact, sequence_in, settle

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


_FACTS = "pdex.ledger.facts"  # session.info key: (savepoint, fact) appended in this transaction


@sa.event.listens_for(Session, "after_commit")
def _forget_salts_on_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_SALTS, None)  # known for one transaction: an erasure may follow


@sa.event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is None:  # the whole transaction: nothing was recorded
        session.info.pop(_SALTS, None)
        session.info.pop(_FACTS, None)
        return
    facts = session.info.get(_FACTS)  # a savepoint: only the facts appended inside it
    if facts:
        facts[:] = [(t, f) for t, f in facts if not within(t, savepoint)]


@sa.event.listens_for(Session, "before_commit")
def _refuse_unwritten_facts(session: Session) -> None:
    if not session.in_nested_transaction() and session.info.get(_FACTS):
        raise RuntimeError("ledger facts left unwritten: commit through Database.transaction")


_QUEUE = sa.insert(LedgerFact.__table__).returning(
    LedgerFact.__table__.c.id, sort_by_parameter_order=True
)


async def _queue(session: AsyncSession) -> None:
    """Before the commit: the transaction's facts into the queue, one statement for all;
    after it, wait for their batch."""
    facts = [fact for _, fact in session.sync_session.info.pop(_FACTS, ())]
    if not facts:
        return
    rows = [fact.queue_row() for fact in facts]
    ids = (await session.execute(_QUEUE, rows)).scalars().all()
    for fact, fact_id in zip(facts, ids, strict=True):
        fact.id = fact_id
    engine, known = session.bind, None
    if engine.dialect.name == "sqlite":
        # SQLite's one writer: this transaction holds the write lock already, so it sequences
        # its facts itself (and any left queued): a batch of its own after the commit would
        # cost a second transaction and batch nothing. The stamped rows are flushed first.
        await session.flush()
        known = await sequence_in(session)
    after_commit(session, lambda: settle(engine, facts, known), first=True)


# Art. 24: every recorded fact joins one hash-chained, append-only log (the trusted chain)
async def append(
    session: AsyncSession,
    kind: str,
    actor: Principal | None,
    body: Mapping[str, Any],
    *,
    subjects: Iterable[str] = (),
    parties: Iterable[uuid.UUID] = (),
    stamp: Iterable[Any] = (),
) -> Fact:
    """Record one fact: `kind` a `ledger.Kind` (`registry.asset.registered`; its body's meaning
    is in `ledger.kinds.MEANINGS`), a JSON `body` (no floats: money and large numbers as
    strings), the data `subjects` it concerns (stored only as salted commitments) and the
    organisations that are party to it (who may read it).

    The fact joins the ledger's queue as the caller's transaction commits, and the ledger
    only then: its seq, hash and prev are set once the sequencer has taken it, which
    `Database.transaction` waits for. Rows that record the seq (`ledger_seq`) are inserted
    with `UNSEQUENCED` and named in `stamp` (or `fact.stamp(row)` later in the transaction).
    """
    kind = str(kind)  # a Kind member is stored as its plain value
    subject_ids = list(dict.fromkeys(subjects))
    actor_doc = await actor_document(session, actor)
    commitments = [await commitment_for(session, s) for s in subject_ids]
    party_keys = {f"org:{org}" for org in parties}
    if actor is not None and actor.organization_id is not None:
        party_keys.add(f"org:{actor.organization_id}")
    party_keys.update(f"subject:{s}" for s in subject_ids)
    if actor is not None and Role.DATA_SUBJECT in actor.roles:
        party_keys.add(f"subject:{actor.subject}")
    fact = Fact(
        kind=kind,
        actor=canonical_json(actor_doc).decode(),
        at=format_time(now()),
        body=canonical_json(dict(body)).decode(),  # refuses a float or a bad key, here
        subjects=canonical_json(commitments).decode(),
        parties=sorted(party_keys),
    )
    fact.stamp(*stamp)
    info = session.sync_session.info
    if _FACTS not in info:
        info[_FACTS] = []
        before_commit(session, lambda: _queue(session))
    info[_FACTS].append((session.sync_session.get_nested_transaction(), fact))
    return fact
