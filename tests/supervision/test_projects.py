"""IT-project gates (Art. 29, 30): no data list, no approval; no catalogued and delivered data,
no acceptance (pdex says which is missing); an agency graded D needs an override."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

import registry
import supervision
from core.clock import now
from core.errors import AuthError, UserError
from core.usecase import run

pytestmark = pytest.mark.article(29)


async def file(db, caller, items=(), codes=(), budget="1200000.00"):
    fields = supervision.ProjectFields(
        "Smart licensing", Decimal(budget), tuple(items), tuple(codes)
    )
    return await run(db, caller.principal, lambda s, a: supervision.file_project(s, a, fields))


async def approve(db, caller, project, reason=None):
    return await run(
        db, caller.principal,
        lambda s, a: supervision.approve_project(s, a, project.id, override_reason=reason),
    )  # fmt: skip


async def accept(db, caller, project):
    return await run(
        db, caller.principal, lambda s, a: supervision.accept_project(s, a, project.id)
    )


async def test_accepted_only_once_catalogued_and_delivered(
    db, agency, other_agency, authority, claim, catalogue, share_request
):
    item = await claim(agency)
    project = await file(db, agency, [item], ["PLANNED-" + item[-6:]])
    assert project.status is supervision.ProjectStatus.FILED
    approved = await approve(db, authority, project)
    assert approved.status is supervision.ProjectStatus.APPROVED
    with pytest.raises(UserError) as nothing_yet:
        await accept(db, authority, project)
    assert nothing_yet.value.code == "PROJECT_DATA_MISSING"
    assert f"{item}: NOT_CATALOGUED" in nothing_yet.value.problems[0].message
    assert "NOT_CATALOGUED" in nothing_yet.value.problems[0].message.split(";")[1]
    entry = await catalogue(agency, (item,))
    await catalogue(agency, code="PLANNED-" + item[-6:], share_type=registry.ShareType.NOT_SHARED)
    async with db.read() as session:
        gaps = await supervision.project_gaps(session, project)
    assert [(g.label, g.reason) for g in gaps] == [(item, "NOT_DELIVERED")]  # NOT_SHARED: none due
    await share_request(other_agency, entry, delivered_at=now() - timedelta(hours=1))
    accepted = await accept(db, authority, project)
    assert accepted.status is supervision.ProjectStatus.ACCEPTED and accepted.accepted_at


async def test_approval_needs_the_data_list_and_the_authority(db, agency, authority, claim):
    bare = await file(db, agency)
    with pytest.raises(UserError) as no_list:
        await approve(db, authority, bare)
    assert no_list.value.code == "PROJECT_DATA_LIST_MISSING"
    listed = await file(db, agency, [await claim(agency)])
    with pytest.raises(AuthError):
        await approve(db, agency, listed)
    with pytest.raises(UserError) as early:
        await accept(db, authority, listed)
    assert early.value.code == "PROJECT_STATUS_INVALID"


@pytest.mark.article(30)
async def test_agency_graded_d_needs_an_override_with_a_reason(db, agency, authority, claim):
    async with db.transaction() as session:
        session.add(
            supervision.AgencyScorecard(
                agency_id=agency.org_id, period_start=now() - timedelta(days=400),
                period_end=now() - timedelta(days=35), facts="{}", indicators="[]",
                score="40.00", grade="D", evaluated_at=now(), ledger_seq=0,
            )
        )  # fmt: skip
    project = await file(db, agency, [await claim(agency)])
    with pytest.raises(UserError) as refused:
        await approve(db, authority, project)
    assert refused.value.code == "AGENCY_GRADE_NEEDS_OVERRIDE"
    approved = await approve(db, authority, project, reason="Flood-control system: urgent")
    assert approved.override_reason == "Flood-control system: urgent"


async def test_filing_refusals_and_isolation(db, agency, other_agency, claim):
    theirs = await claim(other_agency)
    with pytest.raises(UserError) as not_owned:
        await file(db, agency, [theirs])
    assert not_owned.value.code == "DATA_ITEM_NOT_OWNED"
    with pytest.raises(UserError) as invalid:
        await file(db, agency, budget="0")
    assert invalid.value.code == "BUDGET_INVALID"
    mine = await file(db, agency, [await claim(agency)])
    async with db.read() as session:
        seen = await supervision.list_projects(
            session, other_agency.principal, status=None, first=100, after=None
        )
        got = await supervision.get_projects(session, other_agency.principal, [mine.id])
    assert mine.id not in [p.id for p in seen.items] and got == [None]
