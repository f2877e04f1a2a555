"""Listings: "no listing without registration", held or entrusted assets only, delisting, and
the `listings` filter with a statement count that does not grow with the page."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

import broker
from broker import LicenceDecisionKind as D
from core.errors import Forbidden, UserError
from core.identity import Role
from core.models import OrganizationKind
from registry.models import AssetKind, AssetStatus
from schema.relay import to_global_id

pytestmark = pytest.mark.article(26)


def terms(price: str = "100.00", **overrides):
    data = dict(
        price=Decimal(price), pricing_model=broker.PricingModel.SUBSCRIPTION,
        purposes=("SME credit scoring", "Risk control"), term="P1Y", territory="Jiangmen",
    )  # fmt: skip
    data.update(overrides)
    return broker.ListingTerms(**data)


async def test_only_registered_assets_are_listed(make_broker, make_asset, act):
    caller, _ = await make_broker()
    for status in set(AssetStatus) - {AssetStatus.REGISTERED}:
        asset = await make_asset(caller.org_id, status=status)
        with pytest.raises(UserError) as refused:
            await act(broker.list_product, caller.principal, asset.id, terms())
        assert refused.value.code == "ASSET_NOT_REGISTERED"
    asset = await make_asset(caller.org_id)
    listing = await act(broker.list_product, caller.principal, asset.id, terms())
    assert listing.status is broker.ListingStatus.LISTED and listing.ledger_seq >= 0
    with pytest.raises(UserError) as twice:
        await act(broker.list_product, caller.principal, asset.id, terms())
    assert twice.value.code == "ALREADY_LISTED"


async def test_a_broker_lists_what_it_holds_or_was_entrusted(
    make_broker, make_caller, make_asset, act
):
    caller, _ = await make_broker()
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    asset = await make_asset(firm.org_id)
    with pytest.raises(UserError) as refused:
        await act(broker.list_product, caller.principal, asset.id, terms())
    assert refused.value.code == "ASSET_NOT_OFFERABLE"
    with pytest.raises(Forbidden):  # only the holder entrusts
        await act(broker.entrust_asset, caller.principal, asset.id, caller.org_id)
    await act(broker.entrust_asset, firm.principal, asset.id, caller.org_id)
    listing = await act(broker.list_product, caller.principal, asset.id, terms())
    assert listing.asset_id == asset.id


async def test_terms_are_checked(make_broker, make_asset, act):
    caller, _ = await make_broker()
    asset = await make_asset(caller.org_id)
    bad = terms("-1", purposes=(" ",), term="one year", territory="")
    with pytest.raises(UserError) as problems:
        await act(broker.list_product, caller.principal, asset.id, bad)
    assert [p.code for p in problems.value.problems] == [
        "PRICE_INVALID", "PURPOSES_REQUIRED", "TERM_INVALID", "TERRITORY_REQUIRED",
    ]  # fmt: skip


async def test_delist_by_its_broker_only(make_broker, make_asset, act):
    caller, _ = await make_broker()
    other, _ = await make_broker()
    listing = await act(
        broker.list_product, caller.principal, (await make_asset(caller.org_id)).id, terms()
    )
    with pytest.raises(Forbidden):
        await act(broker.delist_product, other.principal, listing.id, reason="mine now")
    done = await act(broker.delist_product, caller.principal, listing.id, reason="withdrawn")
    assert done.status is broker.ListingStatus.DELISTED and done.delisted_at is not None
    with pytest.raises(UserError) as again:
        await act(broker.delist_product, caller.principal, listing.id, reason="again")
    assert again.value.code == "LISTING_NOT_LISTED"


LISTINGS = """query($filter: ListingFilterInput, $first: Int!, $after: String) {
  listings(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id price pricingModel licenceTerms { purposes term territory resale }
      broker { name } asset { name kind currentValuation { value } } } }
    pageInfo { hasNextPage endCursor } } }"""


async def test_listings_filter_page_and_statement_count(
    gql, make_broker, make_asset, make_caller, act, authority, count_statements
):
    caller, _ = await make_broker()
    tag = uuid.uuid4().hex[:8]
    for i in range(6):
        kind = AssetKind.DATA_SERVICE if i % 2 else AssetKind.DATA_PRODUCT
        asset = await make_asset(caller.org_id, kind=kind, name=f"Index {tag} {i}")
        await act(broker.list_product, caller.principal, asset.id, terms(f"{(i + 1) * 100}.00"))
    reader = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    base = {"broker": to_global_id("Organization", caller.org_id)}

    async def names(filter, first=20, after=None):
        result = await gql(LISTINGS, {"filter": filter, "first": first, "after": after}, reader)
        assert "errors" not in result, result
        return result["data"]["listings"]

    page = await names(base)
    assert [e["node"]["asset"]["name"] for e in page["edges"]] == [
        f"Index {tag} {i}" for i in range(6)
    ]
    assert page["edges"][0]["node"]["broker"]["name"].startswith("Test BROKER")
    assert page["edges"][0]["node"]["licenceTerms"]["resale"] is False
    services = await names({**base, "kind": "DATA_SERVICE"})
    assert len(services["edges"]) == 3
    ranged = await names({**base, "priceRange": {"min": "200", "max": "400.00"}})
    assert [e["node"]["price"] for e in ranged["edges"]] == ["200.00", "300.00", "400.00"]
    text = await names({**base, "text": f"{tag} 5"})
    assert len(text["edges"]) == 1
    first = await names(base, first=4)
    rest = await names(base, first=4, after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasNextPage"] and len(rest["edges"]) == 2

    counts = []
    for size in (1, 6):
        with count_statements() as counter:
            await names(base, first=size)
        counts.append(len(counter.statements))
    assert counts[0] == counts[1], counts

    anonymous = await gql(LISTINGS, {"first": 5})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_suspended_brokers_listings_are_hidden(db, make_broker, make_asset, act, authority):
    caller, licence = await make_broker()
    await act(broker.list_product, caller.principal, (await make_asset(caller.org_id)).id, terms())
    where = broker.ListingFilter(broker_id=caller.org_id)
    async with db.read() as session:
        before = await broker.list_listings(
            session, authority.principal, where, first=5, after=None
        )
    await act(
        broker.decide_broker_licence, authority.principal, licence.id, decision=D.SUSPEND,
        reason="complaints",
    )  # fmt: skip
    async with db.read() as session:
        after = await broker.list_listings(session, authority.principal, where, first=5, after=None)
    assert len(before.items) == 1 and after.items == []


async def test_money_has_two_decimals_as_given_and_as_read_on_both_engines(
    make_broker, make_asset, act, db
):
    """Issue 10 §7: prices came back as "5000" on one path and "3000.00" on another."""
    caller, _ = await make_broker()
    listing = await act(
        broker.list_product, caller.principal, (await make_asset(caller.org_id)).id, terms("5000")
    )
    async with db.read() as session:
        stored = await session.get(broker.Listing, listing.id, populate_existing=True)
    assert str(listing.price) == str(stored.price) == "5000.00"
    cheaper = await act(
        broker.list_product, caller.principal, (await make_asset(caller.org_id)).id, terms("2.5")
    )
    assert str(cheaper.price) == "2.50"
