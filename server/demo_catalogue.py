"""Demo catalogue: three Jiangmen agencies, their data items and a dozen resources.

Seeded through the real use cases (so every step is a ledger fact), once: a resource whose
code exists is left alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import authority as authority_domain
import registry
from core import organizations
from core.clock import now
from core.db import Database
from core.identity import Principal, Role
from core.models import OrganizationKind
from registry import Delivery as D
from registry import OpenType as O
from registry import ResourceFields
from registry import Sensitivity as S
from registry import ShareType as T
from registry import UpdateFrequency as F


@dataclass(frozen=True)
class DemoAgency:
    name: str
    uscc_body: str  # org-code body; the full code is minted like the other demo orgs
    items: tuple[tuple[str, str, str], ...]  # (code, name, legal basis)
    resources: tuple[tuple[ResourceFields, int | None], ...]  # (fields, days since refresh)


def _r(
    code,
    name,
    description,
    share,
    open_,
    delivery,
    freq,
    sens,
    personal,
    items,
    *,
    cond="",
    basis="",
):  # noqa: E501
    return ResourceFields(
        code=code, name=name, description=description, share_type=share, open_type=open_,
        delivery=delivery, update_frequency=freq, sensitivity=sens, contains_personal_info=personal,
        data_items=items, share_conditions=cond, share_legal_basis=basis,
    )  # fmt: skip


MARKET = (
    (
        (
            "jm.market.enterprise-registration",
            "企业登记信息 Enterprise registration",
            "Company Law art. 29; Market Entity Registration Regulations art. 8",
        ),
        (
            "jm.market.licence-status",
            "营业执照状态 Business licence status",
            "Market Entity Registration Regulations art. 21",
        ),
        (
            "jm.market.penalty",
            "行政处罚信息 Administrative penalties",
            "Administrative Penalty Law art. 48",
        ),
    ),
    (
        (
            _r(
                "JM-SCJG-001",
                "企业登记信息 Registered enterprises",
                "Every market entity registered in Jiangmen, with its status.",
                T.UNCONDITIONAL,
                O.OPEN,
                D.API,
                F.DAILY,
                S.GENERAL,
                False,
                ("jm.market.enterprise-registration", "jm.market.licence-status"),
            ),
            0,
        ),
        (
            _r(
                "JM-SCJG-002",
                "行政处罚公示 Administrative penalties",
                "Penalty decisions published under Art. 48 of the Administrative Penalty Law.",
                T.CONDITIONAL,
                O.CONDITIONAL_OPEN,
                D.TABLE,
                F.WEEKLY,
                S.GENERAL,
                False,
                ("jm.market.penalty",),
                cond="For supervision and credit evaluation only.",
            ),
            20,
        ),
        (
            _r(
                "JM-SCJG-003",
                "营业执照核验 Licence verification",
                "Yes/no verification of a business licence (Art. 15).",
                T.UNCONDITIONAL,
                O.NOT_OPEN,
                D.API,
                F.REALTIME,
                S.GENERAL,
                False,
                ("jm.market.licence-status",),
            ),
            0,
        ),
    ),
)
# PIPL Art. 28: contribution records are medical and financial data; the claiming agency
# says so, in the item's ledger entry too, so any consent to it must be separate.
SENSITIVE_PERSONAL = frozenset({"jm.hrss.social-insurance"})
HRSS = (
    (
        (
            "jm.hrss.social-insurance",
            "社会保险参保记录 Social-insurance record",
            "Social Insurance Law art. 74",
        ),
        (
            "jm.hrss.employment-registration",
            "就业登记 Employment registration",
            "Employment Promotion Law art. 35",
        ),
    ),
    (
        (
            _r(
                "JM-RSJ-001",
                "社会保险参保信息 Social-insurance enrolment",
                "Per-person enrolment and contribution months.",
                T.CONDITIONAL,
                O.NOT_OPEN,
                D.API,
                F.MONTHLY,
                S.IMPORTANT,
                True,
                ("jm.hrss.social-insurance",),
                cond="Only with the insured person's authorisation (Art. 27).",
            ),
            10,
        ),
        (
            _r(
                "JM-RSJ-002",
                "就业登记统计 Employment statistics",
                "Monthly aggregates by district and industry; no personal data.",
                T.UNCONDITIONAL,
                O.OPEN,
                D.FILE,
                F.MONTHLY,
                S.GENERAL,
                False,
                ("jm.hrss.employment-registration",),
            ),
            45,
        ),
    ),
)
LAND = (
    (
        ("jm.land.use-status", "土地利用现状 Land use status", "Land Administration Law art. 26"),
        ("jm.land.cadastre", "不动产登记 Real-estate register", "Civil Code art. 210"),
    ),
    (
        (
            _r(
                "JM-ZRZY-001",
                "土地利用现状图 Land-use map",
                "Annual land-use survey of Jiangmen, by parcel class.",
                T.UNCONDITIONAL,
                O.OPEN,
                D.FILE,
                F.YEARLY,
                S.GENERAL,
                False,
                ("jm.land.use-status",),
            ),
            100,
        ),
        (
            _r(
                "JM-ZRZY-002",
                "不动产登记簿 Real-estate register",
                "Ownership records: not shared in bulk.",
                T.NOT_SHARED,
                O.NOT_OPEN,
                D.TABLE,
                F.ON_CHANGE,
                S.CORE,
                True,
                ("jm.land.cadastre",),
                basis="Interim Regulations on Real Estate Registration art. 27",
            ),
            None,
        ),
    ),
)
OTHER_AGENCIES = (
    (
        "江门市人力资源和社会保障局 (Jiangmen Human Resources and Social Security Bureau)",
        "MB2C0006",
        HRSS,
    ),
    ("江门市自然资源局 (Jiangmen Natural Resources Bureau)", "MB2C0007", LAND),
)


async def _seed_agency(db: Database, agency_id: uuid.UUID, items: tuple, resources: tuple) -> None:
    actor = Principal("demo-clerk", agency_id, frozenset({Role.AGENCY}))
    for code, name, basis in items:
        async with db.transaction() as session:
            if await registry.find_item(session, code) is None:
                await registry.claim_data_item(
                    session,
                    actor,
                    code=code,
                    name=name,
                    legal_basis=basis,
                    sensitive_personal=code in SENSITIVE_PERSONAL,
                )
    for fields, days_since_refresh in resources:
        async with db.read() as session:
            if await registry.find_resource(session, fields.code) is not None:
                continue
        async with db.transaction() as session:
            resource = await registry.create_resource(session, actor, fields)
            if days_since_refresh is not None:
                refreshed = now() - timedelta(days=days_since_refresh, minutes=5)
                await registry.record_resource_update(session, actor, resource.id, refreshed)


async def seed_catalogue(
    db: Database, authority_id: uuid.UUID, market_agency_id: uuid.UUID
) -> None:
    from server.demo import demo_uscc

    authority = Principal("demo-admin", authority_id, frozenset({Role.AUTHORITY}))
    await _seed_agency(db, market_agency_id, *MARKET)
    for name, body, (items, resources) in OTHER_AGENCIES:
        uscc = demo_uscc("11", "440700", body)
        async with db.transaction() as session:
            org = await organizations.find_by_uscc(session, uscc)
            if org is None:
                org = await authority_domain.register_organization(
                    session, authority, kind=OrganizationKind.AGENCY, name=name, uscc=uscc
                )
        await _seed_agency(db, org.id, items, resources)


async def other_agency_ids(db: Database) -> tuple[uuid.UUID, ...]:
    """The demo agencies besides the market regulator, in their order here."""
    from server.demo import demo_uscc

    found = []
    async with db.read() as session:
        for _name, body, _ in OTHER_AGENCIES:
            org = await organizations.find_by_uscc(session, demo_uscc("11", "440700", body))
            if org is not None:
                found.append(org.id)
    return tuple(found)
