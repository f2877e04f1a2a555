"""Deals: matched by the listing's broker, confirmed by the buyer, delivered by the broker,
cancelled by either side before delivery; the transition table; licence refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

import broker
from broker import DealStatus as S
from broker import LicenceDecisionKind as D
from core.errors import Forbidden, UserError
from core.identity import Role
from core.models import OrganizationKind
from registry.models import Asset, AssetStatus

pytestmark = pytest.mark.article(26)

TERMS = broker.ListingTerms(
    price=Decimal("5000.00"), pricing_model=broker.PricingModel.ONE_TIME,
    purposes=("SME credit scoring",), term="P1Y", territory="Jiangmen",
)  # fmt: skip


@pytest.fixture
async def market(make_broker, make_asset, make_caller, act):
    caller, licence = await make_broker()
    listing = await act(
        broker.list_product, caller.principal, (await make_asset(caller.org_id)).id, TERMS
    )
    buyer = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    return caller, licence, listing, buyer


def deal_terms(listing, buyer, **overrides):
    data = dict(
        listing_id=listing.id, buyer_id=buyer.org_id, purpose="sme  CREDIT scoring",
        scenario="Loan pre-approval", price=Decimal("4800.00"),
    )  # fmt: skip
    data.update(overrides)
    return broker.DealTerms(**data)


def test_deal_transition_table():
    assert broker.DEAL_TRANSITIONS[S.MATCHED] == {S.CONFIRMED, S.CANCELLED}
    assert broker.DEAL_TRANSITIONS[S.CONFIRMED] == {S.DELIVERED, S.CANCELLED}
    assert not broker.DEAL_TRANSITIONS[S.DELIVERED] and not broker.DEAL_TRANSITIONS[S.CANCELLED]


async def test_match_confirm_deliver(market, act):
    caller, _, listing, buyer = market
    deal = await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    assert deal.status is S.MATCHED and deal.purpose == "sme CREDIT scoring"
    with pytest.raises(UserError) as early:
        await act(broker.record_delivery, caller.principal, deal.id)
    assert early.value.code == "DEAL_NOT_CONFIRMED"
    with pytest.raises(Forbidden):  # the broker cannot confirm for the buyer
        await act(broker.confirm_deal, caller.principal, deal.id)
    deal = await act(broker.confirm_deal, buyer.principal, deal.id)
    assert deal.status is S.CONFIRMED
    deal = await act(broker.record_delivery, caller.principal, deal.id, note="API key issued")
    assert deal.status is S.DELIVERED and deal.delivered_at is not None
    for who in (caller, buyer):
        with pytest.raises(UserError) as late:
            await act(broker.cancel_deal, who.principal, deal.id, reason="changed mind")
        assert late.value.code == "DEAL_STATUS_INVALID"


async def test_match_refusals(market, make_broker, make_caller, act):
    caller, _, listing, buyer = market
    other, _ = await make_broker()
    with pytest.raises(Forbidden):
        await act(broker.match_deal, other.principal, deal_terms(listing, buyer))
    with pytest.raises(UserError) as purpose:
        await act(
            broker.match_deal, caller.principal, deal_terms(listing, buyer, purpose="Marketing")
        )
    assert purpose.value.code == "PURPOSE_NOT_LICENSED"
    with pytest.raises(UserError) as itself:
        await act(broker.match_deal, caller.principal, deal_terms(listing, caller))
    assert itself.value.code == "BUYER_INVALID"
    with pytest.raises(UserError) as problems:
        await act(
            broker.match_deal, caller.principal,
            deal_terms(listing, buyer, price=Decimal("0"), scenario=" "),
        )  # fmt: skip
    assert {p.code for p in problems.value.problems} == {"PRICE_INVALID", "SCENARIO_REQUIRED"}
    await act(broker.delist_product, caller.principal, listing.id, reason="sold out")
    with pytest.raises(UserError) as delisted:
        await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    assert delisted.value.code == "LISTING_NOT_LISTED"


async def test_either_side_cancels_before_delivery(market, make_caller, act):
    caller, _, listing, buyer = market
    first = await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    second = await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    stranger = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    with pytest.raises(Forbidden):
        await act(broker.cancel_deal, stranger.principal, first.id, reason="no")
    with pytest.raises(UserError) as reason:
        await act(broker.cancel_deal, buyer.principal, first.id, reason="")
    assert reason.value.code == "REASON_REQUIRED"
    by_buyer = await act(broker.cancel_deal, buyer.principal, first.id, reason="found cheaper")
    await act(broker.confirm_deal, buyer.principal, second.id)
    by_broker = await act(broker.cancel_deal, caller.principal, second.id, reason="data withdrawn")
    assert by_buyer.status is by_broker.status is S.CANCELLED
    assert by_buyer.cancelled_by_id == buyer.org_id and by_broker.cancelled_by_id == caller.org_id


async def test_a_suspended_broker_can_do_none_of_it(db, market, act, authority):
    caller, licence, listing, buyer = market
    matched = await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    confirmed = await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    await act(broker.confirm_deal, buyer.principal, confirmed.id)
    await act(
        broker.decide_broker_licence, authority.principal, licence.id, decision=D.SUSPEND,
        reason="under investigation",
    )  # fmt: skip
    for use_case, args in (
        (broker.match_deal, (deal_terms(listing, buyer),)),
        (broker.record_delivery, (confirmed.id,)),
    ):
        with pytest.raises(UserError) as refused:
            await act(use_case, caller.principal, *args)
        assert refused.value.code == "LICENCE_SUSPENDED"
    with pytest.raises(UserError) as refused:
        await act(broker.cancel_deal, caller.principal, matched.id, reason="x")
    assert refused.value.code == "LICENCE_SUSPENDED"
    with pytest.raises(UserError) as buyer_blocked:
        await act(broker.confirm_deal, buyer.principal, matched.id)
    assert buyer_blocked.value.code == "BROKER_NOT_LICENSED"
    # The buyer is not trapped: it may still cancel.
    cancelled = await act(
        broker.cancel_deal, buyer.principal, matched.id, reason="broker suspended"
    )
    assert cancelled.status is S.CANCELLED
    async with db.read() as session:
        statuses = (
            await session.scalars(
                sa.select(broker.Deal.status).where(broker.Deal.listing_id == listing.id)
            )
        ).all()
    assert sorted(statuses) == [S.CANCELLED, S.CONFIRMED]


async def test_deals_are_visible_to_their_two_sides(db, market, make_caller, act, authority):
    caller, _, listing, buyer = market
    deal = await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    stranger = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    async with db.read() as session:
        for who, visible in ((caller, True), (buyer, True), (stranger, False), (authority, True)):
            (row,) = await broker.get_deals(session, who.principal, [deal.id])
            assert (row is not None) is visible
        mine = await broker.list_deals(session, buyer.principal, status=None, first=10, after=None)
    assert [d.id for d in mine.items] == [deal.id]


async def test_no_trade_without_registration(db, market, act):
    """A listed asset whose registration is cancelled leaves the market: hidden from
    `listings`, and no deal is matched on it."""
    caller, _, listing, buyer = market
    async with db.transaction() as session:
        await session.execute(
            sa.update(Asset)
            .where(Asset.id == listing.asset_id)
            .values(status=AssetStatus.CANCELLED)
        )
    async with db.read() as session:
        page = await broker.list_listings(
            session, buyer.principal, broker.ListingFilter(broker_id=caller.org_id), first=5,
            after=None,
        )  # fmt: skip
    assert page.items == []
    with pytest.raises(UserError) as refused:
        await act(broker.match_deal, caller.principal, deal_terms(listing, buyer))
    assert refused.value.code == "ASSET_NOT_REGISTERED"
