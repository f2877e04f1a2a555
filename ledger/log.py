"""`append`: the one way any domain records a fact, inside the caller's transaction.

The head row is locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer
connection and `BEGIN IMMEDIATE`), so concurrent transactions take seq numbers one at a time
and each links to the one before: no gaps, no forks, no duplicates. The lock is held until the
caller's commit; a rollback takes the entry, its tree nodes and the head change with it.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from core.clock import now
from core.db import AsyncSession
from core.identity import Principal, Role
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


async def _lock_head(session: AsyncSession) -> LedgerHead:
    statement = sa.select(LedgerHead).where(LedgerHead.id == 1)
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update()
    head = (await session.execute(statement)).scalar_one()
    return head


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
    canonical_json(dict(body))  # fail early, before the head is locked, on a float or a bad key

    head = await _lock_head(session)
    seq = head.size
    document = entry_document(
        seq, kind, actor_doc, format_time(now()), head.last_hash, dict(body), commitments
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
        body=canonical_json(document["body"]).decode(),
        subjects=canonical_json(commitments).decode(),
        hash=digest.hex(),
    )
    session.add(entry)
    await session.flush()  # the entry first: party and node rows refer to it
    party_keys = {f"org:{org}" for org in parties}
    if actor is not None and actor.organization_id is not None:
        party_keys.add(f"org:{actor.organization_id}")
    party_keys.update(f"subject:{s}" for s in subject_ids)
    if actor is not None and Role.DATA_SUBJECT in actor.roles:
        party_keys.add(f"subject:{actor.subject}")
    values: list[dict[str, Any]] = [{"party": p, "seq": seq} for p in sorted(party_keys)]
    if values:
        await session.execute(sa.insert(LedgerParty), values)
    await session.execute(
        sa.insert(LedgerNode), [{"level": lv, "idx": ix, "hash": h} for lv, ix, h in nodes]
    )
    head.size = seq + 1
    head.last_hash = digest.hex()
    head.frontier = json.dumps([h.hex() for h in frontier])
    await session.flush()
    return entry
