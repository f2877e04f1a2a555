"""The demo's brokers: licensed, suspended and rejected; listings, deals, fusion flows and one
computed evaluation period — seeded once, through the use cases, on both engines."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

import broker
import registry
from core.clock import SHANGHAI
from core.identity import Principal, Role
from core.models import Organization
from ledger.audit import verify_database
from ledger.models import LedgerEntry, LedgerParty
from server import demo
from server.demo_brokers import FLOWS, UNLISTED


async def test_demo_brokers(fresh_db):
    """One seeding (it is slow) for every check of the broker demo."""
    orgs = await demo.seed(fresh_db)
    async with fresh_db.read() as session:

        async def values(column):
            return set((await session.execute(sa.select(column))).scalars())

        async def count(table):
            return await session.scalar(sa.select(sa.func.count()).select_from(table))

        assert await values(broker.BrokerLicence.status) == {
            broker.LicenceStatus.LICENSED, broker.LicenceStatus.SUSPENDED,
            broker.LicenceStatus.REJECTED,
        }  # fmt: skip
        assert await values(broker.Deal.status) == {
            broker.DealStatus.DELIVERED, broker.DealStatus.MATCHED, broker.DealStatus.CANCELLED,
        }  # fmt: skip
        assert await count(broker.Listing) == 2 and await count(broker.DataFlow) == FLOWS
        assert await count(broker.DataFlowConsent) == 1
        assert await count(broker.BrokerEvaluation) == 2  # the licensed and the suspended
        assert await values(broker.RiskAlert.rule) == {
            broker.AlertRule.FLOW_BASIS_MISSING, broker.AlertRule.ACTIVITY_WHILE_SUSPENDED,
        }  # fmt: skip
    await demo.seed(fresh_db)
    async with fresh_db.read() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(broker.DataFlow)) == (
            FLOWS
        )
    assert (await verify_database(fresh_db)).ok
    await readme_and_demo_agree_on_the_licensed_brokers_grade(fresh_db, orgs)
    await the_broker_has_a_registered_unlisted_product_to_list(fresh_db, orgs)
    await the_demo_admits_every_organisation_through_the_ledger(fresh_db)  # issue 10 §8


async def readme_and_demo_agree_on_the_licensed_brokers_grade(fresh_db, orgs):
    """Issue 10 §7: the README says grade A; the demo evaluates a real period (the month so
    far, holding all the broker's demo facts) in which the broker earns A, and the licence
    carries the grade of that evaluation."""
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    assert "one licensed (grade A in the evaluated month" in readme
    dealer = orgs[Role.BROKER]
    async with fresh_db.read() as session:
        [evaluation] = (
            await session.scalars(
                sa.select(broker.BrokerEvaluation).where(
                    broker.BrokerEvaluation.broker_id == dealer
                )
            )
        ).all()
        licence = await broker.current_licence(session, dealer)
    assert (evaluation.grade, licence.grade) == ("A", "A")
    facts = json.loads(evaluation.facts)
    assert facts["complaints"] == "1" and facts["consent_denials"] == "1"  # the consent demo's
    assert facts["flows_refused_basis"] == "1"
    start = evaluation.period_start.astimezone(SHANGHAI)
    assert (start.day, start.hour, start.minute) == (1, 0, 0)  # a calendar month


async def the_broker_has_a_registered_unlisted_product_to_list(fresh_db, orgs):
    """Issue 10 §7: a broker token can show listProduct at once."""
    async with fresh_db.read() as session:
        asset = await session.scalar(
            sa.select(registry.Asset).where(registry.Asset.name == UNLISTED)
        )
        listed = await session.scalar(
            sa.select(sa.func.count()).where(broker.Listing.asset_id == asset.id)
        )
    assert asset.holder_id == orgs[Role.BROKER] and asset.status is registry.AssetStatus.REGISTERED
    assert listed == 0
    dealer = Principal("demo-dealer", orgs[Role.BROKER], frozenset({Role.BROKER}))
    terms = broker.ListingTerms(
        price=Decimal("5000"), pricing_model=broker.PricingModel.PER_CALL,
        purposes=("Supply-chain finance",), term="P1Y", territory="Jiangmen",
    )  # fmt: skip
    async with fresh_db.transaction() as session:
        listing = await broker.list_product(session, dealer, asset.id, terms)
    assert listing.status is broker.ListingStatus.LISTED and str(listing.price) == "5000.00"


async def the_demo_admits_every_organisation_through_the_ledger(fresh_db):
    """Issue 10 §8: the demo admits its organisations as the API does, each a ledger fact."""
    async with fresh_db.read() as session:
        orgs = list(await session.scalars(sa.select(Organization)))
        first = await session.scalar(sa.select(LedgerEntry).order_by(LedgerEntry.seq).limit(1))
        firsts = [await first_entry_of(session, org.id) for org in orgs]
    assert first.kind == "authority.organization.admitted"
    assert len(orgs) > 5
    for org, entry in zip(orgs, firsts, strict=True):
        assert entry.kind == "authority.organization.admitted", org.name
        assert json.loads(entry.body)["organization"] == str(org.id)


async def first_entry_of(session, org_id):
    seq = await session.scalar(
        sa.select(sa.func.min(LedgerParty.seq)).where(LedgerParty.party == f"org:{org_id}")
    )
    return await session.get(LedgerEntry, seq)
