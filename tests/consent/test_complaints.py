"""Complaints (Art. 27): filed by a subject, due in 15 working days, assigned and resolved by
the data authority, overdue ones listed; every step a ledger entry; every refusal path."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import consent
from core import workdays
from core.clock import now
from core.errors import AuthError, UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.models import LedgerEntry
from schema.relay import to_global_id


async def file(db, caller, against, text="They used my data after I revoked.", **kw):
    async with db.transaction() as session:
        return await consent.file_complaint(
            session,
            caller.principal,
            consent.ComplaintFields(against_id=against, text=text, **kw),
        )


async def kinds_about(db, complaint_id) -> list[str]:
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(LedgerEntry.kind)
            .where(LedgerEntry.body.contains(str(complaint_id)))
            .order_by(LedgerEntry.seq)
        )
        return list(rows)


@pytest.mark.article(27)
async def test_file_assign_resolve_each_a_ledger_entry(db, subject, grantee, grant, use, authority):
    granted = await grant(subject, grantee)
    used = await use(grantee, granted.id)
    complaint = await file(db, subject, grantee.org_id, consent_id=granted.id, use_id=used.id)
    assert complaint.status is consent.ComplaintStatus.RECEIVED
    async with db.read() as session:
        due = await workdays.working_day_deadline(session, complaint.received_at, 15)
    assert complaint.due_provisional is due.provisional
    assert complaint.due_at == due.at and complaint.due_at - complaint.received_at >= timedelta(
        days=19
    )

    async with db.transaction() as session:
        assigned = await consent.assign_complaint(
            session, authority.principal, complaint.id, assignee="Consumer rights unit"
        )
    assert assigned.status is consent.ComplaintStatus.ASSIGNED
    async with db.transaction() as session:  # reassigning is allowed
        await consent.assign_complaint(
            session, authority.principal, complaint.id, assignee="Unit 2"
        )
    async with db.transaction() as session:
        resolved = await consent.resolve_complaint(
            session,
            authority.principal,
            complaint.id,
            outcome=consent.ComplaintOutcome.UPHELD,
            resolution="The firm is ordered to delete the data.",
        )
    assert resolved.status is consent.ComplaintStatus.RESOLVED and resolved.resolved_at
    assert await kinds_about(db, complaint.id) == [
        "consent.complaint.filed",
        "consent.complaint.assigned",
        "consent.complaint.assigned",
        "consent.complaint.resolved",
    ]
    for step in (
        lambda s: consent.assign_complaint(s, authority.principal, complaint.id, assignee="x"),
        lambda s: consent.resolve_complaint(
            s, authority.principal, complaint.id, outcome=consent.ComplaintOutcome.REJECTED,
            resolution="again",
        ),
    ):  # fmt: skip
        with pytest.raises(UserError) as error:
            async with db.transaction() as session:
                await step(session)
        assert error.value.code == "COMPLAINT_STATUS_INVALID"


@pytest.mark.article(27)
async def test_filing_refusals(db, subject, grantee, grant, use, make_caller):
    with pytest.raises(UserError) as error:
        await file(db, subject, grantee.org_id, text="   ")
    assert error.value.code == "TEXT_REQUIRED"
    with pytest.raises(UserError) as error:
        await file(db, subject, uuid.uuid4())
    assert error.value.code == "ORGANIZATION_NOT_FOUND"
    someone = await make_caller(Role.DATA_SUBJECT)
    theirs = await grant(someone, grantee)
    their_use = await use(grantee, theirs.id)
    with pytest.raises(UserError) as error:
        await file(db, subject, grantee.org_id, consent_id=theirs.id, use_id=their_use.id)
    assert {p.code for p in error.value.problems} == {"CONSENT_NOT_FOUND", "USE_NOT_FOUND"}
    with pytest.raises(AuthError):
        await file(db, grantee, grantee.org_id)


@pytest.mark.article(27)
async def test_filing_is_never_refused_for_the_calendar(db, subject, grantee, monkeypatch):
    """A year without its official arrangement gives a provisional due date (issue 10 §1)."""
    monkeypatch.setattr("consent.complaints.now", lambda: datetime(2041, 3, 1, 2, 0, tzinfo=UTC))
    complaint = await file(db, subject, grantee.org_id)
    assert complaint.due_provisional
    # Fri 1 Mar 2041 + 15 working days, weekends only (no statutory day in March): Fri 22 Mar.
    assert complaint.due_at == datetime(2041, 3, 22, 15, 59, 59, 999999, tzinfo=UTC)
    async with db.read() as session:
        (entry,) = await session.scalars(
            sa.select(LedgerEntry.body).where(
                LedgerEntry.kind == "consent.complaint.filed",
                LedgerEntry.body.contains(str(complaint.id)),
            )
        )
    assert json.loads(entry)["dueProvisional"] is True


@pytest.mark.article(27)
async def test_assign_and_resolve_refusals(db, subject, grantee, authority, make_caller):
    complaint = await file(db, subject, grantee.org_id)
    with pytest.raises(AuthError):
        async with db.transaction() as session:
            await consent.assign_complaint(session, subject.principal, complaint.id, assignee="me")
    with pytest.raises(UserError) as error:
        async with db.transaction() as session:
            await consent.assign_complaint(session, authority.principal, complaint.id, assignee=" ")
    assert error.value.code == "ASSIGNEE_REQUIRED"
    with pytest.raises(UserError) as error:
        async with db.transaction() as session:
            await consent.assign_complaint(session, authority.principal, uuid.uuid4(), assignee="x")
    assert error.value.code == "COMPLAINT_NOT_FOUND"
    with pytest.raises(UserError) as error:
        async with db.transaction() as session:
            await consent.resolve_complaint(
                session, authority.principal, complaint.id,
                outcome=consent.ComplaintOutcome.REJECTED, resolution="",
            )  # fmt: skip
    assert error.value.code == "RESOLUTION_REQUIRED"
    async with db.transaction() as session:  # a received complaint may be resolved directly
        done = await consent.resolve_complaint(
            session, authority.principal, complaint.id,
            outcome=consent.ComplaintOutcome.REJECTED, resolution="Consent covered the use.",
        )  # fmt: skip
    assert done.outcome is consent.ComplaintOutcome.REJECTED


COMPLAINTS = """query($status: ComplaintStatus, $overdue: Boolean, $first: Int, $after: String) {
  complaints(status: $status, overdue: $overdue, first: $first, after: $after) {
    nodes { id status overdue dueAt against { id } } pageInfo { hasNextPage endCursor } } }"""
FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  complaint { id status dueAt overdue consentId against { id } } userErrors { field code } } }"""


@pytest.mark.article(27)
async def test_complaints_over_http_and_overdue_for_the_authority(
    gql, db, subject, grantee, grant, authority, make_caller
):
    granted = await grant(subject, grantee)
    filed = (
        await gql(
            FILE,
            {
                "input": {
                    "againstOrganization": to_global_id("Organization", grantee.org_id),
                    "consentId": to_global_id("Consent", granted.id),
                    "text": "Used for marketing.",
                }
            },
            subject,
        )
    )["data"]["fileComplaint"]
    assert filed["userErrors"] == [] and filed["complaint"]["status"] == "RECEIVED"
    assert filed["complaint"]["consentId"] == to_global_id("Consent", granted.id)
    late = await file(db, subject, grantee.org_id, text="Nobody answered.")
    async with db.transaction() as session:  # 15 working days pass unanswered
        row = await session.get(consent.Complaint, late.id)
        row.received_at, row.due_at = now() - timedelta(days=30), now() - timedelta(days=1)
    late_id = to_global_id("Complaint", late.id)

    overdue = (await gql(COMPLAINTS, {"overdue": True, "first": 100}, authority))["data"]
    ids = [n["id"] for n in overdue["complaints"]["nodes"]]
    assert late_id in ids and filed["complaint"]["id"] not in ids
    assert all(n["overdue"] for n in overdue["complaints"]["nodes"])
    on_time = (await gql(COMPLAINTS, {"overdue": False, "first": 100}, authority))["data"]
    assert filed["complaint"]["id"] in [n["id"] for n in on_time["complaints"]["nodes"]]
    received = (await gql(COMPLAINTS, {"status": "RECEIVED", "first": 100}, authority))["data"]
    assert all(n["status"] == "RECEIVED" for n in received["complaints"]["nodes"])

    assign = """mutation($input: AssignComplaintInput!) { assignComplaint(input: $input) {
      complaint { status assignee } userErrors { code } } }"""
    done = await gql(assign, {"input": {"complaintId": late_id, "assignee": "Unit 1"}}, authority)
    assert done["data"]["assignComplaint"]["complaint"] == {
        "status": "ASSIGNED",
        "assignee": "Unit 1",
    }
    resolve = """mutation($input: ResolveComplaintInput!) { resolveComplaint(input: $input) {
      complaint { status outcome overdue } userErrors { code } } }"""
    done = await gql(
        resolve,
        {"input": {"complaintId": late_id, "outcome": "UPHELD", "resolution": "Late but upheld."}},
        authority,
    )
    assert done["data"]["resolveComplaint"]["complaint"] == {
        "status": "RESOLVED", "outcome": "UPHELD", "overdue": False,
    }  # fmt: skip
    refused = await gql(assign, {"input": {"complaintId": late_id, "assignee": "x"}}, subject)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    mine = await gql("{ myComplaints(first: 50) { nodes { id status } } }", caller=subject)
    assert {n["id"] for n in mine["data"]["myComplaints"]["nodes"]} == {
        filed["complaint"]["id"], late_id,
    }  # fmt: skip
    other = await make_caller(Role.DATA_SUBJECT)
    theirs = await gql("{ myComplaints { nodes { id } } }", caller=other)
    assert theirs["data"]["myComplaints"]["nodes"] == []
    for caller in (subject, grantee):
        result = await gql(COMPLAINTS, {}, caller)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    node = "query($id: ID!) { node(id: $id) { ... on Complaint { id text } } }"
    assert (await gql(node, {"id": late_id}, other))["data"]["node"] is None
    assert (await gql(node, {"id": late_id}, grantee))["data"]["node"] is None
    assert (await gql(node, {"id": late_id}, subject))["data"]["node"]["id"] == late_id
    broker = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    assert (await gql(node, {"id": late_id}, broker))["data"]["node"] is None
