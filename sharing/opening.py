"""Conditional opening (Art. 18): a market entity, research body or individual applies for a
CONDITIONAL_OPEN resource (purpose, scenario, security measures); the owner answers within
5 working days; an approval carries a usage agreement whose terms both sides accept by their
SHA-256 (the hash is on the ledger), and the application is then AGREED."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

import ledger
from core import deadlines, workdays
from core.batching import fetch_by_ids
from core.calendar import WorkingCalendar
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from registry import OpenType, Resource
from sharing.errors import Code
from sharing.models import OPEN_APPLICATION_TRANSITIONS, OpenApplication, OpenApplicationStatus

ANSWER_WORKING_DAYS = 5  # Art. 18: answered on the same working-day clock as Art. 15
APPLICANTS = (Role.MARKET_ENTITY, Role.BROKER, Role.DATA_SUBJECT)
S = OpenApplicationStatus


@dataclass(frozen=True)
class ApplicationFields:
    resource_id: uuid.UUID
    purpose: str
    scenario: str
    security_measures: str


def terms_hash(terms: str) -> str:
    return hashlib.sha256(terms.encode("utf-8")).hexdigest()


async def _fact(
    session: AsyncSession, actor: Principal, app: OpenApplication, kind: ledger.Kind, **body: object
) -> ledger.Fact:
    return await ledger.append(
        session,
        kind,
        actor,
        {
            "application": str(app.id),
            "resource": str(app.resource_id),
            "owner": str(app.owner_id),
            "status": app.status.value,
            **body,
        },
        subjects=[app.applicant] if app.applicant_org_id is None else [],
        parties=[app.owner_id] + ([app.applicant_org_id] if app.applicant_org_id else []),
    )


# Art. 18: conditionally open data is used by application
async def apply_for_open_data(
    session: AsyncSession, actor: Principal | None, fields: ApplicationFields
) -> OpenApplication:
    actor = require(actor, *APPLICANTS)
    purpose = " ".join(fields.purpose.split())
    scenario, measures = fields.scenario.strip(), fields.security_measures.strip()
    problems = []
    if not purpose or len(purpose) > 200:
        problems.append(Problem(Code.PURPOSE_REQUIRED, "Say what it is for (1-200).", "purpose"))
    if not scenario or len(scenario) > 2000:
        problems.append(
            Problem(Code.SCENARIO_REQUIRED, "Describe the scenario (1-2000).", "scenario")
        )
    if not measures or len(measures) > 4000:
        problems.append(
            Problem(
                Code.SECURITY_MEASURES_REQUIRED,
                "Describe how the data will be protected (1-4000).",
                "security_measures",
            )
        )
    if problems:
        raise UserError.of(problems)
    calendar = await workdays.load_working_calendar(session)
    resource = await session.get(Resource, fields.resource_id)
    if resource is None or resource.open_type is not OpenType.CONDITIONAL_OPEN:
        raise UserError(
            Code.NOT_CONDITIONALLY_OPEN,
            "Only a CONDITIONAL_OPEN resource is applied for (OPEN ones need no application).",
            "resource_id",
        )
    at = now()
    due = workdays.deadline_on(calendar, at, ANSWER_WORKING_DAYS)
    app = OpenApplication(
        resource_id=resource.id, owner_id=resource.owner_id, applicant=actor.subject,
        applicant_org_id=actor.organization_id, purpose=purpose, scenario=scenario,
        security_measures=measures, status=S.PENDING, received_at=at, due_at=due.at,
        due_provisional=due.provisional, ledger_seq=ledger.UNSEQUENCED,
    )  # fmt: skip
    session.add(app)
    await session.flush()
    fact = await _fact(
        session, actor, app, ledger.Kind.OPEN_APPLICATION_RECEIVED, purpose=purpose,
        dueAt=due.at.isoformat(), dueProvisional=due.provisional,
    )  # fmt: skip
    fact.stamp(app)
    return app


async def _locked(session: AsyncSession, app_id: uuid.UUID) -> OpenApplication:
    app = await session.scalar(
        sa.select(OpenApplication)
        .where(OpenApplication.id == app_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if app is None:
        raise UserError(Code.APPLICATION_NOT_FOUND, "No application has this id.", "application_id")
    return app


def _move(app: OpenApplication, to: OpenApplicationStatus) -> None:
    if to not in OPEN_APPLICATION_TRANSITIONS[app.status]:
        raise UserError(
            Code.APPLICATION_STATUS_INVALID,
            f"An application that is {app.status.value} cannot become {to.value}.",
            "application_id",
        )
    app.status = to


# Art. 18: the owner approves with the usage agreement's terms, or refuses with a reason
async def answer_open_application(
    session: AsyncSession,
    actor: Principal | None,
    app_id: uuid.UUID,
    *,
    approve: bool,
    reason: str = "",
    terms: str = "",
) -> OpenApplication:
    actor = require(actor, Role.AGENCY)
    reason, terms = reason.strip(), terms.strip()
    if approve and (not terms or len(terms) > 20000):
        raise UserError(Code.TERMS_REQUIRED, "Give the usage agreement's terms (1-20000).", "terms")
    if not approve and (not reason or len(reason) > 2000):
        raise UserError(Code.REASON_REQUIRED, "A refusal gives its reason (1-2000).", "reason")
    app = await _locked(session, app_id)
    if app.owner_id != actor.organization_id:
        raise Forbidden("Only the agency that owns the resource answers.")
    _move(app, S.APPROVED if approve else S.REFUSED)
    at = now()
    app.answered_at, app.reason = at, reason
    if approve:
        app.terms, app.terms_hash = terms, terms_hash(terms)
    await session.flush()
    await _fact(
        session, actor, app,
        ledger.Kind.OPEN_APPLICATION_APPROVED if approve else ledger.Kind.OPEN_APPLICATION_REFUSED,
        reason=reason, termsHash=app.terms_hash or None, late=at > app.due_at,
    )  # fmt: skip
    return app


# Art. 18: both sides accept the usage agreement, each by the hash of the terms they read
async def accept_usage_agreement(
    session: AsyncSession, actor: Principal | None, app_id: uuid.UUID, *, accepted_hash: str
) -> OpenApplication:
    actor = require(actor)
    app = await _locked(session, app_id)
    owner = actor.has(Role.AGENCY) and actor.organization_id == app.owner_id
    applicant = actor.subject == app.applicant
    if not owner and not applicant:
        raise Forbidden("Only the owner and the applicant accept the agreement.")
    if app.status is not S.APPROVED:
        raise UserError(
            Code.APPLICATION_STATUS_INVALID, "Only an approved application has an agreement.",
            "application_id",
        )  # fmt: skip
    if accepted_hash.strip().lower() != app.terms_hash:
        raise UserError(
            Code.TERMS_HASH_MISMATCH, "The hash differs from the terms' SHA-256.", "terms_hash"
        )
    at = now()
    if owner:
        app.owner_accepted_at = app.owner_accepted_at or at
    if applicant:
        app.applicant_accepted_at = app.applicant_accepted_at or at
    if app.owner_accepted_at and app.applicant_accepted_at:
        _move(app, S.AGREED)
    await session.flush()
    await _fact(
        session, actor, app, ledger.Kind.OPEN_APPLICATION_ACCEPTED, termsHash=app.terms_hash,
        side="owner" if owner else "applicant",
    )  # fmt: skip
    return app


# Art. 18: an open application's answer is recounted once its year's holidays are entered
@deadlines.holder("sharing.open_application")
async def recompute_due_dates(
    session: AsyncSession, calendar: WorkingCalendar
) -> list[deadlines.Recomputed]:
    return await deadlines.recount_due_dates(
        session, calendar, kind="sharing.open_application", model=OpenApplication,
        still_open=OpenApplication.status == S.PENDING,
        counted_from=lambda a: a.received_at, working_days=lambda a: ANSWER_WORKING_DAYS,
        parties=lambda a: (a.owner_id,),
    )  # fmt: skip


def application_overdue(app: OpenApplication, at: datetime) -> bool:
    return app.status is S.PENDING and app.due_at < at


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    mine = [OpenApplication.applicant == actor.subject]
    if actor.organization_id is not None:
        mine += [
            OpenApplication.owner_id == actor.organization_id,
            OpenApplication.applicant_org_id == actor.organization_id,
        ]
    return sa.or_(*mine)


async def list_open_applications(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: OpenApplicationStatus | None = None,
    first: int,
    after: str | None = None,
) -> Page[OpenApplication]:
    actor = require(actor)
    statement = sa.select(OpenApplication).where(visible_to(actor))
    if status is not None:
        statement = statement.where(OpenApplication.status == status)
    return await paginate(
        session, statement, sort=OpenApplication.received_at, id_column=OpenApplication.id,
        first=first, after=after, newest_first=True,
    )  # fmt: skip


async def get_open_applications(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[OpenApplication | None]:
    return await fetch_by_ids(session, OpenApplication, ids, visible_to(actor))
