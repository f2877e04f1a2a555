"""Agency scorecards (Art. 30): every agency evaluated per period from recorded facts only,
on the one indicator engine (`authority.indicators`): the same period rule, definitions
table, runner and one ledger fact per run as the broker evaluation.

A fact belongs to a period by its own timestamp, in [periodStart, periodEnd): a share answer
by when it fell due, a delivery by when it fell due, a dispute by its ruling, an anomaly by
its due date, an out-of-grant attempt by when it was refused; coverage and open
rectifications are read as they stood at the period's end, freshness is weighted over the
period from the recorded refreshes. Only ended periods are evaluated, so re-running one
gives the same result under the same definitions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

import ledger
from authority import SubjectKind, SupervisionIndicator, indicators
from core.batching import fetch_by_ids
from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal, Role, require
from core.models import Organization, OrganizationKind
from core.pagination import Page, paginate
from registry import ALLOWANCE, DataItem, Resource, ResourceChange, ResourceItem
from sharing import (
    DataAnomaly,
    DisputeOutcome,
    GrantStatus,
    ShareDispute,
    ShareGrant,
    ShareRequest,
    ShareViolationCandidate,
    UsageReport,
    ViolationKind,
)
from supervision import scoring
from supervision.access import visible, visible_or_none
from supervision.errors import Code
from supervision.models import AgencyScorecard, Rectification

KIND = SubjectKind.AGENCY

# Art. 17: attempts outside a grant (Art. 16); a consent denial or a rate limit is not one
OUT_OF_GRANT = (
    ViolationKind.NO_GRANT,
    ViolationKind.ITEMS_OUTSIDE_GRANT,
    ViolationKind.PURPOSE_MISMATCH,
    ViolationKind.GRANT_EXPIRED,
    ViolationKind.GRANT_SUSPENDED,
    ViolationKind.GRANT_REVOKED,
)
REFRESHED = '{"lastUpdatedAt":%'  # a ResourceChange row recording a refresh (Art. 11)


async def list_indicators(
    session: AsyncSession, actor: Principal | None
) -> list[SupervisionIndicator]:
    """The published agency indicators (Art. 30)."""
    return await indicators.list_indicators(session, actor, KIND)


async def list_grades(session: AsyncSession, actor: Principal | None) -> list[object]:
    return list(await indicators.list_grades(session, actor, KIND))


async def update_indicator(
    session: AsyncSession, actor: Principal | None, code: str, **changes: object
) -> SupervisionIndicator:
    return await indicators.update_indicator(session, actor, KIND, code, **changes)  # type: ignore[arg-type]


async def update_grade(
    session: AsyncSession, actor: Principal | None, grade: str, *, min_score: Decimal
) -> object:
    return await indicators.update_grade(session, actor, KIND, grade, min_score=min_score)


# --- facts ----------------------------------------------------------------------------------


def _quarters(first: date, last: date) -> list[tuple[str, datetime, datetime]]:
    """Calendar quarters (label, start, end) that end within [first, last)."""
    out = []
    year, quarter = first.year, (first.month - 1) // 3
    while True:
        q_start = datetime(year, quarter * 3 + 1, 1, tzinfo=UTC)
        year_end, month_end = (year + 1, 1) if quarter == 3 else (year, quarter * 3 + 4)
        q_end = datetime(year_end, month_end, 1, tzinfo=UTC)
        if q_end.date() > last:
            break
        if q_end.date() > first:
            out.append((f"{year}Q{quarter + 1}", q_start, q_end))
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    return out


def _epoch(session: AsyncSession, at: sa.ColumnElement[datetime]) -> sa.ColumnElement[float]:
    """Seconds since 1970 of a stored time (UTC on both engines)."""
    if session.bind.dialect.name == "sqlite":  # naive UTC text
        return (sa.func.julianday(at) - 2440587.5) * 86400.0
    return sa.extract("epoch", at)


def _most(session: AsyncSession, *values: sa.ColumnElement[float]) -> sa.ColumnElement[float]:
    return (sa.func.max if session.bind.dialect.name == "sqlite" else sa.func.greatest)(*values)


def _least(session: AsyncSession, *values: sa.ColumnElement[float]) -> sa.ColumnElement[float]:
    return (sa.func.min if session.bind.dialect.name == "sqlite" else sa.func.least)(*values)


NEVER_STALE = 1e12  # seconds: ON_CHANGE has no schedule to miss


def freshness_statement(
    session: AsyncSession, start: datetime, end: datetime
) -> sa.Select[tuple[object, ...]]:
    """(owner, fresh seconds, catalogued seconds) per agency in [start, end), in SQL: each
    entry's marks (its creation, then every recorded refresh) with the next mark (LEAD); a
    mark keeps the entry fresh for its frequency's allowance (`registry.ALLOWANCE`) or until
    the next mark. `scoring.fresh_seconds` is the same rule in Python (the tests' oracle)."""
    allowance = sa.case(
        *((Resource.update_frequency == f, a.total_seconds() if a else NEVER_STALE)
          for f, a in ALLOWANCE.items()),
        else_=NEVER_STALE,
    )  # fmt: skip
    entries = sa.select(
        Resource.id.label("rid"), Resource.owner_id.label("owner"),
        allowance.label("allow"), Resource.created_at.label("created"),
    ).where(Resource.created_at < end).subquery()  # fmt: skip
    refreshes = sa.select(
        ResourceChange.resource_id.label("rid"), ResourceChange.changed_at.label("at")
    ).where(ResourceChange.changed_at < end, ResourceChange.change.like(REFRESHED))
    marks = sa.union_all(
        sa.select(entries.c.rid, entries.c.created.label("at")),
        refreshes,
    ).subquery()
    at = _epoch(session, marks.c.at)
    windows = (
        sa.select(
            entries.c.owner, entries.c.allow, at.label("m"),
            sa.func.lead(at).over(partition_by=marks.c.rid, order_by=at).label("n"),
            _most(session, sa.literal(start.timestamp()), _epoch(session, entries.c.created))
            .label("b"),
        )
        .join(entries, entries.c.rid == marks.c.rid)
        .subquery()
    )  # fmt: skip
    stop = _least(
        session, windows.c.m + windows.c.allow,
        sa.func.coalesce(windows.c.n, end.timestamp()), sa.literal(end.timestamp()),
    )  # fmt: skip
    fresh = _most(session, sa.literal(0.0), stop - _most(session, windows.c.m, windows.c.b))
    return sa.select(windows.c.owner, sa.func.round(sa.func.sum(fresh))).group_by(windows.c.owner)


def catalogued_statement(
    session: AsyncSession, start: datetime, end: datetime
) -> sa.Select[tuple[object, ...]]:
    """(owner, seconds its entries were catalogued within [start, end))."""
    span = end.timestamp() - _most(
        session, sa.literal(start.timestamp()), _epoch(session, Resource.created_at)
    )
    return (
        sa.select(Resource.owner_id, sa.func.round(sa.func.sum(span)))
        .where(Resource.created_at < end)
        .group_by(Resource.owner_id)
    )


async def gather_facts(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[uuid.UUID, dict[str, Decimal]]:
    """Every agency admitted before the period ended, with its facts for the period: one
    aggregate statement per kind of fact, grouped by agency."""
    agencies = sa.select(Organization.id).where(
        Organization.kind == OrganizationKind.AGENCY, Organization.created_at < end
    )
    ids = set((await session.scalars(agencies)).all())
    facts = {a: {name: Decimal(0) for name in scoring.FACTS} for a in ids}
    in_period = indicators.in_period
    count = sa.func.count()

    async def tally(statement: sa.Select[tuple[object, ...]], *names: str) -> None:
        for agency_id, *values in (await session.execute(statement)).all():
            if agency_id in facts:
                for name, value in zip(names, values, strict=True):
                    facts[agency_id][name] += Decimal(value or 0)

    def on_time(done: sa.ColumnElement[datetime], due: sa.ColumnElement[datetime]) -> object:
        return sa.func.sum(sa.case((sa.and_(done.is_not(None), done <= due), 1), else_=0))

    # Art. 9: claimed items (Art. 8), and those in one of the agency's own catalogue entries
    catalogued = sa.exists().where(
        ResourceItem.data_item_id == DataItem.id,
        Resource.id == ResourceItem.resource_id,
        Resource.owner_id == DataItem.source_department_id,
        Resource.created_at < end,
    )
    await tally(
        sa.select(
            DataItem.source_department_id,
            count,
            sa.func.sum(sa.case((catalogued, 1), else_=0)),
        )
        .where(DataItem.claimed_at < end)
        .group_by(DataItem.source_department_id),
        "items_claimed",
        "items_catalogued",
    )
    # Art. 11: freshness, time-weighted over the period from the recorded refreshes
    await tally(freshness_statement(session, start, end), "fresh_seconds")
    await tally(catalogued_statement(session, start, end), "entry_seconds")
    # Art. 15: answers and deliveries falling due in the period, and how many were on time
    await tally(
        sa.select(ShareRequest.source_department_id, count,
                  on_time(ShareRequest.answered_at, ShareRequest.answer_due_at))
        .where(in_period(ShareRequest.answer_due_at, start, end))
        .group_by(ShareRequest.source_department_id),
        "answers_due",
        "answers_on_time",
    )  # fmt: skip
    await tally(
        sa.select(ShareRequest.source_department_id, count,
                  on_time(ShareRequest.delivered_at, ShareRequest.delivery_due_at))
        .where(in_period(ShareRequest.delivery_due_at, start, end))
        .group_by(ShareRequest.source_department_id),
        "deliveries_due",
        "deliveries_on_time",
    )  # fmt: skip
    await tally(
        sa.select(ShareRequest.source_department_id, count)
        .join(ShareDispute, ShareDispute.request_id == ShareRequest.id)
        .where(
            ShareDispute.outcome == DisputeOutcome.OVERTURNED,
            in_period(ShareDispute.ruled_at, start, end),
        )
        .group_by(ShareRequest.source_department_id),
        "refusals_overturned",
    )
    # Art. 19: anomaly reports falling due in the period
    await tally(
        sa.select(DataAnomaly.owner_id, count, on_time(DataAnomaly.answered_at, DataAnomaly.due_at))
        .where(in_period(DataAnomaly.due_at, start, end))
        .group_by(DataAnomaly.owner_id),
        "anomalies_due",
        "anomalies_on_time",
    )
    # Art. 17: attempts outside a grant (Art. 16), counted against the grantee
    await tally(
        sa.select(ShareViolationCandidate.grantee_id, count)
        .where(
            in_period(ShareViolationCandidate.at, start, end),
            ShareViolationCandidate.kind.in_(OUT_OF_GRANT),
        )
        .group_by(ShareViolationCandidate.grantee_id),
        "out_of_grant_attempts",
    )
    # Art. 20: a usage report per grant and quarter ending in the period
    quarters = _quarters(start.date(), end.date())
    if quarters:
        grants = (
            await session.execute(
                sa.select(ShareGrant.id, ShareGrant.grantee_id, ShareGrant.created_at,
                          ShareGrant.valid_until)
                .where(
                    ShareGrant.created_at < quarters[-1][2],
                    ShareGrant.valid_until > quarters[0][1],
                    ShareGrant.status != GrantStatus.REVOKED,
                )
            )
        ).all()  # fmt: skip
        filed = set(
            (
                await session.execute(
                    sa.select(UsageReport.grant_id, UsageReport.quarter).where(
                        UsageReport.quarter.in_([q[0] for q in quarters]),
                        UsageReport.submitted_at < end,
                    )
                )
            ).all()
        )
        for grant_id, grantee_id, created_at, valid_until in grants:
            if grantee_id not in facts:
                continue
            for label, q_start, q_end in quarters:
                if created_at < q_end and valid_until > q_start:
                    facts[grantee_id]["usage_reports_due"] += 1
                    if (grant_id, label) in filed:
                        facts[grantee_id]["usage_reports_filed"] += 1
    # Art. 35: rectifications open at the period's end
    await tally(
        sa.select(Rectification.agency_id, count)
        .where(
            Rectification.ordered_at < end,
            sa.or_(Rectification.closed_at.is_(None), Rectification.closed_at >= end),
        )
        .group_by(Rectification.agency_id),
        "open_rectifications",
    )
    return facts


# --- the run --------------------------------------------------------------------------------


@dataclass
class ScorecardRun:
    period_start: datetime
    period_end: datetime
    scorecards: list[AgencyScorecard]
    ledger_seq: int


# Art. 30: the data authority assesses agencies, from recorded facts, per period
async def evaluate_agencies(
    session: AsyncSession, actor: Principal | None, start: datetime, end: datetime
) -> ScorecardRun:
    """Every agency evaluated for a period that has ended; the period's scorecards replaced."""
    actor = require(actor, Role.AUTHORITY)
    at, definitions = await indicators.begin(session, KIND, start, end)
    facts = await gather_facts(session, start, end)
    if not facts:
        raise UserError(
            Code.NO_AGENCIES_IN_PERIOD,
            "No agency was admitted before this period ended; there is nothing to evaluate.",
            "period_end",
        )
    results = indicators.score_all(facts, definitions, scoring.indicator_values)
    order = sorted(facts, key=str)
    entry = await indicators.record(session, actor, definitions, start, end, results, order)
    await session.execute(
        sa.delete(AgencyScorecard).where(
            AgencyScorecard.period_start == start, AgencyScorecard.period_end == end
        )
    )
    scorecards = [
        AgencyScorecard(
            agency_id=a,
            period_start=start,
            period_end=end,
            facts=json.dumps({k: str(v) for k, v in facts[a].items()}, sort_keys=True),
            indicators=json.dumps(indicators.indicators_json(results[a])),
            score=str(results[a].score),
            grade=results[a].grade,
            evaluated_at=at,
            ledger_seq=ledger.UNSEQUENCED,
        )
        for a in order
    ]
    session.add_all(scorecards)
    await session.flush()
    run = ScorecardRun(start, end, scorecards, ledger.UNSEQUENCED)
    entry.stamp(*scorecards, (run, "ledger_seq"))
    return run


async def list_scorecards(
    session: AsyncSession,
    actor: Principal | None,
    *,
    period: tuple[datetime, datetime] | None,
    grade: str | None,
    agency_id: uuid.UUID | None,
    first: int,
    after: str | None,
) -> Page[AgencyScorecard]:
    """The authority (its superior, auditors) sees every agency's scorecards; an agency its
    own. Newest period first, so one agency's list is its score trend."""
    actor = require(actor)
    statement = sa.select(AgencyScorecard).where(
        visible(actor, AgencyScorecard.agency_id, "Agency scorecards")
    )
    if period is not None:
        statement = statement.where(
            AgencyScorecard.period_start == period[0], AgencyScorecard.period_end == period[1]
        )
    if grade is not None:
        statement = statement.where(AgencyScorecard.grade == grade)
    if agency_id is not None:
        statement = statement.where(AgencyScorecard.agency_id == agency_id)
    return await paginate(
        session, statement, sort=AgencyScorecard.evaluated_at, id_column=AgencyScorecard.id,
        first=first, after=after, newest_first=True,
    )  # fmt: skip


# Art. 30: a score trend per agency across periods
async def scorecard_trend(
    session: AsyncSession, actor: Principal | None, agency_id: uuid.UUID, *, periods: int = 12
) -> list[AgencyScorecard]:
    """One agency's scorecards, oldest period first (the last `periods`)."""
    actor = require(actor)
    rows = (
        await session.scalars(
            sa.select(AgencyScorecard)
            .where(
                visible(actor, AgencyScorecard.agency_id, "Agency scorecards"),
                AgencyScorecard.agency_id == agency_id,
            )
            .order_by(AgencyScorecard.period_end.desc(), AgencyScorecard.period_start.desc())
            .limit(max(1, min(periods, 60)))
        )
    ).all()
    return list(reversed(rows))


async def get_scorecards(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[AgencyScorecard | None]:
    condition = visible_or_none(actor, AgencyScorecard.agency_id)
    return await fetch_by_ids(
        session, AgencyScorecard, ids, sa.false() if condition is None else condition
    )
