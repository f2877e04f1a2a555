"""Feedback and usage (Art. 19, 20).

Art. 19: any signed-in user reports an anomaly or doubt about a resource it can see; the
owner and the data authority see it; the owner answers within 5 working days (CORRECTED with
the new version, or NOT_AN_ERROR with a reason); overdue answers are on the authority's
board. Art. 20: grantees report usage and effect per grant and quarter; missing reports are
listed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa

import ledger
from core import deadlines, workdays
from core.batching import fetch_by_ids, fetch_children
from core.calendar import WorkingCalendar
from core.clock import SHANGHAI, now
from core.db import AsyncSession
from core.errors import Forbidden, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from registry import Resource, get_resources
from sharing.errors import Code
from sharing.grants import visible_to as grants_visible_to
from sharing.models import AnomalyStatus, DataAnomaly, ShareGrant, UsageReport

ANSWER_WORKING_DAYS = 5  # Art. 19: the issue sets 5 working days, as Art. 15 does for answers
QUARTER = re.compile(r"(\d{4})Q([1-4])")


async def _anomaly_fact(
    session: AsyncSession, actor: Principal, anomaly: DataAnomaly, kind: ledger.Kind, **body: object
) -> ledger.Fact:
    return await ledger.append(
        session,
        kind,
        actor,
        {
            "anomaly": str(anomaly.id),
            "resource": str(anomaly.resource_id),
            "owner": str(anomaly.owner_id),
            "status": anomaly.status.value,
            **body,
        },
        parties=[anomaly.owner_id] + ([anomaly.reporter_org_id] if anomaly.reporter_org_id else []),
    )


# Art. 19: users report doubts or anomalies to the provider and the data authority
async def report_data_anomaly(
    session: AsyncSession, actor: Principal | None, resource_id: uuid.UUID, *, text: str
) -> DataAnomaly:
    actor = require(actor)
    text = text.strip()
    if not text or len(text) > 4000:
        raise UserError(Code.TEXT_REQUIRED, "Say what looks wrong (1-4000 characters).", "text")
    calendar = await workdays.load_working_calendar(session)
    resource = (await get_resources(session, actor, [resource_id]))[0]
    if resource is None:
        raise UserError(
            Code.RESOURCE_NOT_FOUND, "No resource you can see has this id.", "resource_id"
        )
    at = now()
    due = workdays.deadline_on(calendar, at, ANSWER_WORKING_DAYS)
    anomaly = DataAnomaly(
        resource_id=resource.id,
        owner_id=resource.owner_id,
        reporter=actor.subject,
        reporter_org_id=actor.organization_id,
        text=text,
        status=AnomalyStatus.RECEIVED,
        received_at=at,
        due_at=due.at,
        due_provisional=due.provisional,
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(anomaly)
    await session.flush()
    # the text stays in the table (it may name people); the ledger records the fact
    fact = await _anomaly_fact(
        session, actor, anomaly, ledger.Kind.ANOMALY_REPORTED, dueAt=due.at.isoformat(),
        dueProvisional=due.provisional, resourceVersion=resource.version,
    )  # fmt: skip
    fact.stamp(anomaly)
    return anomaly


# Art. 19: the owner answers — corrected (with the new version) or not an error (why)
async def answer_data_anomaly(
    session: AsyncSession,
    actor: Principal | None,
    anomaly_id: uuid.UUID,
    *,
    outcome: AnomalyStatus,
    answer: str,
    corrected_version: int | None = None,
) -> DataAnomaly:
    actor = require(actor, Role.AGENCY)
    answer = answer.strip()
    if outcome is AnomalyStatus.RECEIVED:
        raise UserError(Code.OUTCOME_INVALID, "Answer CORRECTED or NOT_AN_ERROR.", "outcome")
    if not answer or len(answer) > 4000:
        raise UserError(Code.ANSWER_REQUIRED, "Explain the answer (1-4000 characters).", "answer")
    anomaly = await session.get(DataAnomaly, anomaly_id, with_for_update=True)
    if anomaly is None:
        raise UserError(Code.ANOMALY_NOT_FOUND, "No anomaly report has this id.", "anomaly_id")
    if anomaly.owner_id != actor.organization_id:
        raise Forbidden("Only the agency that owns the resource answers.")
    if anomaly.status is not AnomalyStatus.RECEIVED:
        raise UserError(Code.ANOMALY_ANSWERED, "This report has its answer.", "anomaly_id")
    if outcome is AnomalyStatus.CORRECTED:
        resource = await session.get(Resource, anomaly.resource_id)
        assert resource is not None
        if corrected_version is None or not 1 <= corrected_version <= resource.version:
            raise UserError(
                Code.VERSION_REQUIRED,
                f"Name the corrected version of the resource (1-{resource.version}).",
                "corrected_version",
            )
    else:
        corrected_version = None
    at = now()
    anomaly.status, anomaly.answer, anomaly.answered_at = outcome, answer, at
    anomaly.corrected_version = corrected_version
    await session.flush()
    await _anomaly_fact(
        session, actor, anomaly, ledger.Kind.ANOMALY_ANSWERED, outcome=outcome.value,
        correctedVersion=corrected_version, late=at > anomaly.due_at,
    )  # fmt: skip
    return anomaly


# Art. 19: open anomaly answers are recounted once their year's holidays are entered
@deadlines.holder("sharing.data_anomaly")
async def recompute_due_dates(
    session: AsyncSession, calendar: WorkingCalendar
) -> list[deadlines.Recomputed]:
    return await deadlines.recount_due_dates(
        session, calendar, kind="sharing.data_anomaly", model=DataAnomaly,
        still_open=DataAnomaly.status == AnomalyStatus.RECEIVED,
        counted_from=lambda a: a.received_at, working_days=lambda a: ANSWER_WORKING_DAYS,
        parties=lambda a: (a.owner_id,),
    )  # fmt: skip


def anomaly_overdue(anomaly: DataAnomaly, at: datetime) -> bool:
    return anomaly.status is AnomalyStatus.RECEIVED and anomaly.due_at < at


def anomalies_visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """The owner, the reporter, the data authority and auditors."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    mine = [DataAnomaly.reporter == actor.subject]
    if actor.organization_id is not None:
        mine.append(DataAnomaly.owner_id == actor.organization_id)
    return sa.or_(*mine)


async def list_data_anomalies(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: AnomalyStatus | None = None,
    overdue: bool | None = None,
    first: int,
    after: str | None = None,
) -> Page[DataAnomaly]:
    actor = require(actor)
    statement = sa.select(DataAnomaly).where(anomalies_visible_to(actor))
    if status is not None:
        statement = statement.where(DataAnomaly.status == status)
    if overdue is not None:
        late = sa.and_(DataAnomaly.status == AnomalyStatus.RECEIVED, DataAnomaly.due_at < now())
        statement = statement.where(late if overdue else sa.not_(late))
    return await paginate(
        session, statement, sort=DataAnomaly.received_at, id_column=DataAnomaly.id,
        first=first, after=after, newest_first=True,
    )  # fmt: skip


async def get_anomalies(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[DataAnomaly | None]:
    return await fetch_by_ids(session, DataAnomaly, ids, anomalies_visible_to(actor))


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """ "2026Q1" → (2026-01-01, 2026-04-01): the first day and the first day after."""
    match = QUARTER.fullmatch(quarter.strip().upper())
    if match is None:
        raise UserError(Code.QUARTER_INVALID, 'Give a quarter as "2026Q1".', "quarter")
    year, q = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


def _instant(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), SHANGHAI).astimezone(UTC)


# Art. 20: users report usage and effect periodically, per grant and quarter
async def submit_usage_report(
    session: AsyncSession,
    actor: Principal | None,
    grant_id: uuid.UUID,
    *,
    quarter: str,
    uses: int,
    effect: str,
) -> UsageReport:
    actor = require(actor, Role.AGENCY)
    start, end = quarter_bounds(quarter)
    label = quarter.strip().upper()
    effect = effect.strip()
    if not effect or len(effect) > 4000:
        raise UserError(Code.EFFECT_REQUIRED, "Describe the use and its effect (1-4000).", "effect")
    if uses < 0:
        raise UserError(Code.USES_INVALID, "Uses cannot be negative.", "uses")
    grant = await session.get(ShareGrant, grant_id)
    if grant is None or grant.grantee_id != actor.organization_id:
        raise UserError(Code.GRANT_NOT_FOUND, "You hold no grant with this id.", "grant_id")
    if _instant(start) > now():
        raise UserError(Code.QUARTER_IN_FUTURE, "That quarter has not begun.", "quarter")
    if grant.created_at >= _instant(end) or grant.valid_until < _instant(start):
        raise UserError(Code.QUARTER_OUTSIDE_GRANT, "The grant was not in force then.", "quarter")
    exists = await session.scalar(
        sa.select(UsageReport.id).where(
            UsageReport.grant_id == grant.id, UsageReport.quarter == label
        )
    )
    if exists is not None:
        raise UserError(Code.USAGE_REPORT_EXISTS, "This quarter is reported already.", "quarter")
    report = UsageReport(
        grant_id=grant.id, grantee_id=grant.grantee_id, quarter=label, quarter_start=start,
        uses=uses, effect=effect, ledger_seq=ledger.UNSEQUENCED,
    )  # fmt: skip
    entry = await ledger.append(
        session,
        ledger.Kind.USAGE_REPORT_SUBMITTED,
        actor,
        {"report": str(report.id), "grant": str(grant.id), "quarter": label, "uses": uses},
        parties=[grant.grantee_id, grant.source_department_id],
    )
    entry.stamp(report)
    session.add(report)
    await session.flush()
    return report


async def missing_usage_reports(
    session: AsyncSession, actor: Principal | None, quarter: str
) -> list[ShareGrant]:
    """Art. 20: grants in force during `quarter` without a report for it: the authority sees
    all, an agency those it holds or gave."""
    actor = require(actor, Role.AUTHORITY, Role.AUDITOR, Role.AGENCY)
    start, end = quarter_bounds(quarter)
    label = quarter.strip().upper()
    reported = sa.select(UsageReport.id).where(
        UsageReport.grant_id == ShareGrant.id, UsageReport.quarter == label
    )
    rows = await session.scalars(
        sa.select(ShareGrant)
        .where(
            grants_visible_to(actor),
            ShareGrant.created_at < _instant(end),
            ShareGrant.valid_until >= _instant(start),
            ~reported.exists(),
        )
        .order_by(ShareGrant.created_at, ShareGrant.id)
        .limit(500)
    )
    return list(rows)


async def usage_reports_of(
    session: AsyncSession, grant_ids: Sequence[uuid.UUID]
) -> list[list[UsageReport]]:
    return await fetch_children(
        session, UsageReport.grant_id, grant_ids, order_by=(UsageReport.quarter_start,)
    )
