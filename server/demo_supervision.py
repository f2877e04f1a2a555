"""Demo supervision (issue 13): the three demo agencies graded for the month so far, chief
data officers, an information system, an approved and a blocked IT project, and the findings
the stale demo catalogue entries raise: one rectification open, one escalated.

Seeded through the use cases (every step a ledger fact). The one shortcut: the escalated
rectification's deadline is moved into the past in the row only (no one waits ten working
days); its order entry in the ledger keeps the true due date, and the escalation entry says
which due date it acted on.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

import registry
import supervision
from core.clock import now
from core.db import Database
from core.errors import UserError
from core.identity import Principal, Role
from server.demo_steps import step

DESIGN = "3f1c0b8a1d5e4c2b9a7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291"
STRUCTURE = "9a8b7c6d5e4f30211f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a4f56"
CDOS = ("陈静 Chen Jing", "黄伟 Huang Wei", "李敏 Li Min")


async def seed_supervision(
    db: Database, *, authority: uuid.UUID, agencies: tuple[uuid.UUID, ...]
) -> None:
    async with db.read() as session:
        if await session.scalar(
            sa.select(sa.func.count()).select_from(supervision.ChiefDataOfficer)
        ):
            return  # seeded already
    admin = Principal("demo-admin", authority, frozenset({Role.AUTHORITY}))
    clerks = [Principal("demo-clerk", a, frozenset({Role.AGENCY})) for a in agencies]
    # Art. 28: each agency's chief data officer, recorded by the agency
    for clerk, name in zip(clerks, CDOS, strict=True):
        await step(db, lambda s, c=clerk, n=name: supervision.appoint_cdo(  # type: ignore[misc]
            s, c, c.organization_id, name=n, title="副局长 Deputy Director"))  # fmt: skip
    # Art. 9: the market agency's licensing system feeds its catalogue
    market = clerks[0]
    async with db.read() as session:
        page = await registry.list_resources(
            session, market, registry.ResourceFilter(owner_id=market.organization_id),
            first=3, after=None,
        )  # fmt: skip
        items = await registry.items_of(session, [r.id for r in page.items[:1]])
    fed = tuple(r.id for r in page.items[:2])
    fields = supervision.SystemFields(
        "企业登记系统 Enterprise registration system", "Business licences and filings.",
        DESIGN, STRUCTURE, fed,
    )  # fmt: skip
    await step(db, lambda s: supervision.register_system(s, market, fields))
    # Art. 30: every agency graded for the month so far
    end = now()
    await step(db, lambda s: supervision.evaluate_agencies(s, admin, end - timedelta(days=30), end))
    # Art. 29: one project approved with its data list; one blocked for want of a list
    codes = tuple(i.code for i in items[0]) if items and items[0] else ()
    listed = supervision.ProjectFields("智慧审批 Smart approvals", Decimal("1800000.00"), codes,
                                       ("JM-SCJG-PLANNED",))  # fmt: skip
    approved = await step(db, lambda s: supervision.file_project(s, market, listed))
    await step(db, lambda s: supervision.approve_project(s, admin, approved.id))
    bare = supervision.ProjectFields("机房改造 Server-room refit", Decimal("600000.00"))
    blocked = await step(db, lambda s: supervision.file_project(s, market, bare))
    with contextlib.suppress(UserError):  # Art. 29: PROJECT_DATA_LIST_MISSING: stays FILED
        await step(db, lambda s: supervision.approve_project(s, admin, blocked.id))
    # Art. 35: the stale entries become findings; one order open, one escalated
    sweep = await step(db, lambda s: supervision.detect_findings(s, admin))
    by_agency: dict[uuid.UUID, list[supervision.Finding]] = {}
    for finding in sweep.findings:
        by_agency.setdefault(finding.agency_id, []).append(finding)
    orders = []
    for agency_id, found in sorted(by_agency.items(), key=lambda kv: kv[0] != agencies[0])[:2]:
        order = supervision.RectificationOrder(
            agency_id, tuple(f.id for f in found), 10,
            "按目录更新频率更新数据 Refresh the entries at their catalogued frequency.",
        )  # fmt: skip
        orders.append(
            await step(db, lambda s, o=order: supervision.order_rectification(s, admin, o))
        )  # type: ignore[misc]
    if len(orders) == 2:
        late = orders[1]
        async with db.transaction() as session:  # the shortcut: its deadline passed
            await session.execute(
                sa.update(supervision.Rectification)
                .where(supervision.Rectification.id == late.id)
                .values(ordered_at=now() - timedelta(days=30), due_at=now() - timedelta(days=2))
            )
        await step(db, lambda s: supervision.escalate_overdue(s, admin))
