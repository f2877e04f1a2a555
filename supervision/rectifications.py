"""Rectification orders (Art. 35, 33): the data authority orders an agency to rectify
findings within N working days; the agency reports what it did, with evidence; the
authority accepts (closed) or reopens; a deadline passed unrectified escalates to the
superior government (the `oversight` role), which reads the authority's decisions and their
reasons. Every step is a ledger fact.

ORDERED → REPORTED → ACCEPTED | REOPENED → REPORTED …; ORDERED or REOPENED past the due date
→ ESCALATED (still reportable). The transitions live in `RECTIFICATION_TRANSITIONS`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

import ledger
from core import deadlines, workdays
from core.batching import fetch_by_ids, fetch_children
from core.calendar import WorkingCalendar
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization, OrganizationKind
from core.pagination import Page, paginate
from supervision.access import own_agency, visible, visible_or_none
from supervision.errors import Code
from supervision.models import (
    RECTIFICATION_TRANSITIONS,
    Finding,
    Rectification,
    RectificationStatus,
)

MAX_WORKING_DAYS = 60
MAX_FINDINGS = 100
# Open and past due: escalated by the sweep (Art. 35: escalated when the deadline is missed)
DUE_STATUSES = (RectificationStatus.ORDERED, RectificationStatus.REOPENED)


RECTIFICATION_KINDS = {
    "ordered": ledger.Kind.RECTIFICATION_ORDERED,
    "reported": ledger.Kind.RECTIFICATION_REPORTED,
    "accepted": ledger.Kind.RECTIFICATION_ACCEPTED,
    "reopened": ledger.Kind.RECTIFICATION_REOPENED,
    "escalated": ledger.Kind.RECTIFICATION_ESCALATED,
}


@dataclass(frozen=True)
class RectificationOrder:
    agency_id: uuid.UUID
    finding_ids: tuple[uuid.UUID, ...]
    working_days: int
    instructions: str


async def _fact(
    session: AsyncSession, actor: Principal | None, row: Rectification, verb: str, **body: object
) -> ledger.Fact:
    return await ledger.append(
        session,
        RECTIFICATION_KINDS[verb],
        actor,
        {"rectification": str(row.id), "agency": str(row.agency_id), "status": row.status.value,
         **body},
        parties=[row.agency_id],
    )  # fmt: skip


# Art. 35: the data authority orders rectification within a time limit
async def order_rectification(
    session: AsyncSession, actor: Principal | None, order: RectificationOrder
) -> Rectification:
    actor = require(actor, Role.AUTHORITY)
    instructions = order.instructions.strip()
    ids = tuple(dict.fromkeys(order.finding_ids))
    problems = []
    if not 1 <= order.working_days <= MAX_WORKING_DAYS:
        problems.append(
            Problem(Code.WORKING_DAYS_INVALID, f"From 1 to {MAX_WORKING_DAYS} working days.",
                    "working_days")
        )  # fmt: skip
    if not instructions or len(instructions) > 4000:
        problems.append(
            Problem(Code.INSTRUCTIONS_REQUIRED, "Say what to rectify (1-4000 characters).",
                    "instructions")
        )  # fmt: skip
    if not ids or len(ids) > MAX_FINDINGS:
        problems.append(
            Problem(Code.FINDINGS_REQUIRED, f"Name 1 to {MAX_FINDINGS} findings.", "finding_ids")
        )
    if problems:
        raise UserError.of(problems)
    agency = await session.get(Organization, order.agency_id)
    if agency is None or agency.kind is not OrganizationKind.AGENCY:
        raise UserError(Code.AGENCY_NOT_FOUND, "No agency has this id.", "agency_id")
    findings = (
        await session.scalars(sa.select(Finding).where(Finding.id.in_(ids)).with_for_update())
    ).all()
    if len(findings) != len(ids) or any(f.agency_id != order.agency_id for f in findings):
        raise UserError(
            Code.FINDING_NOT_FOUND,
            "Every finding must exist and concern this agency.",
            "finding_ids",
        )
    if any(f.rectification_id is not None for f in findings):
        raise UserError(
            Code.FINDING_ALREADY_ORDERED,
            "A finding is under a rectification order already.",
            "finding_ids",
        )
    ordered = now()
    # Never refused for the calendar: a provisional year gives a provisional due date,
    # recounted when the authority enters the year (core.deadlines).
    due = await workdays.working_day_deadline(session, ordered, order.working_days)
    row = Rectification(
        agency_id=order.agency_id,
        status=RectificationStatus.ORDERED,
        instructions=instructions,
        working_days=order.working_days,
        ordered_by_id=actor.organization_id or order.agency_id,
        ordered_at=ordered,
        due_at=due.at,
        due_provisional=due.provisional,
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(row)
    await session.flush()
    for finding in findings:
        finding.rectification_id = row.id
    fact = await _fact(
        session, actor, row, "ordered",
        findings=sorted(str(f.id) for f in findings),
        articleItems=sorted({f.article_item for f in findings}),
        instructions=instructions, workingDays=order.working_days,
        dueAt=due.at.isoformat(), dueProvisional=due.provisional,
    )  # fmt: skip
    fact.stamp(row)
    return row


# Art. 35: a rectification's due date is recounted once its year's holidays are entered
@deadlines.holder("supervision.rectification")
async def recompute_due_dates(
    session: AsyncSession, calendar: WorkingCalendar
) -> list[deadlines.Recomputed]:
    return await deadlines.recount_due_dates(
        session, calendar, kind="supervision.rectification", model=Rectification,
        still_open=Rectification.status.in_(DUE_STATUSES),
        counted_from=lambda r: r.ordered_at, working_days=lambda r: r.working_days,
        parties=lambda r: (r.agency_id,),
    )  # fmt: skip


async def _locked(session: AsyncSession, rectification_id: uuid.UUID) -> Rectification:
    row = await session.scalar(
        sa.select(Rectification)
        .where(Rectification.id == rectification_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise UserError(Code.RECTIFICATION_NOT_FOUND, "No rectification has this id.", "id")
    return row


def _move(row: Rectification, to: RectificationStatus) -> None:
    if to not in RECTIFICATION_TRANSITIONS[row.status]:
        raise UserError(
            Code.RECTIFICATION_STATUS_INVALID,
            f"A rectification that is {row.status.value} cannot become {to.value}.",
            "id",
        )
    row.status = to


# Art. 35: the agency rectifies and reports, with evidence
async def report_rectification(
    session: AsyncSession, actor: Principal | None, rectification_id: uuid.UUID, *, evidence: str
) -> Rectification:
    actor = require(actor, Role.AGENCY)
    agency = own_agency(actor)
    row = await _locked(session, rectification_id)
    if row.agency_id != agency:
        raise UserError(Code.RECTIFICATION_NOT_FOUND, "No rectification has this id.", "id")
    text = evidence.strip()
    if not text or len(text) > 4000:
        raise UserError(
            Code.EVIDENCE_REQUIRED, "Say what was done (1-4000 characters).", "evidence"
        )
    _move(row, RectificationStatus.REPORTED)
    row.evidence = text
    row.reported_at = now()
    await _fact(session, actor, row, "reported", evidence=text, late=row.reported_at > row.due_at)
    return row


# Art. 35: the authority accepts the rectification or reopens it, with its reasons
async def decide_rectification(
    session: AsyncSession,
    actor: Principal | None,
    rectification_id: uuid.UUID,
    *,
    accept: bool,
    reason: str,
) -> Rectification:
    actor = require(actor, Role.AUTHORITY)
    row = await _locked(session, rectification_id)
    text = reason.strip()
    if len(text) > 4000 or (not accept and not text):
        raise UserError(
            Code.REASON_REQUIRED, "Reopening needs the reason (at most 4000 characters).", "reason"
        )
    _move(row, RectificationStatus.ACCEPTED if accept else RectificationStatus.REOPENED)
    row.decided_at = now()
    row.decision_reason = text
    if accept:
        row.closed_at = row.decided_at
    await _fact(session, actor, row, "accepted" if accept else "reopened", reason=text)
    return row


# Art. 35: a missed deadline escalates to the superior government (Art. 33)
async def escalate_overdue(
    session: AsyncSession, actor: Principal | None, *, at: datetime | None = None
) -> list[Rectification]:
    """Every ORDERED or REOPENED rectification past its due date becomes ESCALATED, each a
    ledger fact. Run by the authority (`escalateOverdueRectifications`) and by the sweep."""
    at = at or now()
    rows = (
        await session.scalars(
            sa.select(Rectification)
            .where(Rectification.status.in_(DUE_STATUSES), Rectification.due_at < at)
            .order_by(Rectification.due_at, Rectification.id)
            .with_for_update()
        )
    ).all()
    for row in rows:
        _move(row, RectificationStatus.ESCALATED)
        row.escalated_at = at
        await _fact(session, actor, row, "escalated", dueAt=row.due_at.isoformat(),
                    escalatedTo="oversight")  # fmt: skip
    return list(rows)


async def escalate_overdue_rectifications(
    session: AsyncSession, actor: Principal | None
) -> list[Rectification]:
    """The data authority escalates, now, every rectification past its deadline."""
    return await escalate_overdue(session, require(actor, Role.AUTHORITY))


async def list_rectifications(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: RectificationStatus | None,
    agency_id: uuid.UUID | None,
    first: int,
    after: str | None,
) -> Page[Rectification]:
    """The authority, its superior (`oversight`) and auditors see all; an agency its own."""
    actor = require(actor)
    statement = sa.select(Rectification).where(
        visible(actor, Rectification.agency_id, "Rectifications")
    )
    if status is not None:
        statement = statement.where(Rectification.status == status)
    if agency_id is not None:
        statement = statement.where(Rectification.agency_id == agency_id)
    return await paginate(
        session, statement, sort=Rectification.ordered_at, id_column=Rectification.id,
        first=first, after=after, newest_first=True,
    )  # fmt: skip


async def get_rectifications(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Rectification | None]:
    condition = visible_or_none(actor, Rectification.agency_id)
    return await fetch_by_ids(
        session, Rectification, ids, sa.false() if condition is None else condition
    )


async def findings_of(
    session: AsyncSession, rectification_ids: Sequence[uuid.UUID]
) -> list[list[Finding]]:
    return await fetch_children(
        session,
        Finding.rectification_id,
        rectification_ids,
        order_by=[Finding.detected_at, Finding.id],
    )
