"""Grants (Art. 16, 17): what an approved request becomes — grantee, resource, exactly the
items approved, scenario, mode, valid until. The source department may suspend, reinstate
or revoke one, with a reason; each change is a ledger fact.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

import ledger
from core.batching import fetch_by_ids, many_each
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from registry import DataItem
from sharing.demand import meet_demands
from sharing.errors import Code
from sharing.models import (
    GRANT_TRANSITIONS,
    GrantStatus,
    ShareGrant,
    ShareGrantItem,
    ShareRequest,
)


async def _fact(
    session: AsyncSession,
    actor: Principal | None,
    grant: ShareGrant,
    kind: ledger.Kind,
    **body: object,
) -> ledger.Fact:
    return await ledger.append(
        session,
        kind,
        actor,
        {
            "grant": str(grant.id),
            "grantee": str(grant.grantee_id),
            "resource": str(grant.resource_id),
            "sourceDepartment": str(grant.source_department_id),
            "status": grant.status.value,
            **body,
        },
        parties=[grant.grantee_id, grant.source_department_id],
    )


# Art. 16: least privilege — exactly the items approved, one scenario, a mode, an end date
async def create_grant(
    session: AsyncSession,
    actor: Principal | None,
    request: ShareRequest,
    items: Sequence[DataItem],
) -> ShareGrant:
    """The grant of an approved request (called by `sharing.requests`, in its transaction)."""
    grant = ShareGrant(
        request_id=request.id,
        grantee_id=request.requester_id,
        resource_id=request.resource_id,
        source_department_id=request.source_department_id,
        purpose=request.purpose,
        scenario=request.scenario,
        mode=request.mode,
        valid_until=request.until,
        status=GrantStatus.ACTIVE,
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(grant)
    await session.flush()
    session.add_all(ShareGrantItem(grant_id=grant.id, data_item_id=i.id) for i in items)
    await session.flush()
    # Art. 9: the grantee's open demands this grant covers are met
    met = await meet_demands(session, grant.grantee_id, [i.id for i in items])
    fact = await _fact(
        session, actor, grant, ledger.Kind.SHARE_GRANTED,
        request=str(request.id), items=sorted(i.code for i in items), scenario=grant.scenario,
        purpose=grant.purpose, mode=grant.mode.value, validUntil=grant.valid_until.isoformat(),
        demandsMet=sorted(str(d) for d in met),
    )  # fmt: skip
    fact.stamp(grant)
    return grant


async def _locked(session: AsyncSession, grant_id: uuid.UUID) -> ShareGrant:
    grant = await session.scalar(
        sa.select(ShareGrant)
        .where(ShareGrant.id == grant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if grant is None:
        raise UserError(Code.GRANT_NOT_FOUND, "No grant has this id.", "grant_id")
    return grant


_STATUS_KINDS = {
    GrantStatus.ACTIVE: ledger.Kind.SHARE_GRANT_REINSTATED,
    GrantStatus.SUSPENDED: ledger.Kind.SHARE_GRANT_SUSPENDED,
    GrantStatus.REVOKED: ledger.Kind.SHARE_GRANT_REVOKED,
}


# Art. 16: the source department suspends, reinstates or revokes a grant with a reason
async def change_grant_status(
    session: AsyncSession,
    actor: Principal | None,
    grant_id: uuid.UUID,
    *,
    status: GrantStatus,
    reason: str,
) -> ShareGrant:
    actor = require(actor, Role.AGENCY)
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise UserError(Code.REASON_REQUIRED, "Give the reason (1-2000 characters).", "reason")
    grant = await _locked(session, grant_id)
    if grant.source_department_id != actor.organization_id:
        raise Forbidden("Only the source department of a grant changes it.")
    if status not in GRANT_TRANSITIONS[grant.status]:
        raise UserError(
            Code.GRANT_STATUS_INVALID,
            f"A grant that is {grant.status.value} cannot become {status.value}.",
            "status",
        )
    grant.status, grant.status_reason = status, reason
    await session.flush()
    await _fact(session, actor, grant, _STATUS_KINDS[status], reason=reason)
    return grant


async def end_grant_of_withdrawn(
    session: AsyncSession, actor: Principal | None, grant_id: uuid.UUID
) -> None:
    """A withdrawn request's grant ends with it (called by `sharing.requests`)."""
    grant = await _locked(session, grant_id)
    if grant.status is not GrantStatus.REVOKED:
        grant.status, grant.status_reason = GrantStatus.REVOKED, "request withdrawn"
        await session.flush()
        await _fact(
            session, actor, grant, ledger.Kind.SHARE_GRANT_REVOKED, reason="request withdrawn"
        )


def is_expired(grant: ShareGrant) -> bool:
    return grant.valid_until <= now()


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """The authority and auditors see every grant; an agency those it holds or gave."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.organization_id is not None:
        return sa.or_(
            ShareGrant.grantee_id == actor.organization_id,
            ShareGrant.source_department_id == actor.organization_id,
        )
    return sa.false()


@dataclass(frozen=True)
class GrantFilter:
    status: GrantStatus | None = None
    grantee_id: uuid.UUID | None = None
    source_department_id: uuid.UUID | None = None


async def list_grants(
    session: AsyncSession,
    actor: Principal | None,
    where: GrantFilter,
    *,
    first: int,
    after: str | None = None,
) -> Page[ShareGrant]:
    actor = require(actor, Role.AUTHORITY, Role.AUDITOR, Role.AGENCY)
    statement = sa.select(ShareGrant).where(visible_to(actor))
    if where.status is not None:
        statement = statement.where(ShareGrant.status == where.status)
    if where.grantee_id is not None:
        statement = statement.where(ShareGrant.grantee_id == where.grantee_id)
    if where.source_department_id is not None:
        statement = statement.where(ShareGrant.source_department_id == where.source_department_id)
    return await paginate(
        session,
        statement,
        sort=ShareGrant.created_at,
        id_column=ShareGrant.id,
        first=first,
        after=after,
        newest_first=True,
    )


async def get_grants(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[ShareGrant | None]:
    return await fetch_by_ids(session, ShareGrant, ids, visible_to(actor))


async def items_of_grants(
    session: AsyncSession, grant_ids: Sequence[uuid.UUID]
) -> list[list[DataItem]]:
    """The items each grant covers, by code: a DataLoader's batch."""
    rows = await session.execute(
        sa.select(ShareGrantItem.grant_id, DataItem)
        .join(DataItem, DataItem.id == ShareGrantItem.data_item_id)
        .where(ShareGrantItem.grant_id.in_(set(grant_ids)))
        .order_by(DataItem.code)
    )
    pairs = list(rows)
    return [[i for _, i in group] for group in many_each(grant_ids, pairs, lambda p: p[0])]
