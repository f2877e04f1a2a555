"""De-identification records (Art. 18): an entry holding personal information may be OPEN or
CONDITIONAL_OPEN only once its owner has recorded how it was de-identified — the method, the
day it was done and who checked it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

import ledger
from core.batching import fetch_children
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from registry.errors import Code
from registry.models import Deidentification, OpenType, Resource


async def record_deidentification(
    session: AsyncSession,
    actor: Principal | None,
    resource_id: uuid.UUID,
    *,
    method: str,
    performed_on: date,
    checked_by: str,
) -> Deidentification:
    actor = require(actor, Role.AGENCY)
    method, checked_by = method.strip(), checked_by.strip()
    problems = []
    if not method or len(method) > 200:
        problems.append(
            Problem(Code.METHOD_REQUIRED, "Name the method (1-200 characters).", "method")
        )
    if not checked_by or len(checked_by) > 200:
        problems.append(
            Problem(
                Code.CHECKED_BY_REQUIRED, "Name who checked it (1-200 characters).", "checked_by"
            )
        )
    if performed_on > now().date():
        problems.append(
            Problem(Code.PERFORMED_IN_FUTURE, "It cannot be done in the future.", "performed_on")
        )
    if problems:
        raise UserError.of(problems)
    resource = await session.get(Resource, resource_id)
    if resource is None:
        raise UserError(Code.RESOURCE_NOT_FOUND, "No such resource.", "resource_id")
    if resource.owner_id != actor.organization_id:
        raise Forbidden("Only the agency that owns a resource records its de-identification.")
    record = Deidentification(
        resource_id=resource.id, method=method, performed_on=performed_on,
        checked_by=checked_by, recorded_by_id=actor.organization_id, ledger_seq=ledger.UNSEQUENCED,
    )  # fmt: skip
    entry = await ledger.append(
        session,
        ledger.Kind.RESOURCE_DEIDENTIFIED,
        actor,
        {
            "resource": str(resource.id),
            "record": str(record.id),
            "method": method,
            "performedOn": performed_on.isoformat(),
            "checkedBy": checked_by,
        },
    )
    entry.stamp(record)
    session.add(record)
    await session.flush()
    return record


# Art. 18: personal information is opened only de-identified, with the record to show it
async def check_opening(
    session: AsyncSession,
    resource_id: uuid.UUID | None,
    open_type: OpenType,
    contains_personal_info: bool,
) -> None:
    if not contains_personal_info or open_type is OpenType.NOT_OPEN:
        return
    recorded = resource_id is not None and await session.scalar(
        sa.select(Deidentification.id).where(Deidentification.resource_id == resource_id).limit(1)
    )
    if not recorded:
        raise UserError(
            Code.DEIDENTIFICATION_REQUIRED,
            "An entry holding personal information is opened only once its de-identification "
            "is recorded (recordDeidentification): keep it NOT_OPEN until then.",
            "open_type",
        )


async def deidentifications_of(
    session: AsyncSession, resource_ids: Sequence[uuid.UUID]
) -> list[list[Deidentification]]:
    return await fetch_children(
        session,
        Deidentification.resource_id,
        resource_ids,
        order_by=(Deidentification.resource_id, Deidentification.recorded_at),
    )
