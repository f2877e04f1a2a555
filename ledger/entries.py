"""Reading the log: who may see which entries (Art. 24, 27).

The data authority and auditors see every entry; anyone else sees the entries they are a
party to: their organisation acted or was named, or (a data subject) the entry concerns them.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.db import AsyncSession
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from ledger.models import LedgerEntry, LedgerParty

READ_ALL = (Role.AUTHORITY, Role.AUDITOR)


def party_keys(actor: Principal) -> list[str]:
    keys = []
    if actor.organization_id is not None:
        keys.append(f"org:{actor.organization_id}")
    if Role.DATA_SUBJECT in actor.roles:
        keys.append(f"subject:{actor.subject}")
    return keys


def visible_to(actor: Principal) -> sa.ColumnElement[bool]:
    if actor.has(*READ_ALL):
        return sa.true()
    return sa.exists().where(
        LedgerParty.seq == LedgerEntry.seq, LedgerParty.party.in_(party_keys(actor))
    )


async def get_entry(session: AsyncSession, actor: Principal | None, seq: int) -> LedgerEntry | None:
    """The entry, or None if it does not exist or the caller may not see it."""
    actor = require(actor)
    return await session.scalar(
        sa.select(LedgerEntry).where(LedgerEntry.seq == seq, visible_to(actor))
    )


async def list_entries(
    session: AsyncSession,
    actor: Principal | None,
    *,
    kind: str | None,
    first: int,
    after: str | None,
) -> Page[LedgerEntry]:
    actor = require(actor)
    statement = sa.select(LedgerEntry).where(visible_to(actor))
    if kind is not None:
        statement = statement.where(LedgerEntry.kind == kind)
    return await paginate(session, statement, sort=LedgerEntry.seq, first=first, after=after)
