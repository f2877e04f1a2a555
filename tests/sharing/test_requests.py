"""Share requests (Art. 13, 15, 16): each share type, answers and deliveries on the working-day
clock (National Day 2025, Spring Festival 2026), narrowing, refusals with their legal basis,
disputes, withdrawal, the authority's overdue board, isolation between agencies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

import sharing
from core.clock import SHANGHAI, now
from core.errors import Forbidden, UserError
from ledger.models import LedgerEntry

S = sharing.ShareRequestStatus


async def kinds_about(db, row_id) -> list[str]:
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(LedgerEntry.kind)
            .where(LedgerEntry.body.contains(str(row_id)))
            .order_by(LedgerEntry.seq)
        )
        return list(rows)


async def grant_items(db, grant_id) -> list[str]:
    async with db.read() as session:
        return [i.code for i in (await sharing.items_of_grants(session, [grant_id]))[0]]


@pytest.mark.article(15)
@pytest.mark.article(16)
async def test_unconditional_is_granted_at_once_with_exactly_the_items(db, world, ask):
    code = world.items["status"]
    request = await ask(world.requester, world.unconditional, (code,))
    assert request.status is S.DELIVERED and request.grant_id is not None
    assert request.answer_due_at is None
    assert await grant_items(db, request.grant_id) == [code]
    kinds = await kinds_about(db, request.id)
    assert kinds[:2] == ["sharing.grant.granted", "sharing.request.received"]


@pytest.mark.article(15)
async def test_not_shared_is_refused_at_once_with_the_legal_basis(db, world, ask):
    request = await ask(world.requester, world.not_shared, (world.items["tax"],))
    assert request.status is S.REFUSED and request.grant_id is None
    assert "Tax Collection Administration Law" in request.refusal_law
    assert "verifyDataClaim" in request.refusal_reason


@pytest.mark.article(13)
async def test_one_request_per_concrete_use(world, ask):
    code = world.items["status"]
    first = await ask(world.requester, world.conditional, (code,), scenario="Start-up service")
    assert first.status is S.PENDING
    with pytest.raises(UserError) as refused:
        await ask(world.requester, world.conditional, (code,), scenario="  start-up   SERVICE ")
    assert refused.value.code == "REQUEST_DUPLICATE"
    # another scenario is another use
    assert (await ask(world.requester, world.conditional, (code,))).status is S.PENDING


@pytest.mark.article(13)
@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"purpose": " "}, "PURPOSE_REQUIRED"),
        ({"scenario": ""}, "SCENARIO_REQUIRED"),
        ({"items": ()}, "ITEMS_REQUIRED"),
        ({"until": datetime(2020, 1, 1, tzinfo=UTC)}, "UNTIL_IN_PAST"),
        ({"items": ("no.such.item",)}, "ITEM_NOT_IN_RESOURCE"),
    ],
)
async def test_bad_requests_are_refused(world, ask, override, code):
    items = override.pop("items", (world.items["status"],))
    with pytest.raises(UserError) as refused:
        await ask(world.requester, world.conditional, items, **override)
    assert code in {p.code for p in refused.value.problems}


async def test_own_resource_and_unknown_resource(world, ask):
    with pytest.raises(UserError) as own:
        await ask(world.source, world.conditional, (world.items["status"],))
    assert own.value.code == "OWN_RESOURCE"


@pytest.mark.article(15)
@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2025, 9, 30), date(2025, 10, 14)),  # across National Day 2025
        (date(2026, 2, 12), date(2026, 2, 26)),  # across the 2026 Spring Festival
    ],
)
async def test_answer_due_in_five_working_days(world, ask, monkeypatch, received, due):
    at = datetime.combine(received, datetime.min.time(), SHANGHAI).replace(hour=10)
    monkeypatch.setattr("sharing.requests.now", lambda: at.astimezone(UTC))
    request = await ask(world.requester, world.conditional, (world.items["status"],))
    assert request.answer_due_at.astimezone(SHANGHAI).date() == due


@pytest.mark.article(15)
@pytest.mark.article(16)
async def test_approve_fewer_items_then_deliver_offline(db, world, ask, act, monkeypatch):
    status, capital = world.items["status"], world.items["capital"]
    request = await ask(world.requester, world.conditional, (status, capital))
    with pytest.raises(UserError) as wider:
        await act(
            sharing.answer_share_request, world.source.principal, request.id,
            decision=sharing.Decision.APPROVE, items=[status, world.items["tax"]],
        )  # fmt: skip
    assert wider.value.code == "ITEMS_WIDENED"
    approved = await act(
        sharing.answer_share_request, world.source.principal, request.id,
        decision=sharing.Decision.APPROVE, items=[status],
    )  # fmt: skip
    assert approved.status is S.APPROVED and approved.delivery_due_at > approved.answered_at
    assert await grant_items(db, approved.grant_id) == [status]
    with pytest.raises(UserError) as no_ref:
        await act(
            sharing.record_share_delivery, world.source.principal, request.id,
            channel=sharing.ShareMode.OFFLINE_MEDIA,
        )  # fmt: skip
    assert no_ref.value.code == "REFERENCE_REQUIRED"
    with pytest.raises(UserError) as future:
        await act(
            sharing.record_share_delivery, world.source.principal, request.id,
            channel=sharing.ShareMode.API, delivered_at=now() + timedelta(hours=1),
        )  # fmt: skip
    assert future.value.code == "DELIVERED_IN_FUTURE"
    delivered = await act(
        sharing.record_share_delivery, world.source.principal, request.id,
        channel=sharing.ShareMode.OFFLINE_MEDIA, reference="USB-2026-0042",
    )  # fmt: skip
    assert delivered.status is S.DELIVERED and delivered.delivery_reference == "USB-2026-0042"
    assert await kinds_about(db, request.id) == [
        "sharing.request.received", "sharing.grant.granted", "sharing.request.approved",
        "sharing.request.delivered",
    ]  # fmt: skip


@pytest.mark.article(15)
async def test_refusal_needs_law_and_article_then_dispute_overturned(
    db, world, ask, act, authority
):
    request = await ask(world.requester, world.conditional, (world.items["status"],))
    for law, article in (("", "Art. 8"), ("Company Law", "")):
        with pytest.raises(UserError) as bare:
            await act(
                sharing.answer_share_request, world.source.principal, request.id,
                decision=sharing.Decision.REFUSE, law=law, article=article,
            )  # fmt: skip
        assert bare.value.code == "LEGAL_BASIS_REQUIRED"
    refused = await act(
        sharing.answer_share_request, world.source.principal, request.id,
        decision=sharing.Decision.REFUSE, law="Company Law", article="Art. 32",
        reason="Registers are not shared for this scenario",
    )  # fmt: skip
    assert refused.status is S.REFUSED
    with pytest.raises(Forbidden):  # only the requester disputes
        await act(sharing.dispute_share_refusal, world.other.principal, request.id, reason="Unfair")
    disputed = await act(
        sharing.dispute_share_refusal, world.requester.principal, request.id,
        reason="The scenario is a statutory duty of ours",
    )  # fmt: skip
    assert disputed.status is S.DISPUTED
    with pytest.raises(Forbidden):  # only the data authority rules
        await act(
            sharing.rule_on_share_dispute, world.source.principal, request.id,
            outcome=sharing.DisputeOutcome.UPHELD, ruling="x",
        )  # fmt: skip
    ruled = await act(
        sharing.rule_on_share_dispute, authority.principal, request.id,
        outcome=sharing.DisputeOutcome.OVERTURNED, ruling="A statutory duty; Art. 16 applies",
    )  # fmt: skip
    assert ruled.status is S.APPROVED and ruled.grant_id is not None
    with pytest.raises(UserError) as twice:
        await act(
            sharing.dispute_share_refusal, world.requester.principal, request.id, reason="again"
        )
    assert twice.value.code in {"REQUEST_STATUS_INVALID", "ALREADY_DISPUTED"}


@pytest.mark.article(15)
async def test_dispute_upheld_stays_refused(world, ask, act, authority):
    request = await ask(world.requester, world.conditional, (world.items["status"],))
    await act(
        sharing.answer_share_request, world.source.principal, request.id,
        decision=sharing.Decision.REFUSE, law="Company Law", article="Art. 32",
    )  # fmt: skip
    await act(sharing.dispute_share_refusal, world.requester.principal, request.id, reason="Why")
    ruled = await act(
        sharing.rule_on_share_dispute, authority.principal, request.id,
        outcome=sharing.DisputeOutcome.UPHELD, ruling="The basis holds",
    )  # fmt: skip
    assert ruled.status is S.REFUSED and ruled.grant_id is None


async def test_withdraw_ends_the_grant(db, world, ask, act):
    request = await ask(world.requester, world.conditional, (world.items["status"],))
    with pytest.raises(Forbidden):
        await act(sharing.withdraw_share_request, world.source.principal, request.id)
    await act(
        sharing.answer_share_request, world.source.principal, request.id,
        decision=sharing.Decision.APPROVE,
    )  # fmt: skip
    withdrawn = await act(sharing.withdraw_share_request, world.requester.principal, request.id)
    assert withdrawn.status is S.WITHDRAWN
    async with db.read() as session:
        grant = await session.get(sharing.ShareGrant, withdrawn.grant_id)
    assert grant.status is sharing.GrantStatus.REVOKED


async def test_only_the_source_department_answers(world, ask, act):
    request = await ask(world.requester, world.conditional, (world.items["status"],))
    for caller in (world.requester, world.other):
        with pytest.raises(Forbidden):
            await act(
                sharing.answer_share_request, caller.principal, request.id,
                decision=sharing.Decision.APPROVE,
            )  # fmt: skip


@pytest.mark.article(15)
async def test_overdue_on_the_board_and_isolation(db, world, ask, act, authority, monkeypatch):
    long_ago = now() - timedelta(days=30)
    monkeypatch.setattr("sharing.requests.now", lambda: long_ago)
    late = await ask(world.requester, world.conditional, (world.items["status"],))
    monkeypatch.undo()
    async with db.read() as session:
        page = await sharing.list_share_requests(
            session, authority.principal,
            sharing.RequestFilter(overdue=True, source_department_id=world.source.org_id), first=50,
        )  # fmt: skip
        board = {
            b.source_department_id: b
            for b in await sharing.overdue_board(session, authority.principal)
        }
        assert [r.id for r in page.items] == [late.id]
        assert board[world.source.org_id].overdue_answers == 1
        # the third agency sees none of it; both parties see the request
        other = await sharing.list_share_requests(
            session, world.other.principal, sharing.RequestFilter(), first=50
        )
        assert other.items == []
        for party in (world.requester, world.source):
            mine = await sharing.list_share_requests(
                session, party.principal, sharing.RequestFilter(), first=50
            )
            assert late.id in {r.id for r in mine.items}
        with pytest.raises(Forbidden):
            await sharing.overdue_board(session, world.source.principal)
    answered = await act(
        sharing.answer_share_request, world.source.principal, late.id,
        decision=sharing.Decision.APPROVE,
    )  # fmt: skip
    assert sharing.answered_late(answered)
    async with db.read() as session:
        board = {
            b.source_department_id: b
            for b in await sharing.overdue_board(session, authority.principal)
        }
    assert board[world.source.org_id].overdue_answers == 0
    assert board[world.source.org_id].late_answers == 1
    assert board[world.source.org_id].overdue_deliveries == 0


@pytest.mark.article(15)
async def test_the_board_tallies_the_departments_own_late_acts(
    db, world, ask, act, authority, monkeypatch
):
    async def late_counts() -> tuple[int, int]:
        async with db.read() as session:
            rows = await sharing.overdue_board(session, authority.principal)
        mine = [(b.late_answers, b.late_deliveries) for b in rows]
        ids = [b.source_department_id for b in rows]
        return mine[ids.index(world.source.org_id)] if world.source.org_id in ids else (0, 0)

    monkeypatch.setattr("sharing.requests.now", lambda: now() - timedelta(days=30))
    request = await ask(world.requester, world.conditional, (world.items["status"],))
    monkeypatch.undo()
    await act(
        sharing.answer_share_request, world.source.principal, request.id,
        decision=sharing.Decision.REFUSE, law="Company Law", article="Art. 32",
    )  # fmt: skip
    assert await late_counts() == (1, 0)
    await act(sharing.dispute_share_refusal, world.requester.principal, request.id, reason="Why")
    await act(
        sharing.rule_on_share_dispute, authority.principal, request.id,
        outcome=sharing.DisputeOutcome.OVERTURNED, ruling="A statutory duty",
    )  # fmt: skip
    assert await late_counts() == (1, 0)  # the authority's ruling is not the department's lateness
    monkeypatch.setattr("sharing.requests.now", lambda: now() + timedelta(days=30))
    await act(
        sharing.record_share_delivery, world.source.principal, request.id,
        channel=sharing.ShareMode.API,
    )  # fmt: skip
    monkeypatch.undo()
    assert await late_counts() == (1, 1)
