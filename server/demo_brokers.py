"""Demo brokers (Art. 24, 26): a licensed, a suspended and a rejected broker; listings, deals
at each stage, fusion flows (one relying on the demo citizen's consent, one refused for a
NOT_SHARED resource) and one computed evaluation period with its risk alerts.

Seeded once, through the use cases (every step a ledger fact). As in `demo_assets`, the one
shortcut is moving a public notice's end into the past so that the broker's own product is
registered at once.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

import authority as authority_domain
import broker
import consent
import registry
from broker import FlowInputKind as K
from broker import LicenceDecisionKind as D
from core.clock import SHANGHAI, now
from core.db import Database
from core.identity import Principal, Role
from core.models import OrganizationKind
from registry import AssetKind, AssetRight, SourceSpec, UpdateFrequency
from server.demo_steps import step

PURPOSE = "SME credit scoring"
UNLISTED = "供应链融资评分 Supply-chain finance score"  # registered, not listed (for listProduct)
DELIVERED_DEALS = 6
FLOWS = 20  # recorded in the period, one of them relying on the demo citizen's consent
LOAN_BOOK = broker.FlowInputSpec(
    kind=K.NON_PUBLIC_DATASET, dataset_name="SME loan book",
    dataset_holder="五邑农村商业银行 (Wuyi Rural Bank)",
    legal_basis="Customer authorisation under the Personal Information Protection Law art. 13",
)  # fmt: skip


def _application(kind: broker.BrokerType, scope: str) -> broker.LicenceApplication:
    return broker.LicenceApplication(
        broker_type=kind, business_scope=scope, scenarios=("SME lending", "Supply-chain finance"),
        mlps_level=3, dcmm_level=3, contact="compliance@example.cn",
        minors_data_handling="No data of minors is handled.",
        sensitive_data_handling="Separate consent; processed in a privacy-computing node only.",
    )  # fmt: skip


async def seed_brokers(
    db: Database, *, authority: uuid.UUID, firm: uuid.UUID, broker_org: uuid.UUID
) -> None:
    async with db.read() as session:
        if await session.scalar(sa.select(sa.func.count()).select_from(broker.BrokerLicence)):
            return
    from server.demo import demo_uscc

    # The evaluated period: this calendar month so far (Asia/Shanghai), as the authority
    # evaluates brokers monthly. It holds every demo fact about the broker, the consent demo's
    # complaint and denied use included.
    start = now().astimezone(SHANGHAI).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    boss = Principal("demo-admin", authority, frozenset({Role.AUTHORITY}))
    dealer = Principal("demo-dealer", broker_org, frozenset({Role.BROKER}))
    analyst = Principal("demo-analyst", firm, frozenset({Role.MARKET_ENTITY}))
    citizen = Principal("demo-citizen-0001", None, frozenset({Role.DATA_SUBJECT}))

    async def org(kind: OrganizationKind, name: str, body: str) -> uuid.UUID:
        return (
            await step(
                db,
                lambda s: authority_domain.register_organization(
                    s, boss, kind=kind, name=name, uscc=demo_uscc("91", "440700", body)
                ),
            )
        ).id

    async def decide(licence: broker.BrokerLicence, decision: D, reason: str, **kw: object):  # type: ignore[no-untyped-def]
        return await step(
            db,
            lambda s: broker.decide_broker_licence(
                s, boss, licence.id, decision=decision, reason=reason, **kw
            ),
        )

    # Licences: LICENSED (grade A), SUSPENDED and REJECTED.
    licence = await step(
        db,
        lambda s: broker.apply_broker_licence(
            s, dealer, _application(broker.BrokerType.DATA_ENABLEMENT,
                                    "Matching enterprise credit data with lenders in Jiangmen"),
        ),
    )  # fmt: skip
    await decide(licence, D.APPROVE, "MLPS 3, DCMM 3, compliance officer in place.", grade="A")
    cloud = await org(
        OrganizationKind.BROKER, "江门云数经纪有限公司 (Jiangmen Cloud Data Brokers)", "MA4W0006"
    )
    cloud_actor = Principal("demo-cloud", cloud, frozenset({Role.BROKER}))
    cloud_licence = await step(
        db,
        lambda s: broker.apply_broker_licence(
            s, cloud_actor, _application(broker.BrokerType.TECHNOLOGY_ENABLEMENT,
                                         "Privacy-computing nodes for data fusion"),
        ),
    )  # fmt: skip
    await decide(cloud_licence, D.APPROVE, "Credentials verified.", grade="B")
    await decide(cloud_licence, D.SUSPEND, "Three complaints of unconsented reuse under review.")
    shell = await org(
        OrganizationKind.MARKET_ENTITY, "速达信息咨询有限公司 (Suda Information Consulting)",
        "MA4W0007",
    )  # fmt: skip
    shell_licence = await step(
        db,
        lambda s: broker.apply_broker_licence(
            s, Principal("demo-shell", shell, frozenset({Role.MARKET_ENTITY})),
            _application(broker.BrokerType.ENTRUSTED_RIGHTS, "Resale of personal data lists"),
        ),
    )  # fmt: skip
    await decide(shell_licence, D.REJECT, "Business scope is resale of personal information.")

    # The broker's own products, registered (notice shortened, as in demo_assets): the credit
    # score it lists below, and a supply-chain score it has not listed yet — for a broker
    # token to show `listProduct` straight away.
    async def registered(name: str, scenario: str, description: str) -> uuid.UUID:
        fields = registry.AssetFields(
            kind=AssetKind.DATA_PRODUCT, name=name, scenario=scenario,
            rights=(AssetRight.PROCESSING_USE, AssetRight.OPERATION),
            update_frequency=UpdateFrequency.MONTHLY,
            sources=(SourceSpec(resource_code="JM-SCJG-001"),
                     SourceSpec(dataset_name=LOAN_BOOK.dataset_name,
                                dataset_holder=LOAN_BOOK.dataset_holder,
                                legal_basis=LOAN_BOOK.legal_basis)),
            description=description, delivery_mode="API",
        )  # fmt: skip
        asset = (await step(db, lambda s: registry.register_asset(s, dealer, fields))).id
        await step(db, lambda s: registry.submit_asset_registration(s, dealer, asset))
        await step(
            db,
            lambda s: registry.review_asset_registration(s, boss, asset, accept=True, reason=""),
        )
        await step(
            db,
            lambda s: s.execute(
                sa.update(registry.Asset)
                .where(registry.Asset.id == asset)
                .values(notice_ends_at=now() - timedelta(minutes=1))
            ),
        )
        await step(db, lambda s: registry.complete_asset_registration(s, dealer, asset))
        return asset

    score = await registered(
        "融合信用评分 Fused SME credit score", "SME lending",
        "Public enterprise registration data fused with a bank loan book.",
    )  # fmt: skip
    await registered(
        UNLISTED, "Supply-chain finance",
        "Supplier registration data fused with invoice-financing history.",
    )  # fmt: skip

    # Listings: its own product (a bank's yearly subscription), and the firm's credit profile
    # entrusted to it.
    terms = broker.ListingTerms(
        price=Decimal("200000.00"), pricing_model=broker.PricingModel.SUBSCRIPTION,
        purposes=(PURPOSE, "Supply-chain finance"), term="P1Y", territory="Jiangmen",
    )  # fmt: skip
    listing = await step(db, lambda s: broker.list_product(s, dealer, score, terms))
    async with db.read() as session:
        credit = await session.scalar(
            sa.select(registry.Asset.id).where(
                registry.Asset.holder_id == firm,
                registry.Asset.status == registry.AssetStatus.REGISTERED,
            )
        )
    if credit is not None:
        await step(db, lambda s: broker.entrust_asset(s, analyst, credit, broker_org))
        entrusted = broker.ListingTerms(
            price=Decimal("880000.00"), pricing_model=broker.PricingModel.ONE_TIME,
            purposes=(PURPOSE,), term="P2Y", territory="Guangdong",
        )  # fmt: skip
        await step(db, lambda s: broker.list_product(s, dealer, credit, entrusted))

    # Deals: six delivered (one a month's work for a bank's branches), one matched (awaiting
    # the buyer), one cancelled.
    bank = await org(
        OrganizationKind.MARKET_ENTITY, "五邑农村商业银行 (Wuyi Rural Bank)", "MA4W0008"
    )
    banker = Principal("demo-banker", bank, frozenset({Role.MARKET_ENTITY}))
    deal_terms = broker.DealTerms(
        listing.id, bank, PURPOSE, "Loan pre-approval", Decimal("190000.00")
    )
    for branch in range(DELIVERED_DEALS):
        delivered = await step(db, lambda s: broker.match_deal(s, dealer, deal_terms))
        await step(db, lambda s, d=delivered: broker.confirm_deal(s, banker, d.id))
        await step(
            db,
            lambda s, d=delivered, n=branch: broker.record_delivery(
                s, dealer, d.id, note=f"API key issued to branch {n + 1}"
            ),
        )
    await step(db, lambda s: broker.match_deal(s, dealer, deal_terms))
    cancelled = await step(db, lambda s: broker.match_deal(s, dealer, deal_terms))
    await step(
        db,
        lambda s: broker.cancel_deal(s, banker, cancelled.id, reason="Budget moved to Q1."),
    )

    # Fusion flows: public registration data with the loan book; one relying on a consent.
    flow = broker.FlowSpec(
        inputs=(broker.FlowInputSpec(kind=K.PUBLIC_RESOURCE, resource_code="JM-SCJG-001"),
                LOAN_BOOK),
        output_asset_id=score, recipients=(bank,), purpose=PURPOSE, scenario="Loan pre-approval",
    )  # fmt: skip
    for _ in range(FLOWS - 1):  # a month of monthly refreshes for the bank's branches
        await step(db, lambda s: broker.record_data_flow(s, dealer, flow))
    granted = await step(
        db,
        lambda s: consent.grant_consent(
            s, citizen,
            consent.GrantFields(
                grantee_id=broker_org, purpose=PURPOSE, valid_until=now() + timedelta(days=90),
                certificates=(consent.CertificateType.BUSINESS_LICENCE,),
                mode=consent.ConsentMode.PERIODIC, frequency="P1M",
                scenario="Loan pre-approval for my sole proprietorship",
            ),
        ),
    )  # fmt: skip
    relied = broker.ConsentRelied(granted.id, "certificate:BUSINESS_LICENCE")
    with_consent = broker.FlowSpec(
        inputs=flow.inputs, output_asset_id=score, recipients=(bank,), purpose=PURPOSE,
        scenario="Loan pre-approval", consents=(relied,),
    )  # fmt: skip
    await step(db, lambda s: broker.record_data_flow(s, dealer, with_consent))
    # Refused: a NOT_SHARED resource. The flow changes nothing; the attempt is recorded.
    hidden = broker.FlowSpec(
        inputs=(broker.FlowInputSpec(kind=K.PUBLIC_RESOURCE, resource_code="JM-ZRZY-002"),),
        output_asset_id=score, recipients=(bank,), purpose=PURPOSE, scenario="Loan pre-approval",
    )  # fmt: skip
    for actor, spec in ((dealer, hidden), (cloud_actor, flow)):  # the second: while suspended
        with contextlib.suppress(broker.Refused):  # recorded by its after-rollback step
            await step(db, lambda s, a=actor, f=spec: broker.record_data_flow(s, a, f), actor)

    # The month so far, evaluated: the licensed broker earns grade A (README) and keeps it on
    # its licence; the refused flow and the suspended broker's attempt raise risk alerts.
    await step(db, lambda s: broker.evaluate_brokers(s, boss, start, now()))
