"""Findings (Art. 35) from the records, each citing its item and evidence, found once; and
rectification orders on the working-day calendar: reported, reopened, escalated to the
superior government (Art. 33), every step a ledger fact; an agency sees only its own."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

import registry
import supervision
from core import workdays
from core.clock import SHANGHAI, now
from core.errors import AuthError, UserError
from core.usecase import run
from ledger.models import LedgerEntry
from registry import Resource
from sharing.models import (
    GrantStatus,
    ShareGrant,
    ShareGrantItem,
    ShareMode,
    ShareRequestItem,
    ShareRequestStatus,
    ShareViolationCandidate,
    ViolationKind,
)

pytestmark = pytest.mark.article(35)


async def sweep(db, caller):
    return await run(db, caller.principal, lambda s, a: supervision.detect_findings(s, a))


async def findings_of(db, caller, agency_id):
    async with db.read() as session:
        page = await supervision.list_findings(
            session, caller.principal, kind=None, agency_id=agency_id, open_only=False,
            first=100, after=None,
        )  # fmt: skip
    return page.items


async def test_sweeps_at_once_find_each_record_once(db, agency, authority, claim, catalogue):
    stale = await catalogue(agency, (await claim(agency),))
    async with db.transaction() as session:
        (await session.get(Resource, stale.id)).stale_after = now() - timedelta(days=61)
    # Before the sweep lock, the second of two sweeps at once failed on the findings' key.
    await asyncio.gather(*(sweep(db, authority) for _ in range(3)))
    found = await findings_of(db, authority, agency.org_id)
    assert [f.kind for f in found] == [supervision.FindingKind.STALE_CATALOGUE]


async def test_detectors_find_each_violation_once_with_evidence(
    db, agency, other_agency, authority, claim, catalogue, share_request
):
    a, b = await claim(agency), await claim(agency)
    stale = await catalogue(agency, (a, b))
    # 35(6): an item taken out of the entry with no recorded reason
    await run(db, agency.principal,
              lambda s, a_: registry.update_resource(s, a_, stale.id, {"data_items": (a,)}))  # fmt: skip
    async with db.transaction() as session:  # stale for two months
        row = await session.get(Resource, stale.id)
        row.stale_after = now() - timedelta(days=61)
    # 35(1): a conditional request never answered, due a week ago
    late = await share_request(other_agency, stale, status=ShareRequestStatus.PENDING,
                               received_at=now() - timedelta(days=14),
                               answer_due_at=now() - timedelta(days=7))  # fmt: skip
    # 35(4): the agency, as a grantee, asked outside its grant
    async with db.transaction() as session:
        session.add(
            ShareViolationCandidate(
                grantee_id=agency.org_id,
                resource_id=stale.id,
                kind=ViolationKind.ITEMS_OUTSIDE_GRANT,
                ledger_seq=7,
            )
        )
    # 35(7): the other agency asks again for what a live grant already gives it
    theirs = await catalogue(agency, (b,), code=f"DUP-{b[-8:]}")
    granted = await share_request(
        other_agency,
        theirs,
        received_at=now() - timedelta(days=5),
        delivered_at=now() - timedelta(days=5),
    )
    async with db.transaction() as session:
        grant = ShareGrant(
            request_id=granted.id,
            grantee_id=other_agency.org_id,
            resource_id=theirs.id,
            source_department_id=agency.org_id,
            purpose="test",
            scenario="test",
            mode=ShareMode.API,
            valid_until=now() + timedelta(days=300),
            status=GrantStatus.ACTIVE,
            created_at=now() - timedelta(days=5),
            ledger_seq=0,
        )
        session.add(grant)
        await session.flush()
        item_id = (
            await session.scalars(
                sa.select(registry.DataItem.id).where(registry.DataItem.code == b)
            )
        ).one()
        session.add(ShareGrantItem(grant_id=grant.id, data_item_id=item_id))
    again = await share_request(other_agency, theirs, received_at=now() - timedelta(days=1))
    async with db.transaction() as session:
        session.add(ShareRequestItem(request_id=again.id, data_item_id=item_id))
    # fmt: skip

    first = await sweep(db, authority)
    mine = {f.kind: f for f in first.findings if f.agency_id == agency.org_id}
    theirs_found = {f.kind: f for f in first.findings if f.agency_id == other_agency.org_id}
    assert set(mine) == {
        supervision.FindingKind.STALE_CATALOGUE, supervision.FindingKind.UNRECORDED_CHANGE,
        supervision.FindingKind.OVERDUE_ANSWER, supervision.FindingKind.OUT_OF_GRANT_USE,
    }  # fmt: skip
    assert set(theirs_found) == {supervision.FindingKind.DEMAND_ALREADY_GRANTED}
    assert mine[supervision.FindingKind.STALE_CATALOGUE].article_item == "35(2)"
    assert mine[supervision.FindingKind.OVERDUE_ANSWER].article_item == "35(1)"
    assert json.loads(mine[supervision.FindingKind.OVERDUE_ANSWER].evidence)["requests"] == [
        str(late.id)
    ]
    assert json.loads(mine[supervision.FindingKind.OUT_OF_GRANT_USE].evidence)["ledgerSeqs"] == [7]
    assert "items removed" in mine[supervision.FindingKind.UNRECORDED_CHANGE].summary
    assert json.loads(theirs_found[supervision.FindingKind.DEMAND_ALREADY_GRANTED].evidence)[
        "grants"
    ] == [str(grant.id)]
    async with db.read() as session:
        entry = await session.scalar(
            sa.select(LedgerEntry).where(LedgerEntry.seq == first.ledger_seq)
        )
    assert entry.kind == "supervision.findings.detected"
    async with db.read() as session:  # the fact's digest is recomputed from the rows
        recorded = (await session.scalars(
            sa.select(supervision.Finding).where(supervision.Finding.ledger_seq == entry.seq)
        )).all()  # fmt: skip
    lines = "\n".join(f"{f.id} {f.key}" for f in sorted(recorded, key=lambda f: f.key))
    body = json.loads(entry.body)
    assert body["digest"] == hashlib.sha256(lines.encode()).hexdigest()
    assert body["count"] == len(recorded) == len(first.findings)

    second = await sweep(db, authority)  # found once
    assert not [f for f in second.findings if f.agency_id in (agency.org_id, other_agency.org_id)]
    assert {f.id for f in await findings_of(db, other_agency, agency.org_id)} == set()
    assert len(await findings_of(db, agency, agency.org_id)) == 4


async def order(db, caller, agency_id, finding_ids, days=5, text="Refresh the entry."):
    return await run(
        db, caller.principal,
        lambda s, a: supervision.order_rectification(
            s, a, supervision.RectificationOrder(agency_id, tuple(finding_ids), days, text)
        ),
    )  # fmt: skip


async def stale_finding(db, authority, agency, catalogue):
    entry = await catalogue(agency)
    async with db.transaction() as session:
        row = await session.get(Resource, entry.id)
        row.stale_after = now() - timedelta(days=90)
    done = await sweep(db, authority)
    return next(f for f in done.findings if f.agency_id == agency.org_id)


@pytest.mark.article(33)
async def test_rectification_reported_reopened_escalated_every_step_recorded(
    db, agency, other_agency, authority, oversight, catalogue
):
    finding = await stale_finding(db, authority, agency, catalogue)
    ordered = await order(db, authority, agency.org_id, [finding.id])
    assert ordered.status is supervision.RectificationStatus.ORDERED
    async with db.read() as session:
        due = await workdays.working_day_deadline(session, ordered.ordered_at, 5)
    assert ordered.due_at == due.at
    with pytest.raises(UserError) as twice:
        await order(db, authority, agency.org_id, [finding.id])
    assert twice.value.code == "FINDING_ALREADY_ORDERED"

    def report(caller, text="Entry refreshed on 3 Dec."):
        return run(db, caller.principal, lambda s, a: supervision.report_rectification(
            s, a, ordered.id, evidence=text))  # fmt: skip

    def decide(accept, reason):
        return run(db, authority.principal, lambda s, a: supervision.decide_rectification(
            s, a, ordered.id, accept=accept, reason=reason))  # fmt: skip

    with pytest.raises(UserError) as not_theirs:
        await report(other_agency)
    assert not_theirs.value.code == "RECTIFICATION_NOT_FOUND"
    with pytest.raises(UserError) as early:
        await decide(True, "")
    assert early.value.code == "RECTIFICATION_STATUS_INVALID"
    assert (await report(agency)).status is supervision.RectificationStatus.REPORTED
    with pytest.raises(UserError) as no_reason:
        await decide(False, " ")
    assert no_reason.value.code == "REASON_REQUIRED"
    reopened = await decide(False, "The refresh recorded is older than the order.")
    assert reopened.status is supervision.RectificationStatus.REOPENED
    async with db.transaction() as session:  # the deadline passes
        escalated = await supervision.escalate_overdue(
            session, authority.principal, at=reopened.due_at + timedelta(seconds=1)
        )
    assert ordered.id in [r.id for r in escalated]
    async with db.read() as session:
        seen = await supervision.list_rectifications(
            session, oversight.principal, status=supervision.RectificationStatus.ESCALATED,
            agency_id=agency.org_id, first=10, after=None,
        )  # fmt: skip
        hidden = await supervision.list_rectifications(
            session, other_agency.principal, status=None, agency_id=agency.org_id, first=10,
            after=None,
        )  # fmt: skip
        kinds = (await session.scalars(
            sa.select(LedgerEntry.kind).where(LedgerEntry.body.contains(str(ordered.id)))
            .order_by(LedgerEntry.seq))).all()  # fmt: skip
    assert [r.decision_reason for r in seen.items] == [
        "The refresh recorded is older than the order."
    ]  # the superior reads the authority's decision and its reason
    assert hidden.items == []
    assert kinds == [
        "supervision.rectification.ordered", "supervision.rectification.reported",
        "supervision.rectification.reopened", "supervision.rectification.escalated",
    ]  # fmt: skip
    assert (await report(agency)).status is supervision.RectificationStatus.REPORTED
    accepted = await decide(True, "Refreshed.")
    assert accepted.status is supervision.RectificationStatus.ACCEPTED and accepted.closed_at


async def test_rectification_due_date_counts_working_days_across_spring_festival(
    db, agency, authority, catalogue, monkeypatch
):
    finding = await stale_finding(db, authority, agency, catalogue)
    ordered_at = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)  # Thursday, 10:00 in Shanghai
    monkeypatch.setattr("supervision.rectifications.now", lambda: ordered_at)
    ordered = await order(db, authority, agency.org_id, [finding.id])
    # 5 working days: 13 Feb, Sat 14 Feb (make-up day), then after the holiday 24, 25, 26 Feb
    assert ordered.due_at.astimezone(SHANGHAI).date() == date(2026, 2, 26)


async def test_rectification_refusals(db, agency, other_agency, authority, catalogue):
    finding = await stale_finding(db, authority, agency, catalogue)
    with pytest.raises(AuthError):
        await order(db, agency, agency.org_id, [finding.id])
    with pytest.raises(UserError) as invalid:
        await order(db, authority, agency.org_id, [], days=0, text=" ")
    assert [p.code for p in invalid.value.problems] == [
        "WORKING_DAYS_INVALID", "INSTRUCTIONS_REQUIRED", "FINDINGS_REQUIRED",
    ]  # fmt: skip
    with pytest.raises(UserError) as wrong_agency:
        await order(db, authority, other_agency.org_id, [finding.id])
    assert wrong_agency.value.code == "FINDING_NOT_FOUND"
    with pytest.raises(AuthError):
        await sweep(db, agency)
