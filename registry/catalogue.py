"""The resource catalogue (Art. 9-11, 14, 18): each agency keeps its own entries.

Only the owning agency creates and edits an entry; every version is kept as a change row
and recorded in the ledger. Anyone may browse the open catalogue without signing in.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import ledger
from core.batching import fetch_by_ids, fetch_children, many_each
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization
from core.pagination import Listing, Page, paginate_listing
from core.search import contains_text
from registry.deidentification import check_opening
from registry.errors import Code
from registry.freshness import stale_after
from registry.items import CODE
from registry.models import (
    DataItem,
    Delivery,
    OpenType,
    Resource,
    ResourceChange,
    ResourceItem,
    Sensitivity,
    ShareType,
    UpdateFrequency,
)

SEE_ALL = (Role.AUTHORITY, Role.AGENCY, Role.AUDITOR)


@dataclass(frozen=True)
class ResourceFields:
    """What an agency states about one resource."""

    code: str
    name: str
    description: str
    share_type: ShareType
    open_type: OpenType
    delivery: Delivery
    update_frequency: UpdateFrequency
    sensitivity: Sensitivity
    contains_personal_info: bool
    data_items: tuple[str, ...] = ()  # data item codes
    share_conditions: str = ""
    share_legal_basis: str = ""

    def cleaned(self) -> ResourceFields:
        return dataclasses.replace(
            self,
            code=self.code.strip(),
            name=self.name.strip(),
            description=self.description.strip(),
            share_conditions=self.share_conditions.strip(),
            share_legal_basis=self.share_legal_basis.strip(),
            data_items=tuple(dict.fromkeys(c.strip() for c in self.data_items)),
        )


def _problems(fields: ResourceFields) -> list[Problem]:
    problems = []
    if not CODE.fullmatch(fields.code):
        problems.append(
            Problem(
                Code.RESOURCE_CODE_INVALID,
                "A code is 2-64 letters, digits, '.', '_' or '-'.",
                "code",
            )
        )
    if not fields.name or len(fields.name) > 200:
        problems.append(Problem(Code.NAME_INVALID, "Give a name of 1-200 characters.", "name"))
    if len(fields.description) > 4000:
        problems.append(
            Problem(
                Code.DESCRIPTION_TOO_LONG,
                "Keep the description under 4,000 characters.",
                "description",
            )
        )
    # Art. 14: conditional sharing states its conditions.
    if fields.share_type is ShareType.CONDITIONAL and not fields.share_conditions:
        problems.append(
            Problem(
                Code.SHARE_CONDITIONS_REQUIRED,
                "Conditional sharing must state its conditions.",
                "share_conditions",
            )
        )
    # Art. 15: refusing to share cites the law, so an entry that is never shared cites it
    if fields.share_type is ShareType.NOT_SHARED and not fields.share_legal_basis:
        problems.append(
            Problem(
                Code.SHARE_LEGAL_BASIS_REQUIRED,
                "A resource that is not shared must cite the law that forbids sharing it.",
                "share_legal_basis",
            )
        )
    # DSL Art. 21: core data is under the strictest regime; never opened.
    if fields.sensitivity is Sensitivity.CORE and fields.open_type is not OpenType.NOT_OPEN:
        problems.append(
            Problem(
                Code.OPEN_TYPE_NOT_ALLOWED, "Core data cannot be opened to society.", "open_type"
            )
        )
    return problems


# Art. 8: a resource takes on only the data items its owner is the source department of
async def _owned_items(
    session: AsyncSession, owner_id: uuid.UUID, codes: Sequence[str], kept: Sequence[str] = ()
) -> list[DataItem]:
    """Art. 8: a resource takes on only data items its owner is the source department of.

    Items in `kept` are already on the resource: they stay even if the data authority has
    since transferred them to another agency (Art. 5-6), so that the old owner can still
    edit the entry; only the items being added are checked."""
    if not codes:
        return []
    found = {
        item.code: item
        for item in (
            await session.execute(sa.select(DataItem).where(DataItem.code.in_(codes)))
        ).scalars()
    }
    missing = [c for c in codes if c not in found]
    if missing:
        raise UserError(
            Code.DATA_ITEM_NOT_FOUND, f"No data item has the code {missing[0]}.", "data_items"
        )
    foreign = [c for c in codes if c not in kept and found[c].source_department_id != owner_id]
    if foreign:
        raise UserError(
            Code.DATA_ITEM_NOT_OWNED,
            f"Data item {foreign[0]} has another source department: claim your own items, "
            "or request this one through a share.",
            "data_items",
        )
    return [found[c] for c in codes]


async def find_resource(session: AsyncSession, code: str) -> Resource | None:
    """The catalogue entry with exactly this code (whoever may see it)."""
    return await session.scalar(sa.select(Resource).where(Resource.code == code.strip()))


def _state(resource: Resource, item_codes: Sequence[str]) -> dict[str, Any]:
    return {
        "code": resource.code,
        "name": resource.name,
        "description": resource.description,
        "shareType": resource.share_type.value,
        "shareConditions": resource.share_conditions,
        "shareLegalBasis": resource.share_legal_basis,
        "openType": resource.open_type.value,
        "delivery": resource.delivery.value,
        "updateFrequency": resource.update_frequency.value,
        "sensitivity": resource.sensitivity.value,
        "containsPersonalInfo": resource.contains_personal_info,
        "dataItems": sorted(item_codes),
    }


COLUMNS = tuple(f.name for f in dataclasses.fields(ResourceFields) if f.name != "data_items")


def _fields_of(resource: Resource, codes: Sequence[str]) -> ResourceFields:
    return ResourceFields(data_items=tuple(codes), **{n: getattr(resource, n) for n in COLUMNS})


def _apply(resource: Resource, fields: ResourceFields) -> None:
    for name in COLUMNS:
        setattr(resource, name, getattr(fields, name))
    resource.stale_after = stale_after(
        resource.update_frequency, resource.last_updated_at, resource.created_at
    )


async def _set_items(session: AsyncSession, resource: Resource, items: list[DataItem]) -> None:
    await session.execute(sa.delete(ResourceItem).where(ResourceItem.resource_id == resource.id))
    if items:
        await session.execute(
            sa.insert(ResourceItem),
            [{"resource_id": resource.id, "data_item_id": i.id} for i in items],
        )


async def _record(
    session: AsyncSession,
    actor: Principal,
    resource: Resource,
    kind: ledger.Kind,
    change: dict[str, Any],
) -> None:
    session.add(
        ResourceChange(
            resource_id=resource.id,
            version=resource.version,
            changed_by_id=actor.organization_id,
            change=json.dumps(change, sort_keys=True, ensure_ascii=False),
        )
    )
    await session.flush()
    await ledger.append(
        session,
        kind,
        actor,
        {
            "resource": str(resource.id),
            "code": resource.code,
            "version": resource.version,
            "change": change,
        },
    )


# Art. 9: an agency catalogues its resources; every version is kept and recorded
async def create_resource(
    session: AsyncSession, actor: Principal | None, fields: ResourceFields
) -> Resource:
    actor = require(actor, Role.AGENCY)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no agency.")
    fields = fields.cleaned()
    problems = _problems(fields)
    if problems:
        raise UserError.of(problems)
    await check_opening(session, None, fields.open_type, fields.contains_personal_info)
    items = await _owned_items(session, actor.organization_id, fields.data_items)
    if await find_resource(session, fields.code) is not None:
        raise UserError(
            Code.RESOURCE_CODE_TAKEN, f"A resource with code {fields.code} exists.", "code"
        )
    resource = Resource(owner_id=actor.organization_id, **{n: getattr(fields, n) for n in COLUMNS})
    resource.stale_after = stale_after(resource.update_frequency, None, resource.created_at)
    session.add(resource)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        if await find_resource(session, fields.code) is None:
            raise  # not a duplicate code (e.g. a foreign key): never reported as one
        raise UserError(
            Code.RESOURCE_CODE_TAKEN, f"A resource with code {fields.code} exists.", "code"
        ) from None
    await _set_items(session, resource, items)
    await _record(
        session,
        actor,
        resource,
        ledger.Kind.RESOURCE_CREATED,
        {"created": _state(resource, fields.data_items)},
    )
    return resource


# Art. 7: each agency answers for its own catalogue; only the owner edits an entry
async def _owned_resource(
    session: AsyncSession, actor: Principal, resource_id: uuid.UUID
) -> Resource:
    """The resource, locked for the edit; only its owning agency may change it (Art. 7)."""
    resource = await session.scalar(
        sa.select(Resource).where(Resource.id == resource_id).with_for_update()
    )
    if resource is None:
        raise UserError(Code.RESOURCE_NOT_FOUND, "No such resource.", "id")
    if resource.owner_id != actor.organization_id:
        raise Forbidden("Only the agency that owns a resource edits it.")
    return resource


async def item_codes(session: AsyncSession, resource_id: uuid.UUID) -> list[str]:
    result = await session.execute(
        sa.select(DataItem.code)
        .join(ResourceItem, ResourceItem.data_item_id == DataItem.id)
        .where(ResourceItem.resource_id == resource_id)
        .order_by(DataItem.code)
    )
    return list(result.scalars())


# Art. 9: the catalogue is maintained; each change is a new version with its diff
async def update_resource(
    session: AsyncSession, actor: Principal | None, resource_id: uuid.UUID, changes: dict[str, Any]
) -> Resource:
    """Change some fields (keys of `ResourceFields`); the whole entry is re-validated."""
    actor = require(actor, Role.AGENCY)
    resource = await _owned_resource(session, actor, resource_id)
    before_items = await item_codes(session, resource.id)
    before = _state(resource, before_items)
    current = _fields_of(resource, before_items)
    fields = dataclasses.replace(current, **changes).cleaned()
    problems = _problems(fields)
    if problems:
        raise UserError.of(problems)
    await check_opening(session, resource.id, fields.open_type, fields.contains_personal_info)
    items = await _owned_items(session, resource.owner_id, fields.data_items, before_items)
    if fields.code != resource.code and await find_resource(session, fields.code) is not None:
        raise UserError(
            Code.RESOURCE_CODE_TAKEN, f"A resource with code {fields.code} exists.", "code"
        )
    _apply(resource, fields)
    after = _state(resource, fields.data_items)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not diff:
        return resource  # nothing changed: no new version
    resource.version += 1
    if fields.data_items != tuple(before_items):
        await _set_items(session, resource, items)
    await _record(session, actor, resource, ledger.Kind.RESOURCE_UPDATED, diff)
    return resource


# Art. 11: a refresh is recorded and moves the resource's stale-after time
async def record_resource_update(
    session: AsyncSession, actor: Principal | None, resource_id: uuid.UUID, at: datetime
) -> Resource:
    """Art. 11: the agency refreshed the data at `at` (not in the future)."""
    actor = require(actor, Role.AGENCY)
    if at.tzinfo is None:
        raise UserError(Code.TIME_ZONE_REQUIRED, "Give the time with its UTC offset.", "updated_at")
    if at > now():
        raise UserError(Code.UPDATED_IN_FUTURE, "A refresh cannot be in the future.", "updated_at")
    resource = await _owned_resource(session, actor, resource_id)
    if resource.last_updated_at is not None and at < resource.last_updated_at:
        raise UserError(
            Code.UPDATE_OUT_OF_ORDER, "A later refresh is already recorded.", "updated_at"
        )
    previous = resource.last_updated_at
    resource.last_updated_at = at
    resource.stale_after = stale_after(resource.update_frequency, at, resource.created_at)
    resource.version += 1
    await _record(
        session,
        actor,
        resource,
        ledger.Kind.RESOURCE_REFRESHED,
        {"lastUpdatedAt": [previous.isoformat() if previous else None, at.isoformat()]},
    )
    return resource


# Art. 18: the open catalogue is public without login
def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """Art. 18: anyone sees the open catalogue; agencies, the authority and auditors see
    every entry; other signed-in users everything that may be opened on application."""
    if actor is None:
        return Resource.open_type == OpenType.OPEN
    if actor.has(*SEE_ALL):
        return sa.true()
    return Resource.open_type != OpenType.NOT_OPEN


@dataclass(frozen=True)
class ResourceFilter:
    owner_id: uuid.UUID | None = None
    share_type: ShareType | None = None
    open_type: OpenType | None = None
    stale: bool | None = None
    text: str | None = None


def stale(resource: Any, at: Any) -> sa.ColumnElement[bool]:
    """`is_stale` as SQL over `resource` (the Resource table or an alias of it) at `at` (a
    time or a bound parameter)."""
    return sa.and_(resource.stale_after.is_not(None), resource.stale_after < at)


def resource_listing(actor: Principal | None, where: ResourceFilter) -> Listing:
    """The catalogue entries `actor` may see that match `where`, by code: what
    `list_resources` pages, and what a compiled read (core.jsonread) selects from."""
    statement = sa.select(Resource).where(visible_to(actor))
    if where.owner_id is not None:
        statement = statement.where(Resource.owner_id == where.owner_id)
    if where.share_type is not None:
        statement = statement.where(Resource.share_type == where.share_type)
    if where.open_type is not None:
        statement = statement.where(Resource.open_type == where.open_type)
    if where.stale is not None:
        # Art. 11: stale resources, not refreshed at their frequency, are flagged
        overdue = stale(Resource, now())
        statement = statement.where(overdue if where.stale else sa.not_(overdue))
    if where.text:
        statement = statement.where(
            contains_text(where.text, Resource.name, Resource.description, Resource.code)
        )
    return Listing(statement, sort=Resource.code)


async def list_resources(
    session: AsyncSession,
    actor: Principal | None,
    where: ResourceFilter,
    *,
    first: int,
    after: str | None,
) -> Page[Resource]:
    listing = resource_listing(actor, where)
    return await paginate_listing(session, listing, first=first, after=after)


async def get_resources(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Resource | None]:
    return await fetch_by_ids(session, Resource, ids, visible_to(actor))


ITEM_ORDER = (DataItem.code,)  # a resource's data items, whoever reads them


async def items_of(
    session: AsyncSession, resource_ids: Sequence[uuid.UUID]
) -> list[list[DataItem]]:
    """Each resource's data items, in one statement: a DataLoader's batch."""
    result = await session.execute(
        sa.select(ResourceItem.resource_id, DataItem)
        .join(DataItem, DataItem.id == ResourceItem.data_item_id)
        .where(ResourceItem.resource_id.in_(set(resource_ids)))
        .order_by(*ITEM_ORDER)
    )
    pairs = list(result)
    return [[item for _, item in group] for group in many_each(resource_ids, pairs, lambda p: p[0])]


async def history_of(
    session: AsyncSession, resource_ids: Sequence[uuid.UUID]
) -> list[list[ResourceChange]]:
    return await fetch_children(
        session,
        ResourceChange.resource_id,
        resource_ids,
        order_by=(ResourceChange.resource_id, ResourceChange.version),
    )


# Art. 18: the open catalogue, for the open-data platform (DCAT export)
async def open_catalogue(session: AsyncSession) -> list[tuple[Resource, str]]:
    """Every OPEN resource with its publisher's name, for the DCAT export."""
    result = await session.execute(
        sa.select(Resource, Organization.name)
        .join(Organization, Organization.id == Resource.owner_id)
        .where(visible_to(None))
        .order_by(Resource.code)
    )
    return [(r, name) for r, name in result]
