"""Broker licensing (Art. 26): apply, the authority's decisions, and the check every broker
action makes against the licence in the database at the time.

A token with the `broker` role is not enough: `require_licensed` reads the organisation's
current licence (the latest application) inside the action's own transaction, and refuses
unless it is LICENSED and not past `valid_until`. Refusals of a broker holding a suspended,
revoked or expired licence are `Refused` errors (`broker.refusals`): the action's transaction
rolls back (it changes nothing), and the refusal's after-rollback step records the attempt
afterwards, in a short transaction of its own, for supervision.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

import ledger
from broker.errors import Code
from broker.models import (
    DECISION_TARGET,
    LICENCE_TRANSITIONS,
    BrokerLicence,
    BrokerType,
    LicenceDecision,
    LicenceDecisionKind,
    LicenceStatus,
    RefusalKind,
)
from broker.refusals import Refused
from core.batching import fetch_by_ids, fetch_children
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate

LICENCE_TERM = timedelta(days=3 * 365)  # the default term of a licence when none is given
MIN_MLPS_LEVEL = 2  # MLPS 2.0 level 2 (等保二级) at least, as the Haizhu pilot asks
GRADES = ("A", "B", "C", "D")
OPEN = (LicenceStatus.APPLIED, LicenceStatus.LICENSED, LicenceStatus.SUSPENDED)
DECIDED = {  # the ledger fact each decision records
    LicenceDecisionKind.APPROVE: ledger.Kind.LICENCE_LICENSED,
    LicenceDecisionKind.REJECT: ledger.Kind.LICENCE_REJECTED,
    LicenceDecisionKind.SUSPEND: ledger.Kind.LICENCE_SUSPENDED,
    LicenceDecisionKind.REINSTATE: ledger.Kind.LICENCE_REINSTATED,
    LicenceDecisionKind.REVOKE: ledger.Kind.LICENCE_REVOKED,
}
# Decisions that need one particular starting status besides the transition table's rule.
DECISION_FROM = {
    LicenceDecisionKind.APPROVE: LicenceStatus.APPLIED,
    LicenceDecisionKind.REINSTATE: LicenceStatus.SUSPENDED,
}


def can_decide(before: LicenceStatus, decision: LicenceDecisionKind) -> bool:
    """The transition table, plus: APPROVE only answers an application and REINSTATE only
    lifts a suspension."""
    needed = DECISION_FROM.get(decision)
    return DECISION_TARGET[decision] in LICENCE_TRANSITIONS[before] and (
        needed is None or before is needed
    )


LAPSING = (LicenceStatus.LICENSED, LicenceStatus.SUSPENDED)  # the statuses a term ends


def effective_status(licence: BrokerLicence, at: datetime) -> LicenceStatus:
    """The stored status, or EXPIRED for a licensed or suspended licence past its term (SQL:
    `effective_status_is`)."""
    if licence.status in LAPSING and licence.valid_until is not None and at >= licence.valid_until:
        return LicenceStatus.EXPIRED
    return licence.status


def effective_status_is(status: LicenceStatus, at: datetime) -> sa.ColumnElement[bool]:
    """SQL for `effective_status(licence, at) is status`, the one rule in both languages: a
    LICENSED or SUSPENDED licence is EXPIRED from `valid_until` on; without a `valid_until`
    it does not expire."""
    past_term = sa.and_(BrokerLicence.valid_until.is_not(None), BrokerLicence.valid_until <= at)
    if status is LicenceStatus.EXPIRED:
        return sa.or_(
            BrokerLicence.status == status,
            sa.and_(BrokerLicence.status.in_(LAPSING), past_term),
        )
    if status in LAPSING:
        return sa.and_(BrokerLicence.status == status, sa.not_(past_term))
    return BrokerLicence.status == status


@dataclass(frozen=True)
class LicenceApplication:
    broker_type: BrokerType
    business_scope: str
    scenarios: tuple[str, ...]
    mlps_level: int
    dcmm_level: int
    contact: str
    minors_data_handling: str
    sensitive_data_handling: str


def _check_application(app: LicenceApplication) -> list[Problem]:
    problems = []
    if not app.business_scope.strip() or len(app.business_scope) > 2000:
        problems.append(
            Problem(
                Code.SCOPE_REQUIRED,
                "State the business scope (1-2000 characters).",
                "business_scope",
            )
        )
    if not [s for s in app.scenarios if s.strip()]:
        problems.append(
            Problem(Code.SCENARIOS_REQUIRED, "Name at least one application scenario.", "scenarios")
        )
    if not 1 <= app.mlps_level <= 5:
        problems.append(Problem(Code.MLPS_LEVEL_INVALID, "MLPS levels run 1-5.", "mlps_level"))
    elif app.mlps_level < MIN_MLPS_LEVEL:
        problems.append(
            Problem(
                Code.MLPS_LEVEL_TOO_LOW,
                f"A broker's systems need MLPS level {MIN_MLPS_LEVEL} or above.",
                "mlps_level",
            )
        )
    if not 1 <= app.dcmm_level <= 5:
        problems.append(Problem(Code.DCMM_LEVEL_INVALID, "DCMM levels run 1-5.", "dcmm_level"))
    if not app.contact.strip():
        problems.append(Problem(Code.CONTACT_REQUIRED, "Give a contact.", "contact"))
    if not app.minors_data_handling.strip():
        problems.append(
            Problem(
                Code.MINORS_HANDLING_REQUIRED,
                "Declare how minors' data is handled.",
                "minors_data_handling",
            )
        )
    if not app.sensitive_data_handling.strip():
        problems.append(
            Problem(
                Code.SENSITIVE_HANDLING_REQUIRED,
                "Declare how sensitive personal information is handled.",
                "sensitive_data_handling",
            )
        )
    return problems


async def current_licence(
    session: AsyncSession, broker_id: uuid.UUID, *, lock: bool = False
) -> BrokerLicence | None:
    """The organisation's latest application, re-read from the database."""
    statement = (
        sa.select(BrokerLicence)
        .where(BrokerLicence.broker_id == broker_id)
        .order_by(BrokerLicence.applied_at.desc(), BrokerLicence.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update(read=True)
    return await session.scalar(statement)


# Art. 26: a broker applies to the data authority for a licence
async def apply_broker_licence(
    session: AsyncSession, actor: Principal | None, application: LicenceApplication
) -> BrokerLicence:
    """A market entity (or a broker re-applying) asks for a licence: APPLIED."""
    actor = require(actor, Role.MARKET_ENTITY, Role.BROKER)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no organisation.")
    problems = _check_application(application)
    if problems:
        raise UserError.of(problems)
    existing = await current_licence(session, actor.organization_id, lock=True)
    if existing is not None and effective_status(existing, now()) in OPEN:
        raise UserError(
            Code.LICENCE_ALREADY_HELD,
            f"Your organisation's licence is {existing.status.value}; one at a time.",
            None,
        )
    scenarios = [s.strip() for s in application.scenarios if s.strip()]
    licence = BrokerLicence(
        broker_id=actor.organization_id,
        broker_type=application.broker_type,
        business_scope=application.business_scope.strip(),
        scenarios=json.dumps(scenarios, ensure_ascii=False),
        mlps_level=application.mlps_level,
        dcmm_level=application.dcmm_level,
        contact=application.contact.strip(),
        minors_data_handling=application.minors_data_handling.strip(),
        sensitive_data_handling=application.sensitive_data_handling.strip(),
        status=LicenceStatus.APPLIED,
        ledger_seq=ledger.UNSEQUENCED,
    )
    entry = await ledger.append(
        session,
        ledger.Kind.LICENCE_APPLIED,
        actor,
        {
            "licence": str(licence.id),
            "brokerType": licence.broker_type.value,
            "scope": licence.business_scope,
            "scenarios": scenarios,
            "mlpsLevel": licence.mlps_level,
            "dcmmLevel": licence.dcmm_level,
        },
        parties=[actor.organization_id],
    )
    entry.stamp(licence)
    session.add(licence)
    await session.flush()
    return licence


# Art. 26: the data authority licenses, suspends or revokes brokers
async def decide_broker_licence(
    session: AsyncSession,
    actor: Principal | None,
    licence_id: uuid.UUID,
    *,
    decision: LicenceDecisionKind,
    reason: str,
    grade: str | None = None,
    valid_until: datetime | None = None,
) -> BrokerLicence:
    """The data authority decides, always with a reason; every decision is a ledger entry."""
    actor = require(actor, Role.AUTHORITY)
    reason = reason.strip()
    problems = []
    if not reason:
        problems.append(Problem(Code.REASON_REQUIRED, "Every decision gives its reason.", "reason"))
    if grade is not None and grade not in GRADES:
        problems.append(Problem(Code.GRADE_INVALID, "A grade is A, B, C or D.", "grade"))
    at = now()
    if valid_until is not None and valid_until <= at:
        problems.append(
            Problem(Code.VALID_UNTIL_INVALID, "A licence must run into the future.", "valid_until")
        )
    if problems:
        raise UserError.of(problems)
    licence = await session.scalar(
        sa.select(BrokerLicence)
        .where(BrokerLicence.id == licence_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if licence is None:
        raise UserError(Code.LICENCE_NOT_FOUND, "No broker licence has this id.", "licence_id")
    before = effective_status(licence, at)
    target = DECISION_TARGET[decision]
    if not can_decide(before, decision):
        raise UserError(
            Code.LICENCE_STATUS_INVALID,
            f"A licence that is {before.value} cannot be decided {decision.value}.",
            "decision",
        )
    licence.status = target
    licence.decision_reason = reason
    if grade is not None:
        licence.grade = grade
    if decision is LicenceDecisionKind.APPROVE:
        licence.licensed_at = at
        licence.valid_until = valid_until or at + LICENCE_TERM
    elif valid_until is not None and target is LicenceStatus.LICENSED:
        licence.valid_until = valid_until
    entry = await ledger.append(
        session,
        DECIDED[decision],
        actor,
        {
            "licence": str(licence.id),
            "decision": decision.value,
            "from": before.value,
            "to": target.value,
            "reason": reason,
            "grade": licence.grade,
            "validUntil": licence.valid_until.isoformat() if licence.valid_until else None,
        },
        parties=[licence.broker_id],
    )
    decision_row = LicenceDecision(
        licence_id=licence.id,
        broker_id=licence.broker_id,
        decision=decision,
        from_status=before,
        to_status=target,
        reason=reason,
        decided_by_id=actor.organization_id,
        decided_at=at,
        ledger_seq=ledger.UNSEQUENCED,
    )
    entry.stamp(decision_row)
    session.add(decision_row)
    await session.flush()
    return licence


_REFUSAL_CODES = {
    LicenceStatus.SUSPENDED: (Code.LICENCE_SUSPENDED, "Your broker licence is suspended."),
    LicenceStatus.REVOKED: (Code.LICENCE_REVOKED, "Your broker licence has been revoked."),
    LicenceStatus.EXPIRED: (Code.LICENCE_EXPIRED, "Your broker licence has expired."),
}


# Art. 26: every broker action is checked against a current licence
async def require_licensed(
    session: AsyncSession, actor: Principal | None, action: str
) -> tuple[Principal, BrokerLicence]:
    """The broker's licence, LICENSED now, read (and share-locked) in this transaction."""
    actor = require(actor, Role.BROKER)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no organisation.")
    licence = await current_licence(session, actor.organization_id, lock=True)
    if licence is None or licence.status in (LicenceStatus.APPLIED, LicenceStatus.REJECTED):
        raise UserError(Code.LICENCE_REQUIRED, "Your organisation holds no broker licence.", None)
    status = effective_status(licence, now())
    if status is not LicenceStatus.LICENSED:
        code, message = _REFUSAL_CODES[status]
        raise Refused(
            [Problem(code, message)],
            broker_id=actor.organization_id,
            kind=RefusalKind.LICENCE_NOT_ACTIVE,
            action=action,
            licence_status=status,
        )
    return actor, licence


async def is_licensed(session: AsyncSession, broker_id: uuid.UUID) -> bool:
    licence = await current_licence(session, broker_id)
    return licence is not None and effective_status(licence, now()) is LicenceStatus.LICENSED


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.organization_id is None:
        return sa.false()
    return BrokerLicence.broker_id == actor.organization_id


async def list_licences(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: LicenceStatus | None,
    first: int,
    after: str | None,
) -> Page[BrokerLicence]:
    """The authority sees every licence; an organisation its own."""
    actor = require(actor)
    statement = sa.select(BrokerLicence).where(visible_to(actor))
    if status is not None:
        statement = statement.where(effective_status_is(status, now()))
    return await paginate(
        session,
        statement,
        sort=BrokerLicence.applied_at,
        id_column=BrokerLicence.id,
        first=first,
        after=after,
    )


async def get_licences(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[BrokerLicence | None]:
    return await fetch_by_ids(session, BrokerLicence, ids, visible_to(actor))


async def decisions_of(
    session: AsyncSession, licence_ids: Sequence[uuid.UUID]
) -> list[list[LicenceDecision]]:
    return await fetch_children(
        session,
        LicenceDecision.licence_id,
        licence_ids,
        order_by=(LicenceDecision.decided_at, LicenceDecision.ledger_seq),
    )
