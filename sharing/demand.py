"""The demand list (Art. 9): what an agency needs from others — data items (or a whole
resource), the scenario and the legal duty it serves. Each item's source department sees the
demands naming its items; the data authority sees unmet demand across the city. A demand is
MET once a grant to its agency covers all its items."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

import ledger
from core.batching import fetch_by_ids, many_each
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from registry import DataItem, Resource, ResourceItem
from sharing.errors import Code
from sharing.models import DemandStatus, ShareDemand, ShareDemandItem


@dataclass(frozen=True)
class DemandFields:
    scenario: str
    legal_duty: str
    items: tuple[str, ...] = ()  # data item codes
    resource_id: uuid.UUID | None = None  # a whole resource: its items


async def _fact(
    session: AsyncSession, actor: Principal, demand: ShareDemand, kind: ledger.Kind, **body: object
) -> ledger.Fact:
    sources = await session.scalars(
        sa.select(ShareDemandItem.source_department_id)
        .where(ShareDemandItem.demand_id == demand.id)
        .distinct()
    )
    return await ledger.append(
        session,
        kind,
        actor,
        {"demand": str(demand.id), "status": demand.status.value, **body},
        parties=[demand.requester_id, *sorted(set(sources))],
    )


# Art. 9: an agency keeps a demand list of the data it needs from others
async def declare_data_demand(
    session: AsyncSession, actor: Principal | None, fields: DemandFields
) -> ShareDemand:
    actor = require(actor, Role.AGENCY)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no organisation.")
    scenario, duty = fields.scenario.strip(), fields.legal_duty.strip()
    problems = []
    if not scenario or len(scenario) > 2000:
        problems.append(
            Problem(Code.SCENARIO_REQUIRED, "Describe the scenario (1-2000).", "scenario")
        )
    if not duty or len(duty) > 2000:
        problems.append(
            Problem(
                Code.LEGAL_DUTY_REQUIRED, "Name the legal duty it serves (1-2000).", "legal_duty"
            )
        )
    if not fields.items and fields.resource_id is None:
        problems.append(Problem(Code.ITEMS_REQUIRED, "Name data items or a resource.", "items"))
    if problems:
        raise UserError.of(problems)
    codes = sorted({c.strip() for c in fields.items})
    if fields.resource_id is not None:
        if await session.get(Resource, fields.resource_id) is None:
            raise UserError(Code.RESOURCE_NOT_FOUND, "No resource has this id.", "resource_id")
        codes = codes or list(
            await session.scalars(
                sa.select(DataItem.code)
                .join(ResourceItem, ResourceItem.data_item_id == DataItem.id)
                .where(ResourceItem.resource_id == fields.resource_id)
            )
        )
    items = list(await session.scalars(sa.select(DataItem).where(DataItem.code.in_(codes))))
    missing = sorted(set(codes) - {i.code for i in items})
    if missing:
        raise UserError(
            Code.DATA_ITEM_NOT_FOUND, f"No data item has the code {missing[0]}.", "items"
        )
    own = [i.code for i in items if i.source_department_id == actor.organization_id]
    if own:
        raise UserError(Code.OWN_ITEM, f"{own[0]} is your own data item.", "items")
    demand = ShareDemand(
        requester_id=actor.organization_id,
        resource_id=fields.resource_id,
        scenario=scenario,
        legal_duty=duty,
        status=DemandStatus.OPEN,
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(demand)
    await session.flush()
    session.add_all(
        ShareDemandItem(
            demand_id=demand.id, data_item_id=i.id, source_department_id=i.source_department_id
        )
        for i in items
    )
    await session.flush()
    fact = await _fact(
        session, actor, demand, ledger.Kind.DEMAND_DECLARED, items=sorted(codes), scenario=scenario,
        legalDuty=duty,
    )  # fmt: skip
    fact.stamp(demand)
    return demand


async def withdraw_data_demand(
    session: AsyncSession, actor: Principal | None, demand_id: uuid.UUID
) -> ShareDemand:
    actor = require(actor, Role.AGENCY)
    demand = await session.get(ShareDemand, demand_id, with_for_update=True)
    if demand is None:
        raise UserError(Code.DEMAND_NOT_FOUND, "No demand has this id.", "demand_id")
    if demand.requester_id != actor.organization_id:
        raise Forbidden("Only the agency that declared a demand withdraws it.")
    if demand.status is not DemandStatus.OPEN:
        raise UserError(Code.DEMAND_NOT_OPEN, "Only an open demand can be withdrawn.", "demand_id")
    demand.status = DemandStatus.WITHDRAWN
    await session.flush()
    await _fact(session, actor, demand, ledger.Kind.DEMAND_WITHDRAWN)
    return demand


async def meet_demands(
    session: AsyncSession, grantee_id: uuid.UUID, granted: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Open demands of `grantee_id` whose items the granted items now cover become MET (no
    separate fact: the grant's own ledger entry says what was granted)."""
    covered = set(granted)
    rows = await session.execute(
        sa.select(ShareDemandItem.demand_id, ShareDemandItem.data_item_id)
        .join(ShareDemand, ShareDemand.id == ShareDemandItem.demand_id)
        .where(ShareDemand.requester_id == grantee_id, ShareDemand.status == DemandStatus.OPEN)
    )
    needs: dict[uuid.UUID, set[uuid.UUID]] = {}
    for demand_id, item_id in rows:
        needs.setdefault(demand_id, set()).add(item_id)
    met = [d for d, items in needs.items() if items <= covered]
    if met:
        await session.execute(
            sa.update(ShareDemand).where(ShareDemand.id.in_(met)).values(status=DemandStatus.MET)
        )
    return met


@dataclass(frozen=True)
class DemandFilter:
    status: DemandStatus | None = None
    mine: bool | None = None  # agencies: True → declared by me; False → naming my items


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """The authority and auditors see every demand; an agency its own and those naming the
    items it is the source department of."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.organization_id is None:
        return sa.false()
    return sa.or_(ShareDemand.requester_id == actor.organization_id, _names_items_of(actor))


def _names_items_of(actor: Principal) -> sa.ColumnElement[bool]:
    return (
        sa.exists()
        .where(
            ShareDemandItem.demand_id == ShareDemand.id,
            ShareDemandItem.source_department_id == actor.organization_id,
        )
        .correlate(ShareDemand)
    )


async def list_data_demands(
    session: AsyncSession,
    actor: Principal | None,
    where: DemandFilter,
    *,
    first: int,
    after: str | None = None,
) -> Page[ShareDemand]:
    actor = require(actor, Role.AUTHORITY, Role.AUDITOR, Role.AGENCY)
    statement = sa.select(ShareDemand).where(visible_to(actor))
    if where.status is not None:
        statement = statement.where(ShareDemand.status == where.status)
    if where.mine is not None and actor.organization_id is not None:
        mine = ShareDemand.requester_id == actor.organization_id
        statement = statement.where(mine if where.mine else _names_items_of(actor))
    return await paginate(
        session,
        statement,
        sort=ShareDemand.created_at,
        id_column=ShareDemand.id,
        first=first,
        after=after,
        newest_first=True,
    )


async def items_of_demands(
    session: AsyncSession, demand_ids: Sequence[uuid.UUID]
) -> list[list[DataItem]]:
    rows = await session.execute(
        sa.select(ShareDemandItem.demand_id, DataItem)
        .join(DataItem, DataItem.id == ShareDemandItem.data_item_id)
        .where(ShareDemandItem.demand_id.in_(set(demand_ids)))
        .order_by(DataItem.code)
    )
    pairs = list(rows)
    return [[i for _, i in group] for group in many_each(demand_ids, pairs, lambda p: p[0])]


async def get_demands(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[ShareDemand | None]:
    return await fetch_by_ids(session, ShareDemand, ids, visible_to(actor))
