"""Share requests on the statutory calendar (Art. 13, 15).

An agency asks for items of another agency's catalogue entry, for one purpose and one
business scenario. By the entry's share type (Art. 14):
UNCONDITIONAL → granted at once; CONDITIONAL → PENDING, answered within 5 working days of
receipt and delivered within 5 working days of approval; NOT_SHARED → refused at once with
the entry's legal basis (ask for verification instead, Art. 15 ¶3).

PENDING → APPROVED (a grant, exactly the items kept) → DELIVERED; PENDING → REFUSED (law
and article) → DISPUTED → REFUSED (upheld) or APPROVED (overturned); the requester may
withdraw until delivered. Every step is a ledger fact naming both agencies.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

import ledger
from core import deadlines, workdays
from core.batching import fetch_by_ids, many_each, one_each
from core.calendar import WorkingCalendar
from core.clock import now
from core.db import AsyncSession, dialect_insert
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from registry import DataItem, Resource, ResourceItem, ShareType
from sharing.errors import Code
from sharing.grants import create_grant, end_grant_of_withdrawn
from sharing.models import (
    OFFLINE_MODES,
    SHARE_REQUEST_TRANSITIONS,
    DisputeOutcome,
    ShareDispute,
    ShareLateness,
    ShareMode,
    ShareRequest,
    ShareRequestItem,
    ShareRequestStatus,
)

ANSWER_WORKING_DAYS = 5  # Art. 15: the source department answers within 5 working days
DELIVERY_WORKING_DAYS = 5  # Art. 15: and delivers within 5 working days of approving
OPEN = (ShareRequestStatus.PENDING, ShareRequestStatus.APPROVED)


class Decision(StrEnum):
    APPROVE = "APPROVE"
    REFUSE = "REFUSE"


@dataclass(frozen=True)
class RequestFields:
    resource_id: uuid.UUID
    items: tuple[str, ...]  # data item codes
    purpose: str
    scenario: str
    mode: ShareMode
    until: datetime


def scenario_key(scenario: str) -> str:
    """Art. 13: one request per concrete use — the scenario, case- and space-insensitive."""
    return hashlib.sha256(" ".join(scenario.casefold().split()).encode()).hexdigest()


async def _fact(
    session: AsyncSession,
    actor: Principal | None,
    request: ShareRequest,
    kind: ledger.Kind,
    **body: object,
) -> ledger.Fact:
    return await ledger.append(
        session,
        kind,
        actor,
        {
            "request": str(request.id),
            "resource": str(request.resource_id),
            "requester": str(request.requester_id),
            "sourceDepartment": str(request.source_department_id),
            "status": request.status.value,
            **body,
        },
        parties=[request.requester_id, request.source_department_id],
    )


def _clean(text: str) -> str:
    return " ".join(text.split())


def _check(fields: RequestFields, at: datetime) -> tuple[str, str]:
    purpose, scenario = _clean(fields.purpose), fields.scenario.strip()
    problems = []
    if not purpose or len(purpose) > 200:
        problems.append(
            Problem(
                Code.PURPOSE_REQUIRED, "Say what the data is for (1-200 characters).", "purpose"
            )
        )
    # Art. 13: a request states its business scenario
    if not scenario or len(scenario) > 2000:
        problems.append(
            Problem(
                Code.SCENARIO_REQUIRED,
                "Describe the one business scenario (1-2000 characters).",
                "scenario",
            )
        )
    if not fields.items:
        problems.append(Problem(Code.ITEMS_REQUIRED, "Name at least one data item.", "items"))
    if fields.until.tzinfo is None:
        problems.append(
            Problem(Code.TIME_ZONE_REQUIRED, "Give the time with its UTC offset.", "until")
        )
    elif fields.until <= at:
        problems.append(Problem(Code.UNTIL_IN_PAST, "The end date must be in the future.", "until"))
    if problems:
        raise UserError.of(problems)
    return purpose, scenario


async def resource_items(
    session: AsyncSession, resource_id: uuid.UUID, codes: Sequence[str], field: str = "items"
) -> list[DataItem]:
    """The resource's items named by `codes`; any other code is refused (ITEM_NOT_IN_RESOURCE)."""
    wanted = list(dict.fromkeys(c.strip() for c in codes))
    rows = list(
        await session.scalars(
            sa.select(DataItem)
            .join(ResourceItem, ResourceItem.data_item_id == DataItem.id)
            .where(ResourceItem.resource_id == resource_id, DataItem.code.in_(wanted))
            .order_by(DataItem.code)
        )
    )
    missing = sorted(set(wanted) - {r.code for r in rows})
    if missing:
        raise UserError(
            Code.ITEM_NOT_IN_RESOURCE,
            f"The resource does not carry the data item {missing[0]}.",
            field,
        )
    return rows


def _deadline(calendar: WorkingCalendar, start: datetime, days: int) -> tuple[datetime, bool]:
    # Never refused for the calendar: a year without its official arrangement gives a
    # provisional date, recounted when the authority enters the year.
    due = workdays.deadline_on(calendar, start, days)
    return due.at, due.provisional


async def _approve(
    session: AsyncSession,
    actor: Principal | None,
    request: ShareRequest,
    items: Sequence[DataItem],
    at: datetime,
    calendar: WorkingCalendar,
) -> None:
    """Mark the kept items, make the grant and start the delivery clock (Art. 15, 16)."""
    kept = {i.id for i in items}
    rows = await session.scalars(
        sa.select(ShareRequestItem).where(ShareRequestItem.request_id == request.id)
    )
    for row in rows:
        row.approved = row.data_item_id in kept
    grant = await create_grant(session, actor, request, items)
    request.grant_id = grant.id
    request.delivery_due_at, request.delivery_due_provisional = _deadline(
        calendar, at, DELIVERY_WORKING_DAYS
    )


# Art. 13: an agency asks another for data, one request per concrete use
async def request_share(
    session: AsyncSession, actor: Principal | None, fields: RequestFields
) -> ShareRequest:
    actor = require(actor, Role.AGENCY)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no organisation.")
    at = now()
    purpose, scenario = _check(fields, at)
    calendar = await workdays.load_working_calendar(session)  # before any row lock
    resource = await session.get(Resource, fields.resource_id)
    if resource is None:
        raise UserError(Code.RESOURCE_NOT_FOUND, "No resource has this id.", "resource_id")
    if resource.owner_id == actor.organization_id:
        raise UserError(
            Code.OWN_RESOURCE, "This resource is your own: you need no request.", "resource_id"
        )
    items = await resource_items(session, resource.id, fields.items)
    key = scenario_key(scenario)
    # Art. 13: a second open request for the same resource and scenario is refused
    duplicate = await session.scalar(
        sa.select(ShareRequest.id).where(
            ShareRequest.requester_id == actor.organization_id,
            ShareRequest.resource_id == resource.id,
            ShareRequest.scenario_key == key,
            ShareRequest.status.in_((ShareRequestStatus.PENDING, ShareRequestStatus.DISPUTED)),
        )
    )
    if duplicate is not None:
        raise UserError(
            Code.REQUEST_DUPLICATE,
            "You already have a pending request for this resource and scenario: one request "
            "per concrete use (Art. 13).",
            "scenario",
        )
    request = ShareRequest(
        requester_id=actor.organization_id,
        resource_id=resource.id,
        source_department_id=resource.owner_id,
        purpose=purpose,
        scenario=scenario,
        scenario_key=key,
        mode=fields.mode,
        until=fields.until,
        share_type=resource.share_type.value,
        status=ShareRequestStatus.PENDING,
        received_at=at,
        ledger_seq=ledger.UNSEQUENCED,
    )
    session.add(request)
    await session.flush()
    session.add_all(ShareRequestItem(request_id=request.id, data_item_id=i.id) for i in items)
    await session.flush()
    body: dict[str, object] = {
        "items": [i.code for i in items],
        "purpose": purpose,
        "scenario": scenario,
        "mode": fields.mode.value,
        "until": fields.until.isoformat(),
        "shareType": resource.share_type.value,
    }
    if resource.share_type is ShareType.NOT_SHARED:
        # Art. 15: not shared — refused at once with the entry's legal basis
        request.status = ShareRequestStatus.REFUSED
        request.answered_at = at
        request.refusal_law = resource.share_legal_basis[:200]
        request.refusal_reason = (
            "Not shared under the catalogue entry; ask for verification (verifyDataClaim)."
        )
        body["legalBasis"] = resource.share_legal_basis
    elif resource.share_type is ShareType.UNCONDITIONAL:
        # Art. 15: unconditional sharing — requested and obtained at once
        request.status = ShareRequestStatus.APPROVED
        request.answered_at = at
        await _approve(session, actor, request, items, at, calendar)
        if fields.mode not in OFFLINE_MODES:  # released through the platform, on tickets
            request.status = ShareRequestStatus.DELIVERED
            request.delivered_at, request.delivery_channel = at, fields.mode
        body["grant"] = str(request.grant_id)
    else:
        request.answer_due_at, request.answer_due_provisional = _deadline(
            calendar, at, ANSWER_WORKING_DAYS
        )
        body["answerDueAt"] = request.answer_due_at.isoformat()
        body["answerDueProvisional"] = request.answer_due_provisional
    await session.flush()
    fact = await _fact(session, actor, request, ledger.Kind.SHARE_REQUEST_RECEIVED, **body)
    fact.stamp(request)
    return request


async def _locked(session: AsyncSession, request_id: uuid.UUID) -> ShareRequest:
    request = await session.scalar(
        sa.select(ShareRequest)
        .where(ShareRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise UserError(Code.REQUEST_NOT_FOUND, "No share request has this id.", "request_id")
    return request


def _move(request: ShareRequest, to: ShareRequestStatus) -> None:
    if to not in SHARE_REQUEST_TRANSITIONS[request.status]:
        raise UserError(
            Code.REQUEST_STATUS_INVALID,
            f"A request that is {request.status.value} cannot become {to.value}.",
            "request_id",
        )
    request.status = to


def _own(actor: Principal, org_id: uuid.UUID, who: str) -> None:
    if actor.organization_id != org_id:
        raise Forbidden(f"Only the {who} of this request may do this.")


# Art. 15: the source department approves (possibly fewer items) or refuses with its basis
async def answer_share_request(
    session: AsyncSession,
    actor: Principal | None,
    request_id: uuid.UUID,
    *,
    decision: Decision,
    items: Sequence[str] | None = None,
    law: str = "",
    article: str = "",
    reason: str = "",
) -> ShareRequest:
    actor = require(actor, Role.AGENCY)
    calendar = await workdays.load_working_calendar(session)  # before the row lock
    request = await _locked(session, request_id)
    _own(actor, request.source_department_id, "source department")
    at = now()
    if decision is Decision.REFUSE:
        law, article, reason = _clean(law), _clean(article), reason.strip()
        # Art. 15: a refusal cites its legal basis
        if not law or not article or len(law) > 200 or len(article) > 100:
            raise UserError(
                Code.LEGAL_BASIS_REQUIRED,
                "A refusal cites its legal basis: the law (1-200 characters) and the article.",
                "law" if not law or len(law) > 200 else "article",
            )
        _move(request, ShareRequestStatus.REFUSED)
        request.refusal_law, request.refusal_article = law, article
        request.refusal_reason = reason[:2000]
        request.answered_at = at
        await session.flush()
        late = answered_late(request)
        await _count_late(session, request, answers=late)
        await _fact(
            session, actor, request, ledger.Kind.SHARE_REQUEST_REFUSED, law=law, article=article,
            reason=reason, late=late,
        )  # fmt: skip
        return request
    asked = await items_of_requests(session, [request.id])
    asked_codes = {i.code for i in asked[0]}
    kept_codes = asked_codes if items is None else {c.strip() for c in items}
    if not kept_codes:
        raise UserError(Code.ITEMS_REQUIRED, "Approve at least one item, or refuse.", "items")
    # Art. 16: an approval may narrow, never widen, what was asked
    wider = sorted(kept_codes - asked_codes)
    if wider:
        raise UserError(
            Code.ITEMS_WIDENED,
            f"{wider[0]} was not asked for: an approval may only narrow.",
            "items",
        )
    _move(request, ShareRequestStatus.APPROVED)
    request.answered_at = at
    kept = [i for i in asked[0] if i.code in kept_codes]
    await _approve(session, actor, request, kept, at, calendar)
    await session.flush()
    late = answered_late(request)
    await _count_late(session, request, answers=late)
    await _fact(
        session, actor, request, ledger.Kind.SHARE_REQUEST_APPROVED, items=sorted(kept_codes),
        grant=str(request.grant_id),
        narrowed=kept_codes != asked_codes,
        late=late,
        deliveryDueAt=request.delivery_due_at.isoformat() if request.delivery_due_at else None,
    )  # fmt: skip
    return request


# Art. 15: delivery recorded with its channel, offline ones with a reference
async def record_share_delivery(
    session: AsyncSession,
    actor: Principal | None,
    request_id: uuid.UUID,
    *,
    channel: ShareMode,
    delivered_at: datetime | None = None,
    reference: str = "",
) -> ShareRequest:
    actor = require(actor, Role.AGENCY)
    at = now()
    delivered_at = delivered_at or at
    reference = reference.strip()
    if delivered_at.tzinfo is None:
        raise UserError(
            Code.TIME_ZONE_REQUIRED, "Give the time with its UTC offset.", "delivered_at"
        )
    if delivered_at > at:
        raise UserError(
            Code.DELIVERED_IN_FUTURE, "A delivery cannot be in the future.", "delivered_at"
        )
    # Art. 15: offline delivery by secure line, media or paper is traceable by its reference
    if channel in OFFLINE_MODES and not reference:
        raise UserError(
            Code.REFERENCE_REQUIRED,
            "An offline delivery names its hand-over reference (line, media or paper).",
            "reference",
        )
    if len(reference) > 200:
        raise UserError(
            Code.REFERENCE_TOO_LONG, "Keep the reference to 200 characters.", "reference"
        )
    request = await _locked(session, request_id)
    _own(actor, request.source_department_id, "source department")
    _move(request, ShareRequestStatus.DELIVERED)
    if request.answered_at is not None and delivered_at < request.answered_at:
        raise UserError(
            Code.DELIVERED_BEFORE_APPROVAL,
            "A delivery cannot precede the approval.",
            "delivered_at",
        )
    request.delivered_at, request.delivery_channel = delivered_at, channel
    request.delivery_reference = reference
    await session.flush()
    late = delivered_late(request)
    await _count_late(session, request, deliveries=late)
    await _fact(
        session, actor, request, ledger.Kind.SHARE_REQUEST_DELIVERED, channel=channel.value,
        reference=reference, deliveredAt=delivered_at.isoformat(), late=late,
    )  # fmt: skip
    return request


async def withdraw_share_request(
    session: AsyncSession, actor: Principal | None, request_id: uuid.UUID
) -> ShareRequest:
    actor = require(actor, Role.AGENCY)
    request = await _locked(session, request_id)
    _own(actor, request.requester_id, "requester")
    _move(request, ShareRequestStatus.WITHDRAWN)
    request.withdrawn_at = now()
    if request.grant_id is not None:
        await end_grant_of_withdrawn(session, actor, request.grant_id)
    await session.flush()
    await _fact(session, actor, request, ledger.Kind.SHARE_REQUEST_WITHDRAWN)
    return request


# Art. 15: after a refusal the requester may ask the data authority to rule
async def dispute_share_refusal(
    session: AsyncSession, actor: Principal | None, request_id: uuid.UUID, *, reason: str
) -> ShareRequest:
    actor = require(actor, Role.AGENCY)
    reason = reason.strip()
    if not reason or len(reason) > 4000:
        raise UserError(Code.REASON_REQUIRED, "Say why the refusal is wrong (1-4000).", "reason")
    request = await _locked(session, request_id)
    _own(actor, request.requester_id, "requester")
    if await session.scalar(
        sa.select(ShareDispute.id).where(ShareDispute.request_id == request.id)
    ):
        raise UserError(
            Code.ALREADY_DISPUTED, "This refusal was disputed once already.", "request_id"
        )
    _move(request, ShareRequestStatus.DISPUTED)
    session.add(ShareDispute(request_id=request.id, reason=reason))
    await session.flush()
    await _fact(session, actor, request, ledger.Kind.SHARE_REQUEST_DISPUTED, reason=reason)
    return request


async def rule_on_share_dispute(
    session: AsyncSession,
    actor: Principal | None,
    request_id: uuid.UUID,
    *,
    outcome: DisputeOutcome,
    ruling: str,
) -> ShareRequest:
    actor = require(actor, Role.AUTHORITY)
    ruling = ruling.strip()
    if not ruling or len(ruling) > 4000:
        raise UserError(Code.RULING_REQUIRED, "Give the reasons (1-4000 characters).", "ruling")
    calendar = await workdays.load_working_calendar(session)  # before the row lock
    request = await _locked(session, request_id)
    dispute = await session.scalar(
        sa.select(ShareDispute).where(ShareDispute.request_id == request.id)
    )
    if dispute is None or request.status is not ShareRequestStatus.DISPUTED:
        raise UserError(Code.NOT_DISPUTED, "This request has no open dispute.", "request_id")
    at = now()
    dispute.outcome, dispute.ruling, dispute.ruled_at = outcome, ruling, at
    dispute.ruled_by_id = actor.organization_id
    if outcome is DisputeOutcome.OVERTURNED:
        _move(request, ShareRequestStatus.APPROVED)
        request.answered_at = at
        asked = (await items_of_requests(session, [request.id]))[0]
        await _approve(session, actor, request, asked, at, calendar)
    else:
        _move(request, ShareRequestStatus.REFUSED)
    await session.flush()
    await _fact(
        session, actor, request, ledger.Kind.SHARE_REQUEST_RULED, outcome=outcome.value,
        ruling=ruling,
        grant=str(request.grant_id) if request.grant_id else None,
    )  # fmt: skip
    return request


# Art. 15: open answers and deliveries are recounted once their year's holidays are entered
@deadlines.holder("sharing.share_request")
async def recompute_due_dates(
    session: AsyncSession, calendar: WorkingCalendar
) -> list[deadlines.Recomputed]:
    rows = await session.scalars(
        sa.select(ShareRequest)
        .where(
            sa.or_(
                sa.and_(
                    ShareRequest.status == ShareRequestStatus.PENDING,
                    ShareRequest.answer_due_provisional,
                ),
                sa.and_(
                    ShareRequest.status == ShareRequestStatus.APPROVED,
                    ShareRequest.delivery_due_provisional,
                ),
            )
        )
        .order_by(ShareRequest.received_at, ShareRequest.id)
        .with_for_update()
    )
    done = []
    for request in rows:
        pending = request.status is ShareRequestStatus.PENDING
        start = request.received_at if pending else request.answered_at
        before = request.answer_due_at if pending else request.delivery_due_at
        assert start is not None and before is not None
        due = workdays.deadline_on(
            calendar, start, ANSWER_WORKING_DAYS if pending else DELIVERY_WORKING_DAYS
        )
        done.append(
            deadlines.Recomputed(
                holder="sharing.share_request",
                id=request.id,
                field="answerDueAt" if pending else "deliveryDueAt",
                before=before,
                after=due.at,
                provisional=due.provisional,
                parties=(request.requester_id, request.source_department_id),
            )
        )
        if pending:
            request.answer_due_at, request.answer_due_provisional = due.at, due.provisional
        else:
            request.delivery_due_at, request.delivery_due_provisional = due.at, due.provisional
    await session.flush()
    return done


def overdue_filter(at: datetime) -> sa.ColumnElement[bool]:
    """Art. 15: an answer or a delivery past its due date and still not made."""
    return sa.or_(
        sa.and_(ShareRequest.status == ShareRequestStatus.PENDING, ShareRequest.answer_due_at < at),
        sa.and_(
            ShareRequest.status == ShareRequestStatus.APPROVED, ShareRequest.delivery_due_at < at
        ),
    )


def is_overdue(request: ShareRequest, at: datetime) -> bool:
    if request.status is ShareRequestStatus.PENDING and request.answer_due_at is not None:
        return request.answer_due_at < at
    if request.status is ShareRequestStatus.APPROVED and request.delivery_due_at is not None:
        return request.delivery_due_at < at
    return False


def answered_late(request: ShareRequest) -> bool:
    return (
        request.answer_due_at is not None
        and request.answered_at is not None
        and request.answered_at > request.answer_due_at
    )


def delivered_late(request: ShareRequest) -> bool:
    return (
        request.delivery_due_at is not None
        and request.delivered_at is not None
        and request.delivered_at > request.delivery_due_at
    )


async def _count_late(
    session: AsyncSession, request: ShareRequest, *, answers: bool = False, deliveries: bool = False
) -> None:
    """Art. 15: one more late answer or delivery on the source department's tally."""
    if not (answers or deliveries):
        return
    tally = ShareLateness
    await session.execute(
        dialect_insert(session, tally)
        .values(
            source_department_id=request.source_department_id,
            late_answers=int(answers),
            late_deliveries=int(deliveries),
        )
        .on_conflict_do_update(
            index_elements=[tally.source_department_id],
            set_={
                "late_answers": tally.late_answers + int(answers),
                "late_deliveries": tally.late_deliveries + int(deliveries),
            },
        )
    )


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """The authority and auditors see every request; an agency those it made or must answer."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.has(Role.AGENCY) and actor.organization_id is not None:
        return sa.or_(
            ShareRequest.requester_id == actor.organization_id,
            ShareRequest.source_department_id == actor.organization_id,
        )
    return sa.false()


@dataclass(frozen=True)
class RequestFilter:
    status: ShareRequestStatus | None = None
    overdue: bool | None = None
    source_department_id: uuid.UUID | None = None
    requester_id: uuid.UUID | None = None


# Art. 15: the data authority sees overdue answers and deliveries
async def list_share_requests(
    session: AsyncSession,
    actor: Principal | None,
    where: RequestFilter,
    *,
    first: int,
    after: str | None = None,
) -> Page[ShareRequest]:
    actor = require(actor, Role.AUTHORITY, Role.AUDITOR, Role.AGENCY)
    statement = sa.select(ShareRequest).where(visible_to(actor))
    if where.status is not None:
        statement = statement.where(ShareRequest.status == where.status)
    if where.overdue is not None:
        late = overdue_filter(now())
        statement = statement.where(late if where.overdue else sa.not_(late))
    if where.source_department_id is not None:
        statement = statement.where(ShareRequest.source_department_id == where.source_department_id)
    if where.requester_id is not None:
        statement = statement.where(ShareRequest.requester_id == where.requester_id)
    return await paginate(
        session,
        statement,
        sort=ShareRequest.received_at,
        id_column=ShareRequest.id,
        first=first,
        after=after,
        newest_first=True,
    )


@dataclass(frozen=True)
class OverdueCount:
    source_department_id: uuid.UUID
    overdue_answers: int
    overdue_deliveries: int
    late_answers: int
    late_deliveries: int


def _board_statement() -> sa.Select:
    """Overdue ones counted from the open requests alone (each count reads one index,
    `ix_share_request_status_*_due`); late ones from the tallies kept as they happen."""
    r, tally, at = ShareRequest, ShareLateness, sa.bindparam("at")
    names = ("overdue_answers", "overdue_deliveries", "late_answers", "late_deliveries")

    def row(department: sa.ColumnElement[uuid.UUID], **counts: sa.ColumnElement[int]) -> sa.Select:
        zero = sa.literal_column("0")
        return sa.select(
            department.label("department"), *(counts.get(n, zero).label(n) for n in names)
        )

    overdue = sa.func.count()
    parts = sa.union_all(
        row(r.source_department_id, overdue_answers=overdue)
        .where(r.status == ShareRequestStatus.PENDING, r.answer_due_at < at)
        .group_by(r.source_department_id),
        row(r.source_department_id, overdue_deliveries=overdue)
        .where(r.status == ShareRequestStatus.APPROVED, r.delivery_due_at < at)
        .group_by(r.source_department_id),
        row(tally.source_department_id, late_answers=tally.late_answers,
            late_deliveries=tally.late_deliveries),
    ).subquery()  # fmt: skip
    return (
        sa.select(
            parts.c.department, *(sa.cast(sa.func.sum(parts.c[n]), sa.BigInteger) for n in names)
        )
        .group_by(parts.c.department)
        .order_by(parts.c.department)
    )


_BOARD = _board_statement()  # built once: the board is read often


# Art. 15: overdue and late answers and deliveries, counted per source department
async def overdue_board(session: AsyncSession, actor: Principal | None) -> list[OverdueCount]:
    require(actor, Role.AUTHORITY, Role.AUDITOR)
    rows = await session.execute(_BOARD, {"at": now()})
    return [OverdueCount(*row) for row in rows]


async def get_share_requests(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[ShareRequest | None]:
    return await fetch_by_ids(session, ShareRequest, ids, visible_to(actor))


async def items_of_requests(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> list[list[DataItem]]:
    """The items each request asked for, by code: a DataLoader's batch."""
    rows = await session.execute(
        sa.select(ShareRequestItem.request_id, DataItem)
        .join(DataItem, DataItem.id == ShareRequestItem.data_item_id)
        .where(ShareRequestItem.request_id.in_(set(request_ids)))
        .order_by(DataItem.code)
    )
    pairs = list(rows)
    return [[i for _, i in group] for group in many_each(request_ids, pairs, lambda p: p[0])]


async def disputes_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> list[ShareDispute | None]:
    rows = await session.scalars(
        sa.select(ShareDispute).where(ShareDispute.request_id.in_(set(request_ids)))
    )
    return one_each(request_ids, rows, lambda d: d.request_id)
