"""Supervision (Art. 26): published indicators, the evaluation of every broker over a period
from recorded facts only, and the risk alerts the same facts raise.

A fact belongs to a period by its own timestamp, in [periodStart, periodEnd): a deal by
when it was matched / delivered / cancelled, a flow by when it was recorded, a complaint by
when it was received (and, for "resolved on time", by when it fell due), a suspension by
its decision time, a denied consent check by the gate's time. Only periods that have ended
are evaluated, and later facts carry later timestamps, so re-running a period gives the same
result — as long as the published definitions are the same (each run's ledger entry records
the definitions it used).

The facts are counted in SQL, one aggregate statement per kind of fact grouped by broker
(`gather_facts`); `broker.scoring` turns them into scores and grades without I/O.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

import ledger
from authority import SubjectKind, indicators
from broker import scoring
from broker.errors import Code
from broker.models import (
    AlertRule,
    AlertStatus,
    BrokerEvaluation,
    BrokerLicence,
    BrokerRefusal,
    DataFlow,
    Deal,
    LicenceDecision,
    LicenceDecisionKind,
    LicenceStatus,
    RefusalKind,
    RiskAlert,
    RiskRule,
    SupervisionGrade,
    SupervisionIndicator,
)
from consent import Complaint, Consent, DataUse, UseOutcome
from core.batching import fetch_by_ids
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from core.sqltypes import money_sum

# --- published definitions (the one engine: authority.indicators) -------------------------

KIND = SubjectKind.BROKER


# Art. 26: the evaluation indicators are published
async def list_indicators(
    session: AsyncSession, actor: Principal | None
) -> list[SupervisionIndicator]:
    """The published broker indicators, in order: readable by anyone signed in."""
    return await indicators.list_indicators(session, actor, KIND)


async def list_grades(session: AsyncSession, actor: Principal | None) -> list[SupervisionGrade]:
    """The published broker grade thresholds, best grade first: readable by anyone signed in."""
    return await indicators.list_grades(session, actor, KIND)


# Art. 26: the data authority publishes specific evaluation indicators
async def update_indicator(
    session: AsyncSession,
    actor: Principal | None,
    code: str,
    *,
    weight: Decimal | None = None,
    parameter: Decimal | None = None,
    name: str | None = None,
    description: str | None = None,
    veto: bool | None = None,
) -> SupervisionIndicator:
    """The data authority changes a published broker indicator (a ledger fact)."""
    return await indicators.update_indicator(
        session, actor, KIND, code, weight=weight, parameter=parameter, name=name,
        description=description, veto=veto,
    )  # fmt: skip


async def update_grade(
    session: AsyncSession, actor: Principal | None, grade: str, *, min_score: Decimal
) -> SupervisionGrade:
    """The data authority moves a broker grade's threshold (a ledger fact)."""
    return await indicators.update_grade(session, actor, KIND, grade, min_score=min_score)


# --- facts ----------------------------------------------------------------------------------


_in = indicators.in_period


async def gather_facts(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[uuid.UUID, dict[str, Decimal]]:
    """Every broker licensed before the period ended, with its facts for the period."""
    brokers = (
        sa.select(BrokerLicence.broker_id)
        .where(BrokerLicence.licensed_at.is_not(None), BrokerLicence.licensed_at < end)
        .distinct()
    )
    ids = set((await session.scalars(brokers)).all())
    facts = {b: {name: Decimal(0) for name in scoring.FACTS} for b in ids}
    broker_ids = brokers.scalar_subquery()

    async def tally(statement: sa.Select[tuple[object, ...]], *names: str) -> None:
        for broker_id, *values in (await session.execute(statement)).all():
            if broker_id in facts:
                for name, value in zip(names, values, strict=True):
                    facts[broker_id][name] += Decimal(value or 0)

    count = sa.func.count()
    await tally(
        sa.select(Deal.broker_id, count)
        .where(_in(Deal.matched_at, start, end))
        .group_by(Deal.broker_id),
        "deals_matched",
    )
    await tally(
        sa.select(Deal.broker_id, count, money_sum(Deal.price))
        .where(_in(Deal.delivered_at, start, end))
        .group_by(Deal.broker_id),
        "deals_delivered",
        "deal_value",
    )
    await tally(
        sa.select(Deal.broker_id, count)
        .where(_in(Deal.cancelled_at, start, end))
        .group_by(Deal.broker_id),
        "deals_cancelled",
    )
    await tally(
        sa.select(DataFlow.broker_id, count)
        .where(_in(DataFlow.recorded_at, start, end))
        .group_by(DataFlow.broker_id),
        "flows_recorded",
    )
    basis = sa.case((BrokerRefusal.kind == RefusalKind.FLOW_BASIS_MISSING, 1), else_=0)
    suspended = sa.case(
        (
            sa.and_(
                BrokerRefusal.kind == RefusalKind.LICENCE_NOT_ACTIVE,
                BrokerRefusal.licence_status == LicenceStatus.SUSPENDED,
            ),
            1,
        ),
        else_=0,
    )
    await tally(
        sa.select(BrokerRefusal.broker_id, sa.func.sum(basis), sa.func.sum(suspended))
        .where(_in(BrokerRefusal.at, start, end))
        .group_by(BrokerRefusal.broker_id),
        "flows_refused_basis",
        "attempts_while_suspended",
    )
    await tally(
        sa.select(DataUse.user_id, count)
        .where(
            _in(DataUse.at, start, end),
            DataUse.outcome == UseOutcome.DENIED,
            DataUse.user_id.in_(broker_ids),
        )
        .group_by(DataUse.user_id),
        "consent_denials",
    )
    await tally(
        sa.select(DataUse.user_id, count)
        .join(Consent, Consent.id == DataUse.consent_id)
        .where(
            _in(DataUse.at, start, end),
            DataUse.outcome == UseOutcome.ALLOWED,
            DataUse.user_id.in_(broker_ids),
            Consent.revoked_at.is_not(None),
            DataUse.at >= Consent.revoked_at,
        )
        .group_by(DataUse.user_id),
        "uses_after_revocation",
    )
    await tally(
        sa.select(Complaint.against_id, count)
        .where(_in(Complaint.received_at, start, end), Complaint.against_id.in_(broker_ids))
        .group_by(Complaint.against_id),
        "complaints",
    )
    on_time = sa.case(
        (sa.and_(Complaint.resolved_at.is_not(None), Complaint.resolved_at <= Complaint.due_at), 1),
        else_=0,
    )
    await tally(
        sa.select(Complaint.against_id, count, sa.func.sum(on_time))
        .where(_in(Complaint.due_at, start, end), Complaint.against_id.in_(broker_ids))
        .group_by(Complaint.against_id),
        "complaints_due",
        "complaints_due_on_time",
    )
    await tally(
        sa.select(LicenceDecision.broker_id, count)
        .where(
            _in(LicenceDecision.decided_at, start, end),
            LicenceDecision.decision == LicenceDecisionKind.SUSPEND,
        )
        .group_by(LicenceDecision.broker_id),
        "licence_suspensions",
    )
    return facts


# --- risk rules (pure) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
    rule: AlertRule
    value: Decimal
    threshold: Decimal
    message: str


# What each rule measures, from one broker's period facts.
_RULE_VALUES: dict[AlertRule, tuple[str, str]] = {
    AlertRule.COMPLAINT_RATE: ("COMPLAINTS_PER_100_FLOWS", "complaints per 100 flows"),
    AlertRule.FLOW_BASIS_MISSING: ("flows_refused_basis", "fusion flows without legal basis"),
    AlertRule.ACTIVITY_WHILE_SUSPENDED: ("attempts_while_suspended", "actions while suspended"),
    AlertRule.USE_AFTER_REVOCATION: ("uses_after_revocation", "data uses after revocation"),
}


# The volume a rate rule is a rate of: below the rule's published `min_volume` in the period
# the rate says nothing yet (one complaint with one flow is not 100 per 100 flows).
RATE_VOLUME: dict[AlertRule, str] = {AlertRule.COMPLAINT_RATE: "flows_recorded"}


# Art. 26: risk prevention: rules over each broker's facts raise alerts
def risk_rules(facts: dict[str, Decimal], rules: Sequence[RiskRule]) -> list[Fired]:
    """The alerts one broker's facts for a period raise under the published rules."""
    values = {**facts, **scoring.indicator_values(facts)}
    fired = []
    for rule in rules:
        if not rule.enabled:
            continue
        key, what = _RULE_VALUES[rule.rule]
        value, threshold = values[key], Decimal(rule.threshold)
        if rule.rule is AlertRule.COMPLAINT_RATE and facts["complaints"] == 0:
            continue  # no complaint, no rate to speak of
        volume = RATE_VOLUME.get(rule.rule)
        if volume is not None and facts[volume] < rule.min_volume:
            continue  # Art. 26: a risk control reads a rate once there is enough to rate
        if value > threshold:
            fired.append(Fired(rule.rule, value, threshold, f"{value} {what}, above {threshold}."))
    return fired


async def list_risk_rules(session: AsyncSession, actor: Principal | None) -> list[RiskRule]:
    """The published risk rules: readable by anyone signed in, as the indicators are."""
    require(actor)
    return list((await session.scalars(sa.select(RiskRule).order_by(RiskRule.rule))).all())


async def update_risk_rule(
    session: AsyncSession,
    actor: Principal | None,
    rule: AlertRule,
    *,
    threshold: Decimal | None = None,
    enabled: bool | None = None,
    min_volume: int | None = None,
) -> RiskRule:
    """The data authority moves a rule's threshold or minimum volume, or switches it; a
    ledger entry says what changed. Periods evaluated later use the new rule; alerts
    already raised stay."""
    actor = require(actor, Role.AUTHORITY)
    row = await session.get(RiskRule, rule, with_for_update=True)
    if row is None:
        raise UserError(Code.RULE_NOT_FOUND, f"No risk rule {rule.value!r}.", "rule")
    if threshold is not None and not (threshold.is_finite() and threshold >= 0):
        raise UserError(Code.THRESHOLD_INVALID, "A threshold is 0 or more.", "threshold")
    if min_volume is not None:
        if rule not in RATE_VOLUME:
            raise UserError(
                Code.MIN_VOLUME_NOT_APPLICABLE,
                "Only a rate rule has a minimum volume; this rule counts events.",
                "min_volume",
            )
        if not 0 <= min_volume <= 1_000_000:
            raise UserError(
                Code.MIN_VOLUME_INVALID, "A minimum volume is from 0 to 1000000.", "min_volume"
            )
    change: dict[str, list[object]] = {}
    if min_volume is not None and row.min_volume != min_volume:
        change["minVolume"] = [row.min_volume, min_volume]
        row.min_volume = min_volume
    if threshold is not None and Decimal(row.threshold) != threshold:
        change["threshold"] = [row.threshold, str(threshold)]
        row.threshold = str(threshold)
    if enabled is not None and row.enabled != enabled:
        change["enabled"] = [row.enabled, enabled]
        row.enabled = enabled
    if not change:
        raise UserError(Code.NOTHING_CHANGED, "The update repeats the published rule.", None)
    row.updated_at = now()
    await ledger.append(
        session, ledger.Kind.RISK_RULE_UPDATED, actor, {"rule": rule.value, "change": change}
    )
    return row


# --- evaluation -----------------------------------------------------------------------------


check_period = indicators.check_period


@dataclass
class EvaluationRun:
    period_start: datetime
    period_end: datetime
    evaluations: list[BrokerEvaluation]
    alerts_raised: list[RiskAlert]
    ledger_seq: int
    licences_regraded: list[Regraded] = field(default_factory=list)


# Art. 26: daily supervision: every licensed broker evaluated and graded per period
async def evaluate_brokers(
    session: AsyncSession, actor: Principal | None, start: datetime, end: datetime
) -> EvaluationRun:
    """The data authority evaluates every broker for a period that has ended. The period's
    results are replaced; alerts already raised for the period stay as they are."""
    actor = require(actor, Role.AUTHORITY)
    at, definitions = await indicators.begin(session, KIND, start, end)
    rules = list(
        (await session.scalars(sa.select(RiskRule).order_by(RiskRule.rule).with_for_update())).all()
    )
    facts = await gather_facts(session, start, end)
    if not facts:  # nothing to evaluate is said, not recorded as an empty run
        raise UserError(
            Code.NO_BROKERS_IN_PERIOD,
            "No broker was licensed before this period ended; there is nothing to evaluate.",
            "period_end",
        )
    results = indicators.score_all(facts, definitions, scoring.indicator_values)
    existing = set(
        (
            await session.execute(
                sa.select(RiskAlert.rule, RiskAlert.broker_id).where(
                    RiskAlert.period_start == start, RiskAlert.period_end == end
                )
            )
        ).all()
    )
    fired = {
        broker_id: [
            f for f in risk_rules(broker_facts, rules) if (f.rule, broker_id) not in existing
        ]
        for broker_id, broker_facts in facts.items()
    }
    order = sorted(facts, key=str)
    regraded = await _licence_grades(session, end, {b: results[b].grade for b in order})
    entry = await indicators.record(
        session, actor, definitions, start, end, results, order,
        riskRules=[
            {"rule": r.rule.value, "threshold": r.threshold, "enabled": r.enabled,
             "minVolume": r.min_volume}
            for r in rules
        ],
        alerts=[
            {"broker": str(b), "rule": f.rule.value, "value": str(f.value)}
            for b in order
            for f in fired[b]
        ],
        licenceGrades=[
            {"licence": str(c.licence_id), "broker": str(c.broker_id), "from": c.before,
             "to": c.after}
            for c in regraded
        ],
    )  # fmt: skip
    await session.execute(
        sa.delete(BrokerEvaluation).where(
            BrokerEvaluation.period_start == start, BrokerEvaluation.period_end == end
        )
    )
    evaluations = [
        BrokerEvaluation(
            broker_id=b,
            period_start=start,
            period_end=end,
            facts=json.dumps({k: str(v) for k, v in facts[b].items()}, sort_keys=True),
            indicators=json.dumps(indicators.indicators_json(results[b])),
            score=str(results[b].score),
            grade=results[b].grade,
            evaluated_at=at,
            ledger_seq=ledger.UNSEQUENCED,
        )
        for b in order
    ]
    alerts = [
        RiskAlert(
            rule=f.rule,
            broker_id=b,
            period_start=start,
            period_end=end,
            value=str(f.value),
            threshold=str(f.threshold),
            message=f.message,
            status=AlertStatus.OPEN,
            raised_at=at,
            ledger_seq=ledger.UNSEQUENCED,
        )
        for b in order
        for f in fired[b]
    ]
    session.add_all(evaluations)
    session.add_all(alerts)
    await session.flush()
    # One statement however many licences move (the statement count does not grow with
    # brokers); the licences are re-read by whoever shows them next.
    await session.execute(
        sa.update(BrokerLicence)
        .where(BrokerLicence.id.in_([c.licence_id for c in regraded]))
        .values(
            grade=sa.select(BrokerEvaluation.grade)
            .where(
                BrokerEvaluation.broker_id == BrokerLicence.broker_id,
                BrokerEvaluation.period_start == start,
                BrokerEvaluation.period_end == end,
            )
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )
    run = EvaluationRun(start, end, evaluations, alerts, ledger.UNSEQUENCED, regraded)
    entry.stamp(*evaluations, *alerts, (run, "ledger_seq"))
    return run


@dataclass(frozen=True)
class Regraded:
    licence_id: uuid.UUID
    broker_id: uuid.UUID
    before: str | None
    after: str


# Art. 26: supervision moves the licence: each evaluation regrades the licensed broker
async def _licence_grades(
    session: AsyncSession, end: datetime, grades: dict[uuid.UUID, str]
) -> list[Regraded]:
    """Art. 26: supervision moves the licence. A broker's LICENSED or SUSPENDED licence takes
    the grade of its latest evaluated period: this one, unless a period ending later was
    evaluated already (re-running an old period does not move today's grade)."""
    later = sa.exists().where(
        BrokerEvaluation.broker_id == BrokerLicence.broker_id, BrokerEvaluation.period_end > end
    )
    rows = (
        await session.execute(
            sa.select(BrokerLicence.id, BrokerLicence.broker_id, BrokerLicence.grade)
            .where(
                BrokerLicence.broker_id.in_(list(grades)),
                BrokerLicence.status.in_([LicenceStatus.LICENSED, LicenceStatus.SUSPENDED]),
                sa.not_(later),
            )
            .with_for_update(of=BrokerLicence.__table__)
        )
    ).all()
    return sorted(
        (
            Regraded(row.id, row.broker_id, row.grade, grades[row.broker_id])
            for row in rows
            if row.grade != grades[row.broker_id]
        ),
        key=lambda c: str(c.broker_id),
    )


def _supervision_visible(
    actor: Principal, broker_id: sa.ColumnElement[uuid.UUID]
) -> sa.ColumnElement[bool] | None:
    """Evaluations and alerts: the authority and auditors see all, a broker its own; None
    for anyone else."""
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.has(Role.BROKER) and actor.organization_id is not None:
        return broker_id == actor.organization_id
    return None


def _evaluations_visible(actor: Principal) -> sa.ColumnElement[bool]:
    visible = _supervision_visible(actor, BrokerEvaluation.broker_id)
    if visible is None:
        raise Forbidden("Broker evaluations are for the data authority and each broker's own.")
    return visible


async def get_evaluations(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[BrokerEvaluation | None]:
    """Evaluations by id as `actor` may see them (None for the others)."""
    visible = _supervision_visible(actor, BrokerEvaluation.broker_id) if actor else None
    return await fetch_by_ids(
        session, BrokerEvaluation, ids, sa.false() if visible is None else visible
    )


# Art. 26: the periodic evaluations and grades, for regulators and the broker
async def list_evaluations(
    session: AsyncSession,
    actor: Principal | None,
    *,
    period: tuple[datetime, datetime] | None,
    grade: str | None,
    first: int,
    after: str | None,
) -> Page[BrokerEvaluation]:
    """The authority sees every broker's evaluations; a broker its own."""
    actor = require(actor)
    statement = sa.select(BrokerEvaluation).where(_evaluations_visible(actor))
    if period is not None:
        statement = statement.where(
            BrokerEvaluation.period_start == period[0], BrokerEvaluation.period_end == period[1]
        )
    if grade is not None:
        statement = statement.where(BrokerEvaluation.grade == grade)
    return await paginate(
        session,
        statement,
        sort=BrokerEvaluation.evaluated_at,
        id_column=BrokerEvaluation.id,
        first=first,
        after=after,
    )


# --- alerts ---------------------------------------------------------------------------------


# Art. 26: risk alerts, for the data authority to act on
async def list_alerts(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: AlertStatus | None,
    first: int,
    after: str | None,
) -> Page[RiskAlert]:
    require(actor, Role.AUTHORITY)
    statement = sa.select(RiskAlert)
    if status is not None:
        statement = statement.where(RiskAlert.status == status)
    return await paginate(
        session,
        statement,
        sort=RiskAlert.raised_at,
        id_column=RiskAlert.id,
        first=first,
        after=after,
    )


async def acknowledge_alert(
    session: AsyncSession, actor: Principal | None, alert_id: uuid.UUID, *, note: str
) -> RiskAlert:
    actor = require(actor, Role.AUTHORITY)
    alert = await session.scalar(
        sa.select(RiskAlert).where(RiskAlert.id == alert_id).with_for_update()
    )
    if alert is None:
        raise UserError(Code.ALERT_NOT_FOUND, "No such risk alert.", "id")
    if alert.status is AlertStatus.ACKNOWLEDGED:
        raise UserError(
            Code.ALERT_ALREADY_ACKNOWLEDGED, "The alert was acknowledged already.", "id"
        )
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now()
    alert.acknowledged_by_id = actor.organization_id
    alert.acknowledgement = note.strip()
    await ledger.append(
        session,
        ledger.Kind.ALERT_ACKNOWLEDGED,
        actor,
        {"alert": str(alert.id), "rule": alert.rule.value, "note": alert.acknowledgement},
        parties=[alert.broker_id],
    )
    return alert


async def get_alerts(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[RiskAlert | None]:
    """Alerts by id as `actor` may see them: the authority and auditors all, a broker the
    alerts raised about it (they are in its evaluation's ledger entry already)."""
    visible = _supervision_visible(actor, RiskAlert.broker_id) if actor else None
    return await fetch_by_ids(session, RiskAlert, ids, sa.false() if visible is None else visible)
