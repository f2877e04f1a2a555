"""Chief data officers (Art. 28): appointed and ended per organisation; the history stays.

An organisation records its own CDO, or the data authority records one for it. At most one
appointment is current per organisation: a new one needs the current one ended first, so
the record never holds two officers at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

import ledger
from core.batching import fetch_by_ids
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization
from core.pagination import Page, paginate
from supervision.errors import Code
from supervision.models import ChiefDataOfficer


def _may_act_for(actor: Principal, organization_id: uuid.UUID) -> None:
    if actor.has(Role.AUTHORITY) or actor.organization_id == organization_id:
        return
    raise Forbidden("An organisation records its own chief data officer, or the authority does.")


# Art. 28: governments and departments establish chief data officers
async def appoint_cdo(
    session: AsyncSession,
    actor: Principal | None,
    organization_id: uuid.UUID,
    *,
    name: str,
    title: str,
) -> ChiefDataOfficer:
    actor = require(actor, Role.AUTHORITY, Role.AGENCY)
    _may_act_for(actor, organization_id)
    problems = []
    if not name.strip() or len(name.strip()) > 200:
        problems.append(Problem(Code.NAME_REQUIRED, "Give the officer's name (1-200).", "name"))
    if not title.strip() or len(title.strip()) > 200:
        problems.append(Problem(Code.TITLE_REQUIRED, "Give the officer's post (1-200).", "title"))
    if problems:
        raise UserError.of(problems)
    organization = await session.get(Organization, organization_id, with_for_update=True)
    if organization is None:
        raise UserError(Code.ORGANIZATION_NOT_FOUND, "No organisation has this id.", "organization")
    current = await _current(session, organization_id)
    if current is not None:
        raise UserError(
            Code.CDO_ALREADY_APPOINTED,
            f"{current.name} is the current chief data officer: end that appointment first.",
            "organization",
        )
    officer = ChiefDataOfficer(
        organization_id=organization_id,
        name=name.strip(),
        title=title.strip(),
        appointed_at=now(),
        appointed_by_id=actor.organization_id or organization_id,
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(officer)
    await session.flush()
    entry = await ledger.append(
        session,
        ledger.Kind.CDO_APPOINTED,
        actor,
        {"cdo": str(officer.id), "organization": str(organization_id), "name": officer.name,
         "title": officer.title},
        parties=[organization_id],
    )  # fmt: skip
    entry.stamp(officer)
    return officer


async def end_cdo(
    session: AsyncSession, actor: Principal | None, cdo_id: uuid.UUID, *, reason: str
) -> ChiefDataOfficer:
    actor = require(actor, Role.AUTHORITY, Role.AGENCY)
    officer = await session.get(ChiefDataOfficer, cdo_id, with_for_update=True)
    if officer is None or not (
        actor.has(Role.AUTHORITY) or actor.organization_id == officer.organization_id
    ):
        raise UserError(Code.CDO_NOT_FOUND, "No appointment of yours has this id.", "id")
    if officer.ended_at is not None:
        raise UserError(Code.CDO_ALREADY_ENDED, "This appointment has ended already.", "id")
    if not reason.strip() or len(reason.strip()) > 2000:
        raise UserError(Code.REASON_REQUIRED, "Say why the appointment ends (1-2000).", "reason")
    officer.ended_at = now()
    officer.end_reason = reason.strip()
    await ledger.append(
        session,
        ledger.Kind.CDO_ENDED,
        actor,
        {"cdo": str(officer.id), "organization": str(officer.organization_id),
         "reason": officer.end_reason},
        parties=[officer.organization_id],
    )  # fmt: skip
    return officer


async def _current(session: AsyncSession, organization_id: uuid.UUID) -> ChiefDataOfficer | None:
    return await session.scalar(
        sa.select(ChiefDataOfficer).where(
            ChiefDataOfficer.organization_id == organization_id,
            ChiefDataOfficer.ended_at.is_(None),
        )
    )


# Art. 28: who is (and was) each organisation's chief data officer
async def list_cdos(
    session: AsyncSession,
    actor: Principal | None,
    *,
    organization_id: uuid.UUID | None,
    current_only: bool,
    first: int,
    after: str | None,
) -> Page[ChiefDataOfficer]:
    """Anyone signed in: CDOs are public officials, their appointments public record."""
    require(actor)
    statement = sa.select(ChiefDataOfficer)
    if organization_id is not None:
        statement = statement.where(ChiefDataOfficer.organization_id == organization_id)
    if current_only:
        statement = statement.where(ChiefDataOfficer.ended_at.is_(None))
    return await paginate(
        session,
        statement,
        sort=ChiefDataOfficer.appointed_at,
        id_column=ChiefDataOfficer.id,
        first=first,
        after=after,
    )


async def get_cdos(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[ChiefDataOfficer | None]:
    """Appointments by id: anyone signed in (public record)."""
    return await fetch_by_ids(
        session, ChiefDataOfficer, ids, sa.true() if actor is not None else sa.false()
    )
