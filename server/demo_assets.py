"""Demo assets: one at each registration status, with quality and valuations by each method.

Seeded through the use cases (every step a ledger fact). To show a finished registration
without waiting 5 working days, the demo moves the notice's end into the past — the one
shortcut here, and only here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

import registry
from core.clock import now
from core.db import Database
from core.identity import Principal, Role
from registry import AssetKind, AssetRight, SourceSpec, UpdateFrequency
from server.demo_steps import step

DATASET = SourceSpec(
    dataset_name="Bank SME loan book", dataset_holder="五邑农村商业银行 (Wuyi Rural Bank)",
    legal_basis="Customer authorisation under the Personal Information Protection Law art. 13",
)  # fmt: skip


def _fields(
    kind: AssetKind, name: str, scenario: str, *sources: SourceSpec
) -> registry.AssetFields:
    return registry.AssetFields(
        kind=kind, name=name, scenario=scenario,
        rights=(AssetRight.PROCESSING_USE, AssetRight.OPERATION),
        update_frequency=UpdateFrequency.MONTHLY, sources=sources,
        description=f"{name} — Jiangmen demo.", delivery_mode="API", time_span="2020-2026",
        scale="~120,000 enterprises",
    )  # fmt: skip


SCORES = {"accuracy": "0.95", "consistency": "0.9", "completeness": "0.85",
          "conformity": "0.9", "timeliness": "0.8", "accessibility": "0.7"}  # fmt: skip
WEIGHTS = {"accuracy": "0.25", "consistency": "0.15", "completeness": "0.2",
           "conformity": "0.1", "timeliness": "0.2", "accessibility": "0.1"}  # fmt: skip


async def seed_assets(
    db: Database, *, authority: uuid.UUID, agency: uuid.UUID, firm: uuid.UUID, broker: uuid.UUID
) -> None:
    async with db.read() as session:
        if await session.scalar(sa.select(sa.func.count()).select_from(registry.Asset)):
            return
    boss = Principal("demo-admin", authority, frozenset({Role.AUTHORITY}))
    clerk = Principal("demo-clerk", agency, frozenset({Role.AGENCY}))
    analyst = Principal("demo-analyst", firm, frozenset({Role.MARKET_ENTITY}))
    dealer = Principal("demo-dealer", broker, frozenset({Role.BROKER}))
    citizen = Principal("demo-citizen-0001", None, frozenset({Role.DATA_SUBJECT}))
    registry_code = SourceSpec(resource_code="JM-SCJG-001")

    async def draft(actor: Principal, fields: registry.AssetFields) -> uuid.UUID:
        return (await step(db, lambda s: registry.register_asset(s, actor, fields))).id

    async def to_notice(actor: Principal, asset_id: uuid.UUID) -> None:
        await step(db, lambda s: registry.submit_asset_registration(s, actor, asset_id))
        await step(
            db,
            lambda s: registry.review_asset_registration(s, boss, asset_id, accept=True, reason=""),
        )

    # REGISTERED, with quality and a valuation by each method
    credit = await draft(
        analyst,
        _fields(
            AssetKind.DATA_PRODUCT,
            "企业信用画像 Enterprise credit profile",
            "SME lending",
            registry_code,
            DATASET,
        ),
    )
    await to_notice(analyst, credit)
    await step(
        db,
        lambda s: s.execute(
            sa.update(registry.Asset)
            .where(registry.Asset.id == credit)
            .values(notice_ends_at=now() - timedelta(minutes=1))
        ),
    )
    await step(db, lambda s: registry.complete_asset_registration(s, analyst, credit))
    await step(
        db,
        lambda s: registry.assess_quality(
            s, boss, credit, registry.QualityScores(**SCORES), registry.QualityWeights(**WEIGHTS)
        ),
    )
    cost = registry.CostInputs(
        planning="120000",
        construction={"collection": "380000", "storage": "90000", "development": "260000"},
        operation_and_maintenance="150000",
        indirect="40000",
        taxes="25000",
        quality=registry.QualityAdjustment(
            registry.QualityScores(**SCORES), registry.QualityWeights(**WEIGHTS)
        ),
    )
    income = registry.IncomeInputs(
        cash_flows=registry.RevenueShare(["900000", "1100000", "1300000"], "0.25"),
        risk_free_rate="0.025",
        risk_premium="0.06",
    )
    market = registry.MarketInputs(
        [
            registry.Comparable(
                price="950000",
                k_quality="1.05",
                k_date="0.98",
                label="Guangzhou Data Exchange listing",
            ),
            registry.Comparable(
                price="780000", k_supply_demand="1.1", label="Shenzhen Data Exchange listing"
            ),
        ]
    )
    for method, inputs in (("COST", cost), ("INCOME", income), ("MARKET", market)):
        await step(db, lambda s, m=method, i=inputs: registry.appraise_asset(s, boss, credit, m, i))

    # PUBLIC_NOTICE
    await to_notice(
        dealer,
        await draft(
            dealer,
            _fields(
                AssetKind.DATA_SERVICE,
                "数据撮合服务 Data matching service",
                "Matching buyers and holders",
                registry_code,
            ),
        ),
    )
    # OBJECTED
    footfall = await draft(
        analyst,
        _fields(AssetKind.DATA_PRODUCT, "商圈人流热力 Footfall heatmap", "Retail siting", DATASET),
    )
    await to_notice(analyst, footfall)
    await step(
        db,
        lambda s: registry.object_to_asset(
            s, citizen, footfall, text="Does this use my location without consent?"
        ),
    )
    # SUBMITTED
    public = await draft(
        clerk,
        _fields(
            AssetKind.PUBLIC_DATA_ASSET,
            "企业登记公共数据资产 Enterprise registration data asset",
            "Government services",
            registry_code,
        ),
    )
    await step(db, lambda s: registry.submit_asset_registration(s, clerk, public))
    # DRAFT
    await draft(
        analyst,
        _fields(
            AssetKind.DATA_PRODUCT,
            "园区能耗指数 Industrial-park energy index",
            "Green finance",
            DATASET,
        ),
    )
    # REJECTED
    rejected = await draft(
        dealer,
        _fields(
            AssetKind.DATA_PRODUCT, "个人消费画像 Personal spending profile", "Marketing", DATASET
        ),
    )
    await step(db, lambda s: registry.submit_asset_registration(s, dealer, rejected))
    await step(
        db,
        lambda s: registry.review_asset_registration(
            s,
            boss,
            rejected,
            accept=False,
            reason="Sensitive personal information without separate consent (PIPL art. 29).",
        ),
    )
    # CANCELLED
    withdrawn = await draft(
        analyst,
        _fields(AssetKind.DATA_SERVICE, "物流时效查询 Logistics ETA service", "Logistics", DATASET),
    )
    await step(
        db,
        lambda s: registry.cancel_asset_registration(
            s, analyst, withdrawn, reason="Merged into another product."
        ),
    )
