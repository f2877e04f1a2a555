"""Complaints to the data authority (Art. 27): filed by a subject, due in 15 working days.

RECEIVED → ASSIGNED (to an officer or unit; may be reassigned) → RESOLVED (UPHELD or
REJECTED, with the resolution). The authority may resolve a received complaint directly.
Every step is a ledger entry naming the subject only by commitment.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

import ledger
from consent.errors import Code
from consent.models import (
    COMPLAINT_TRANSITIONS,
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    Consent,
    DataUse,
)
from consent.subjects import ensure_subject
from core import deadlines, workdays
from core.batching import fetch_by_ids
from core.calendar import WorkingCalendar
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization
from core.pagination import Page, paginate

DUE_WORKING_DAYS = 15  # Art. 27: the authority answers a complaint within 15 working days


@dataclass(frozen=True)
class ComplaintFields:
    against_id: uuid.UUID
    text: str
    consent_id: uuid.UUID | None = None
    use_id: uuid.UUID | None = None


async def _fact(
    session: AsyncSession, actor: Principal, complaint: Complaint, kind: ledger.Kind, **body: object
) -> None:
    await ledger.append(
        session,
        kind,
        actor,
        {
            "complaint": str(complaint.id),
            "against": str(complaint.against_id),
            "status": complaint.status.value,
            **body,
        },
        subjects=[complaint.subject],
        parties=[complaint.against_id],
    )


# Art. 27: a data subject may complain to the data authority
async def file_complaint(
    session: AsyncSession, actor: Principal | None, fields: ComplaintFields
) -> Complaint:
    actor = require(actor, Role.DATA_SUBJECT)
    text = fields.text.strip()
    if not text or len(text) > 4000:
        raise UserError(Code.TEXT_REQUIRED, "Say what went wrong (1-4000 characters).", "text")
    if await session.get(Organization, fields.against_id) is None:
        raise UserError(
            Code.ORGANIZATION_NOT_FOUND, "No organisation has this id.", "against_organization"
        )
    problems = []
    if fields.consent_id is not None:
        granted = await session.get(Consent, fields.consent_id)
        if granted is None or granted.subject != actor.subject:
            problems.append(
                Problem(Code.CONSENT_NOT_FOUND, "You have no consent with this id.", "consent_id")
            )
    if fields.use_id is not None:
        used = await session.get(DataUse, fields.use_id)
        if used is None or used.subject != actor.subject:
            problems.append(
                Problem(Code.USE_NOT_FOUND, "No use of your data has this id.", "use_id")
            )
    if problems:
        raise UserError.of(problems)
    received = now()
    # Never refused for the calendar: a year without its official arrangement gives a
    # provisional due date, recomputed when the authority enters that year.
    due = await workdays.working_day_deadline(session, received, DUE_WORKING_DAYS)
    subject = await ensure_subject(session, actor)
    complaint = Complaint(
        subject=subject.subject,
        against_id=fields.against_id,
        consent_id=fields.consent_id,
        use_id=fields.use_id,
        text=text,
        status=ComplaintStatus.RECEIVED,
        received_at=received,
        due_at=due.at,
        due_provisional=due.provisional,
    )
    session.add(complaint)
    await session.flush()
    await _fact(
        session,
        actor,
        complaint,
        ledger.Kind.COMPLAINT_FILED,
        consent=str(fields.consent_id) if fields.consent_id else None,
        use=str(fields.use_id) if fields.use_id else None,
        dueAt=due.at.isoformat(),
        dueProvisional=due.provisional,
    )
    return complaint


# Art. 27: an open complaint's due date is recounted once its year's holidays are entered
@deadlines.holder("consent.complaint")
async def recompute_due_dates(
    session: AsyncSession, calendar: WorkingCalendar
) -> list[deadlines.Recomputed]:
    """Every unresolved complaint whose due date was provisional, counted again on `calendar`
    from its receipt (Art. 27: 15 working days)."""
    return await deadlines.recount_due_dates(
        session, calendar, kind="consent.complaint", model=Complaint,
        still_open=Complaint.status != ComplaintStatus.RESOLVED,
        counted_from=lambda c: c.received_at, working_days=lambda c: DUE_WORKING_DAYS,
        subjects=lambda c: (c.subject,), parties=lambda c: (c.against_id,),
    )  # fmt: skip


async def _locked(session: AsyncSession, complaint_id: uuid.UUID) -> Complaint:
    complaint = await session.scalar(
        sa.select(Complaint)
        .where(Complaint.id == complaint_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if complaint is None:
        raise UserError(Code.COMPLAINT_NOT_FOUND, "No complaint has this id.", "complaint_id")
    return complaint


def _move(complaint: Complaint, to: ComplaintStatus) -> None:
    if to not in COMPLAINT_TRANSITIONS[complaint.status]:
        raise UserError(
            Code.COMPLAINT_STATUS_INVALID,
            f"A complaint that is {complaint.status.value} cannot become {to.value}.",
            "complaint_id",
        )
    complaint.status = to


async def assign_complaint(
    session: AsyncSession, actor: Principal | None, complaint_id: uuid.UUID, *, assignee: str
) -> Complaint:
    actor = require(actor, Role.AUTHORITY)
    assignee = assignee.strip()
    if not assignee or len(assignee) > 200:
        raise UserError(
            Code.ASSIGNEE_REQUIRED, "Name the officer or unit handling it (1-200 characters).",
            "assignee",
        )  # fmt: skip
    complaint = await _locked(session, complaint_id)
    _move(complaint, ComplaintStatus.ASSIGNED)
    complaint.assignee = assignee
    await session.flush()
    await _fact(session, actor, complaint, ledger.Kind.COMPLAINT_ASSIGNED, assignee=assignee)
    return complaint


# Art. 27: the data authority decides the complaint; the outcome is recorded
async def resolve_complaint(
    session: AsyncSession,
    actor: Principal | None,
    complaint_id: uuid.UUID,
    *,
    outcome: ComplaintOutcome,
    resolution: str,
) -> Complaint:
    actor = require(actor, Role.AUTHORITY)
    resolution = resolution.strip()
    if not resolution or len(resolution) > 4000:
        raise UserError(
            Code.RESOLUTION_REQUIRED, "Explain the decision (1-4000 characters).", "resolution"
        )
    complaint = await _locked(session, complaint_id)
    _move(complaint, ComplaintStatus.RESOLVED)
    complaint.outcome, complaint.resolution, complaint.resolved_at = outcome, resolution, now()
    await session.flush()
    await _fact(
        session,
        actor,
        complaint,
        ledger.Kind.COMPLAINT_RESOLVED,
        outcome=outcome.value,
        resolution=resolution,
        late=complaint.resolved_at > complaint.due_at,
    )
    return complaint


def overdue_filter(at: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(Complaint.status != ComplaintStatus.RESOLVED, Complaint.due_at < at)


def is_overdue(complaint: Complaint, at: datetime) -> bool:
    return complaint.status is not ComplaintStatus.RESOLVED and complaint.due_at < at


# Art. 27: the data authority tracks complaints, overdue ones first to see
async def list_complaints(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: ComplaintStatus | None = None,
    overdue: bool | None = None,
    first: int,
    after: str | None = None,
) -> Page[Complaint]:
    """All complaints, for the data authority (and auditors), by due date."""
    actor = require(actor, Role.AUTHORITY, Role.AUDITOR)
    statement = sa.select(Complaint)
    if status is not None:
        statement = statement.where(Complaint.status == status)
    if overdue is not None:
        late = overdue_filter(now())
        statement = statement.where(late if overdue else sa.not_(late))
    return await paginate(
        session, statement, sort=Complaint.due_at, id_column=Complaint.id, first=first, after=after
    )


async def list_my_complaints(
    session: AsyncSession, actor: Principal | None, *, first: int, after: str | None = None
) -> Page[Complaint]:
    actor = require(actor, Role.DATA_SUBJECT)
    statement = sa.select(Complaint).where(Complaint.subject == actor.subject)
    return await paginate(
        session,
        statement,
        sort=Complaint.received_at,
        id_column=Complaint.id,
        first=first,
        after=after,
    )


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """The authority and auditors see any complaint; a subject their own."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.has(Role.DATA_SUBJECT):
        return Complaint.subject == actor.subject
    return sa.false()


async def get_complaints(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Complaint | None]:
    return await fetch_by_ids(session, Complaint, ids, visible_to(actor))
