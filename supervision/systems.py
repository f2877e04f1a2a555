"""The system inventory (Art. 9): each agency's information systems, with the SHA-256 of
their filed design and data-structure documents and the catalogue entries they feed; the
authority sees which catalogue entries have no system behind them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

import ledger
from core.batching import fetch_by_ids, fetch_children
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from registry import Resource
from supervision.access import own_agency, visible, visible_or_none
from supervision.errors import Code
from supervision.models import InformationSystem, SystemResource

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_RESOURCES = 200


@dataclass(frozen=True)
class SystemFields:
    name: str
    description: str
    design_doc_sha256: str
    data_structure_doc_sha256: str
    resource_ids: tuple[uuid.UUID, ...] = ()


# Art. 9: a system inventory with system design and data-structure documents filed
async def register_system(
    session: AsyncSession, actor: Principal | None, fields: SystemFields
) -> InformationSystem:
    actor = require(actor, Role.AGENCY)
    owner = own_agency(actor)
    name = fields.name.strip()
    design = fields.design_doc_sha256.strip().lower()
    structure = fields.data_structure_doc_sha256.strip().lower()
    problems = []
    if not name or len(name) > 200:
        problems.append(Problem(Code.NAME_REQUIRED, "Name the system (1-200 characters).", "name"))
    if len(fields.description) > 2000:
        problems.append(
            Problem(Code.DESCRIPTION_TOO_LONG, "At most 2000 characters.", "description")
        )
    if not SHA256_HEX.fullmatch(design):
        problems.append(
            Problem(
                Code.DOCUMENT_HASH_INVALID, "Give the SHA-256 (64 hex digits).", "design_doc_sha256"
            )
        )
    if not SHA256_HEX.fullmatch(structure):
        problems.append(
            Problem(
                Code.DOCUMENT_HASH_INVALID,
                "Give the SHA-256 (64 hex digits).",
                "data_structure_doc_sha256",
            )
        )
    ids = tuple(dict.fromkeys(fields.resource_ids))
    if len(ids) > MAX_RESOURCES:
        problems.append(
            Problem(Code.TOO_MANY_RESOURCES, f"At most {MAX_RESOURCES} entries.", "resources")
        )
    if problems:
        raise UserError.of(problems)
    if ids:
        owned = set(
            (
                await session.scalars(
                    sa.select(Resource.id).where(Resource.id.in_(ids), Resource.owner_id == owner)
                )
            ).all()
        )
        if owned != set(ids):
            raise UserError(
                Code.RESOURCE_NOT_OWNED,
                "A system feeds catalogue entries of its own agency only.",
                "resources",
            )
    taken = await session.scalar(
        sa.select(InformationSystem.id).where(
            InformationSystem.owner_id == owner, InformationSystem.name == name
        )
    )
    if taken is not None:
        raise UserError(Code.SYSTEM_NAME_TAKEN, "You registered a system with this name.", "name")
    system = InformationSystem(
        owner_id=owner,
        name=name,
        description=fields.description.strip(),
        design_doc_sha256=design,
        data_structure_doc_sha256=structure,
        registered_at=now(),
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(system)
    await session.flush()
    session.add_all(SystemResource(system_id=system.id, resource_id=r) for r in ids)
    entry = await ledger.append(
        session,
        ledger.Kind.SYSTEM_REGISTERED,
        actor,
        {"system": str(system.id), "owner": str(owner), "name": name,
         "designDocSha256": design, "dataStructureDocSha256": structure,
         "resources": sorted(str(r) for r in ids)},
        parties=[owner],
    )  # fmt: skip
    entry.stamp(system)
    return system


async def list_systems(
    session: AsyncSession,
    actor: Principal | None,
    *,
    owner_id: uuid.UUID | None,
    first: int,
    after: str | None,
) -> Page[InformationSystem]:
    """The authority (and its superior, auditors) sees every agency's systems; an agency its own."""
    actor = require(actor)
    statement = sa.select(InformationSystem).where(
        visible(actor, InformationSystem.owner_id, "System inventories")
    )
    if owner_id is not None:
        statement = statement.where(InformationSystem.owner_id == owner_id)
    return await paginate(
        session,
        statement,
        sort=InformationSystem.registered_at,
        id_column=InformationSystem.id,
        first=first,
        after=after,
    )


async def resources_of_systems(
    session: AsyncSession, system_ids: Sequence[uuid.UUID]
) -> list[list[uuid.UUID]]:
    """The catalogue entries each system feeds (batch getter)."""
    links = await fetch_children(
        session, SystemResource.system_id, system_ids, order_by=[SystemResource.resource_id]
    )
    return [[link.resource_id for link in group] for group in links]


# Art. 9: which catalogue entries have no registered system behind them
async def resources_without_system(
    session: AsyncSession,
    actor: Principal | None,
    *,
    owner_id: uuid.UUID | None,
    first: int,
    after: str | None,
) -> Page[Resource]:
    actor = require(actor)
    fed = sa.exists().where(SystemResource.resource_id == Resource.id)
    statement = sa.select(Resource).where(
        visible(actor, Resource.owner_id, "System inventories"), sa.not_(fed)
    )
    if owner_id is not None:
        statement = statement.where(Resource.owner_id == owner_id)
    return await paginate(
        session, statement, sort=Resource.code, id_column=Resource.id, first=first, after=after
    )


async def get_systems(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[InformationSystem | None]:
    condition = visible_or_none(actor, InformationSystem.owner_id)
    return await fetch_by_ids(
        session, InformationSystem, ids, sa.false() if condition is None else condition
    )
