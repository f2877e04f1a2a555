"""Fiscally funded IT projects (Art. 29, 30): filed with the public data they will produce,
approved only with that list, accepted only once every listed item is catalogued and, where
shareable, delivered at least once through the platform.

FILED → APPROVED → ACCEPTED. An agency graded lowest in its last evaluated period needs the
authority's explicit override, with a reason, to have a new project approved (Art. 30).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

import ledger
from authority import SubjectKind, SupervisionGrade
from core.batching import fetch_by_ids, fetch_children
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from registry import DataItem, Resource, ResourceItem, ShareType
from sharing import ShareRequest
from supervision.access import own_agency, visible, visible_or_none
from supervision.errors import Code
from supervision.models import (
    PROJECT_TRANSITIONS,
    AgencyScorecard,
    ItProject,
    ProjectItem,
    ProjectStatus,
)

MAX_ITEMS = 200
MAX_BUDGET = Decimal("1000000000000")


@dataclass(frozen=True)
class ProjectFields:
    name: str
    budget: Decimal
    data_items: tuple[str, ...] = ()  # data item codes the agency claims
    resource_codes: tuple[str, ...] = ()  # planned catalogue entries, by code


@dataclass(frozen=True)
class Gap:
    """One listed item not yet ready for acceptance, and why."""

    item: ProjectItem
    label: str  # the data item or resource code
    reason: str  # NOT_CATALOGUED | NOT_DELIVERED


# Art. 29: a fiscally funded IT project lists the public data it will produce
async def file_project(
    session: AsyncSession, actor: Principal | None, fields: ProjectFields
) -> ItProject:
    actor = require(actor, Role.AGENCY)
    agency = own_agency(actor)
    name = fields.name.strip()
    items = tuple(dict.fromkeys(c.strip() for c in fields.data_items if c.strip()))
    codes = tuple(dict.fromkeys(c.strip() for c in fields.resource_codes if c.strip()))
    problems = []
    if not name or len(name) > 200:
        problems.append(Problem(Code.NAME_REQUIRED, "Name the project (1-200 characters).", "name"))
    if not (fields.budget.is_finite() and Decimal(0) < fields.budget < MAX_BUDGET):
        problems.append(Problem(Code.BUDGET_INVALID, "A budget is above 0 (CNY).", "budget"))
    if len(items) + len(codes) > MAX_ITEMS:
        problems.append(Problem(Code.TOO_MANY_ITEMS, f"At most {MAX_ITEMS} items.", "data_items"))
    if any(len(c) > 64 for c in codes):
        problems.append(Problem(Code.RESOURCE_CODE_INVALID, "A code has at most 64 characters.",
                                "resource_codes"))  # fmt: skip
    if problems:
        raise UserError.of(problems)
    found = {
        row.code: row
        for row in (
            await session.scalars(sa.select(DataItem).where(DataItem.code.in_(items)))
        ).all()
    }
    missing = [c for c in items if c not in found or found[c].source_department_id != agency]
    if missing:
        raise UserError(
            Code.DATA_ITEM_NOT_OWNED,
            f"Not data items your agency claims: {', '.join(missing)}.",
            "data_items",
        )
    project = ItProject(
        agency_id=agency,
        name=name,
        budget=fields.budget,
        status=ProjectStatus.FILED,
        filed_at=now(),
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(project)
    await session.flush()
    session.add_all(
        [ProjectItem(project_id=project.id, data_item_id=found[c].id) for c in items]
        + [ProjectItem(project_id=project.id, resource_code=c) for c in codes]
    )
    entry = await ledger.append(
        session,
        ledger.Kind.PROJECT_FILED,
        actor,
        {"project": str(project.id), "agency": str(agency), "name": name,
         "budget": str(project.budget), "dataItems": list(items), "resourceCodes": list(codes)},
        parties=[agency],
    )  # fmt: skip
    entry.stamp(project)
    return project


async def _project(session: AsyncSession, project_id: uuid.UUID) -> ItProject:
    project = await session.get(ItProject, project_id, with_for_update=True)
    if project is None:
        raise UserError(Code.PROJECT_NOT_FOUND, "No IT project has this id.", "id")
    return project


def _move(project: ItProject, to: ProjectStatus) -> None:
    if to not in PROJECT_TRANSITIONS[project.status]:
        raise UserError(
            Code.PROJECT_STATUS_INVALID,
            f"A {project.status.value} project cannot become {to.value}.",
            "id",
        )
    project.status = to


async def last_grade(session: AsyncSession, agency_id: uuid.UUID) -> AgencyScorecard | None:
    """The agency's scorecard of its latest evaluated period."""
    return await session.scalar(
        sa.select(AgencyScorecard)
        .where(AgencyScorecard.agency_id == agency_id)
        .order_by(AgencyScorecard.period_end.desc(), AgencyScorecard.period_start.desc())
        .limit(1)
    )


async def _lowest_grade(session: AsyncSession) -> str | None:
    grades = (
        await session.scalars(
            sa.select(SupervisionGrade).where(SupervisionGrade.subject_kind == SubjectKind.AGENCY)
        )
    ).all()
    return min(grades, key=lambda g: Decimal(g.min_score)).grade if grades else None


# Art. 29: no data list, no approval; Art. 30: the last grade weighs on next year's approvals
async def approve_project(
    session: AsyncSession,
    actor: Principal | None,
    project_id: uuid.UUID,
    *,
    override_reason: str | None = None,
) -> ItProject:
    actor = require(actor, Role.AUTHORITY)
    project = await _project(session, project_id)
    _move(project, ProjectStatus.APPROVED)
    listed = await session.scalar(
        sa.select(sa.func.count()).where(ProjectItem.project_id == project.id)
    )
    if not listed:
        raise UserError(
            Code.PROJECT_DATA_LIST_MISSING,
            "Art. 29: a project is approved only with the list of public data it will produce.",
            "id",
        )
    reason = (override_reason or "").strip()
    if len(reason) > 2000:
        raise UserError(Code.REASON_TOO_LONG, "At most 2000 characters.", "override_reason")
    scorecard = await last_grade(session, project.agency_id)
    lowest = await _lowest_grade(session)
    graded_lowest = scorecard is not None and scorecard.grade == lowest
    if graded_lowest and not reason:
        raise UserError(
            Code.AGENCY_GRADE_NEEDS_OVERRIDE,
            f"Art. 30: the agency was graded {scorecard.grade} for the period ending "  # type: ignore[union-attr]
            f"{scorecard.period_end.date().isoformat()}; approve only with an override reason.",  # type: ignore[union-attr]
            "override_reason",
        )
    project.approved_at = now()
    project.override_reason = reason if graded_lowest else ""
    await ledger.append(
        session,
        ledger.Kind.PROJECT_APPROVED,
        actor,
        {"project": str(project.id), "agency": str(project.agency_id),
         "lastGrade": scorecard.grade if scorecard else None,
         "lastScorecard": str(scorecard.id) if scorecard else None,
         "overrideReason": project.override_reason or None},
        parties=[project.agency_id],
    )  # fmt: skip
    return project


async def project_gaps(session: AsyncSession, project: ItProject) -> list[Gap]:
    """Art. 29: the listed items not yet catalogued by the agency, or catalogued in a
    shareable entry never delivered through the platform."""
    items = (
        await session.scalars(
            sa.select(ProjectItem)
            .where(ProjectItem.project_id == project.id)
            .order_by(ProjectItem.id)
        )
    ).all()
    delivered = sa.exists().where(
        ShareRequest.resource_id == Resource.id, ShareRequest.delivered_at.is_not(None)
    )
    gaps = []
    for item in items:
        if item.data_item_id is not None:
            label = await session.scalar(
                sa.select(DataItem.code).where(DataItem.id == item.data_item_id)
            )
            entries = (
                sa.select(Resource.share_type, delivered.label("delivered"))
                .join(ResourceItem, ResourceItem.resource_id == Resource.id)
                .where(
                    ResourceItem.data_item_id == item.data_item_id,
                    Resource.owner_id == project.agency_id,
                )
            )
        else:
            label = item.resource_code
            entries = sa.select(Resource.share_type, delivered.label("delivered")).where(
                Resource.code == item.resource_code, Resource.owner_id == project.agency_id
            )
        rows = (await session.execute(entries)).all()
        if not rows:
            gaps.append(Gap(item, str(label), "NOT_CATALOGUED"))
            continue
        shareable = [r for r in rows if r.share_type is not ShareType.NOT_SHARED]
        if shareable and not any(r.delivered for r in shareable):
            gaps.append(Gap(item, str(label), "NOT_DELIVERED"))
    # the order `data_list` shows: data items, then planned entries, each by code
    return sorted(gaps, key=lambda g: (g.item.data_item_id is None, g.label))


# Art. 29: before acceptance the data is catalogued, aggregated and shared
async def accept_project(
    session: AsyncSession, actor: Principal | None, project_id: uuid.UUID
) -> ItProject:
    actor = require(actor, Role.AUTHORITY)
    project = await _project(session, project_id)
    _move(project, ProjectStatus.ACCEPTED)
    gaps = await project_gaps(session, project)
    if gaps:
        listed = "; ".join(f"{g.label}: {g.reason}" for g in gaps)
        raise UserError(
            Code.PROJECT_DATA_MISSING,
            f"Art. 29: not yet catalogued and shared through the platform: {listed}.",
            "id",
        )
    project.accepted_at = now()
    await ledger.append(
        session,
        ledger.Kind.PROJECT_ACCEPTED,
        actor,
        {"project": str(project.id), "agency": str(project.agency_id)},
        parties=[project.agency_id],
    )
    return project


async def list_projects(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: ProjectStatus | None,
    first: int,
    after: str | None,
) -> Page[ItProject]:
    actor = require(actor)
    statement = sa.select(ItProject).where(visible(actor, ItProject.agency_id, "IT projects"))
    if status is not None:
        statement = statement.where(ItProject.status == status)
    return await paginate(
        session, statement, sort=ItProject.filed_at, id_column=ItProject.id, first=first,
        after=after,
    )  # fmt: skip


async def get_projects(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[ItProject | None]:
    condition = visible_or_none(actor, ItProject.agency_id)
    return await fetch_by_ids(
        session, ItProject, ids, sa.false() if condition is None else condition
    )


async def items_of_projects(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> list[list[ProjectItem]]:
    return await fetch_children(
        session, ProjectItem.project_id, project_ids, order_by=[ProjectItem.id]
    )


async def data_list(session: AsyncSession, project: ItProject) -> list[str]:
    """The project's listed public data: data item codes, then planned entry codes."""
    rows = (
        await session.execute(
            sa.select(DataItem.code, ProjectItem.resource_code)
            .select_from(ProjectItem)
            .outerjoin(DataItem, DataItem.id == ProjectItem.data_item_id)
            .where(ProjectItem.project_id == project.id)
        )
    ).all()
    return sorted(code for code, _ in rows if code) + sorted(rc for _, rc in rows if rc)
