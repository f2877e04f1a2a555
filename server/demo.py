"""Demo data for the embedded default: one organisation per kind and a token per role.

Seeded once, on the first `pdex serve` against an empty database; tokens are printed on every
start so a new user can paste one into GraphiQL straight away.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import authority as authority_domain
from core import organizations
from core.db import Database
from core.identity import Principal, Role, Tokens
from core.models import Organization, OrganizationKind
from core.settings import Settings
from core.validators import make_org_code, make_uscc


def demo_uscc(department_and_category: str, region: str, org_body: str) -> str:
    return make_uscc(department_and_category + region + make_org_code(org_body))


@dataclass(frozen=True)
class DemoOrg:
    kind: OrganizationKind
    name: str
    uscc: str
    role: Role


DEMO_AUTHORITY = DemoOrg(
    OrganizationKind.AUTHORITY,
    "江门市政务服务数据管理局 (Jiangmen Government Service Data Administration)",
    demo_uscc("11", "440700", "MB2C0001"),
    Role.AUTHORITY,
)
DEMO_ORGS = (
    DemoOrg(
        OrganizationKind.AGENCY,
        "江门市市场监督管理局 (Jiangmen Market Regulation Administration)",
        demo_uscc("11", "440700", "MB2C0002"),
        Role.AGENCY,
    ),
    DemoOrg(
        OrganizationKind.BROKER,
        "江门数据经纪有限公司 (Jiangmen Data Brokerage Co.)",
        demo_uscc("91", "440700", "MA4W0003"),
        Role.BROKER,
    ),
    DemoOrg(
        OrganizationKind.MARKET_ENTITY,
        "五邑智能科技有限公司 (Wuyi Smart Technology Co.)",
        demo_uscc("91", "440700", "MA4W0004"),
        Role.MARKET_ENTITY,
    ),
    DemoOrg(
        OrganizationKind.AUDITOR,
        "广东信诚审计事务所 (Guangdong Xincheng Audit)",
        demo_uscc("91", "440100", "MA4W0005"),
        Role.AUDITOR,
    ),
)
DEMO_SUBJECT = "demo-citizen-0001"


async def bootstrap_authority(db: Database, *, name: str, uscc: str) -> Organization:
    """Create the first data-authority organisation, which admits every other one: a ledger
    fact, the first of a fresh ledger (`authority.bootstrap_authority`)."""
    async with db.transaction() as session:
        return await authority_domain.bootstrap_authority(session, name=name, uscc=uscc)


async def seed(db: Database, settings: Settings | None = None) -> dict[Role, uuid.UUID | None]:
    """Create the demo organisations if missing; return the organisation of each demo role."""
    authority = await bootstrap_authority(db, name=DEMO_AUTHORITY.name, uscc=DEMO_AUTHORITY.uscc)
    actor = Principal("demo-admin", authority.id, frozenset({Role.AUTHORITY}))
    orgs: dict[Role, uuid.UUID | None] = {Role.AUTHORITY: authority.id, Role.DATA_SUBJECT: None}
    for demo in DEMO_ORGS:
        async with db.transaction() as session:
            org = await organizations.find_by_uscc(session, demo.uscc)
            if org is None:
                org = await authority_domain.register_organization(
                    session, actor, kind=demo.kind, name=demo.name, uscc=demo.uscc
                )
            orgs[demo.role] = org.id
    from server.demo_catalogue import seed_catalogue

    agency_id = orgs[Role.AGENCY]
    assert agency_id is not None
    await seed_catalogue(db, authority.id, agency_id)
    from server.demo_assets import seed_assets

    firm, broker = orgs[Role.MARKET_ENTITY], orgs[Role.BROKER]
    assert firm is not None and broker is not None
    await seed_assets(db, authority=authority.id, agency=agency_id, firm=firm, broker=broker)
    from server.demo_consent import seed_consents

    await seed_consents(db, authority=authority.id, firm=firm, broker=broker)
    from server.demo_brokers import seed_brokers

    await seed_brokers(db, authority=authority.id, firm=firm, broker_org=broker)
    from server.demo_sharing import seed_sharing

    await seed_sharing(db, authority=authority.id, market=agency_id, settings=settings)
    return orgs


def demo_tokens(tokens: Tokens, orgs: dict[Role, uuid.UUID | None]) -> dict[Role, str]:
    return {
        role: tokens.issue(
            roles=[role], org=org, sub=DEMO_SUBJECT if role is Role.DATA_SUBJECT else None
        )
        for role, org in orgs.items()
    }
