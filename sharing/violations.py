"""Violation candidates (Art. 17, 35): every use asked for outside a grant, counted against
the grantee. Agency supervision reads them per grantee and period: the
`share_violation_candidate` table and the `sharing.violation.counted` ledger facts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

import ledger
from core.batching import fetch_by_ids
from core.db import AsyncSession
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from sharing.models import ShareViolationCandidate, ViolationKind


# Art. 17: a use outside the grant is refused and counted as a violation candidate
async def record_violation(
    session: AsyncSession,
    actor: Principal | None,
    *,
    grantee_id: uuid.UUID,
    kind: ViolationKind,
    detail: str,
    action: ledger.Kind,
    grant_id: uuid.UUID | None = None,
    resource_id: uuid.UUID | None = None,
) -> ShareViolationCandidate:
    """Record the refusal (`action`, e.g. `sharing.ticket.refused`) and count it."""
    await ledger.append(
        session,
        action,
        actor,
        {"grant": str(grant_id) if grant_id else None, "reason": kind.value, "detail": detail},
        parties=[grantee_id],
    )
    candidate = ShareViolationCandidate(
        grantee_id=grantee_id,
        grant_id=grant_id,
        resource_id=resource_id,
        kind=kind,
        detail=detail[:2000],
        ledger_seq=ledger.UNSEQUENCED,
    )
    entry = await ledger.append(
        session,
        ledger.Kind.VIOLATION_COUNTED,
        actor,
        {
            "candidate": str(candidate.id),
            "grantee": str(grantee_id),
            "grant": str(grant_id) if grant_id else None,
            "kind": kind.value,
        },
        parties=[grantee_id],
    )
    entry.stamp(candidate)
    session.add(candidate)
    await session.flush()
    return candidate


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.organization_id is not None:
        return ShareViolationCandidate.grantee_id == actor.organization_id
    return sa.false()


async def list_violation_candidates(
    session: AsyncSession,
    actor: Principal | None,
    *,
    grantee_id: uuid.UUID | None = None,
    first: int,
    after: str | None = None,
) -> Page[ShareViolationCandidate]:
    actor = require(actor, Role.AUTHORITY, Role.AUDITOR, Role.AGENCY)
    statement = sa.select(ShareViolationCandidate).where(visible_to(actor))
    if grantee_id is not None:
        statement = statement.where(ShareViolationCandidate.grantee_id == grantee_id)
    return await paginate(
        session,
        statement,
        sort=ShareViolationCandidate.at,
        id_column=ShareViolationCandidate.id,
        first=first,
        after=after,
        newest_first=True,
    )


async def violation_counts(
    session: AsyncSession, since: datetime, until: datetime, grantee_ids: Sequence[uuid.UUID] = ()
) -> dict[uuid.UUID, int]:
    """Candidates per grantee in [since, until): what supervision scores (no permission check:
    for domains above, which check their own)."""
    v = ShareViolationCandidate
    statement = (
        sa.select(v.grantee_id, sa.func.count())
        .where(v.at >= since, v.at < until)
        .group_by(v.grantee_id)
    )
    if grantee_ids:
        statement = statement.where(v.grantee_id.in_(list(grantee_ids)))
    return {grantee: n for grantee, n in await session.execute(statement)}


async def get_violation_candidates(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[ShareViolationCandidate | None]:
    return await fetch_by_ids(session, ShareViolationCandidate, ids, visible_to(actor))
