"""Share-request, anomaly and open-application deadlines counted on a provisional year are
recounted when the data authority enters that year (issue 10 §1, Art. 15)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

import authority
import registry
import sharing
from core.clock import now
from core.identity import Principal, Role
from core.models import OrganizationKind
from tests.authority.test_calendar_year import PLAUSIBLE_2027, arrangement, at, end_of, org


async def principal(db, new_uscc, kind: OrganizationKind, role: Role) -> Principal:
    """A person acting for a new organisation of `kind`."""
    return Principal(f"{role.value}-1", await org(db, kind, new_uscc), frozenset({role}))


async def resource_with_one_item(db, owner: Principal) -> tuple[str, registry.Resource]:
    """A conditionally shared resource of one data item that `owner` claims."""
    code = f"t{uuid.uuid4().hex[:6]}.status"
    async with db.transaction() as session:
        await registry.claim_data_item(session, owner, code=code, name="s", legal_basis="law")
        resource = await registry.create_resource(session, owner, registry.ResourceFields(
            code=f"r.{code}", name="r", description="", share_type=registry.ShareType.CONDITIONAL,
            open_type=registry.OpenType.NOT_OPEN, delivery=registry.Delivery.API,
            update_frequency=registry.UpdateFrequency.DAILY,
            sensitivity=registry.Sensitivity.GENERAL, contains_personal_info=False,
            data_items=(code,), share_conditions="conditions",
        ))  # fmt: skip
    return code, resource


@pytest.mark.article(15)
async def test_entering_2027_recounts_the_answer_due_date(fresh_db, new_uscc, monkeypatch):
    db = fresh_db
    boss = await principal(db, new_uscc, OrganizationKind.AUTHORITY, Role.AUTHORITY)
    source = await principal(db, new_uscc, OrganizationKind.AGENCY, Role.AGENCY)
    asker = await principal(db, new_uscc, OrganizationKind.AGENCY, Role.AGENCY)
    code, resource = await resource_with_one_item(db, source)
    monkeypatch.setattr("sharing.requests.now", lambda: at("2027-01-28"))
    async with db.transaction() as session:
        request = await sharing.request_share(session, asker, sharing.RequestFields(
            resource_id=resource.id, items=(code,), purpose="p", scenario="s",
            mode=sharing.ShareMode.API, until=now() + timedelta(days=900),
        ))  # fmt: skip
    # provisionally only New Year's Eve (Fri 5 Feb) is near: 29 Jan, 1-4 Feb
    assert request.answer_due_provisional and request.answer_due_at == end_of("2027-02-04")
    async with db.transaction() as session:
        entered = await authority.set_calendar_year(
            session, boss, arrangement(2027, PLAUSIBLE_2027)
        )
    assert ("sharing.share_request", request.id) in {(r.holder, r.id) for r in entered.recomputed}
    async with db.read() as session:
        moved = await session.get(sharing.ShareRequest, request.id)
    # the make-up Sunday 31 Jan counts: due a day earlier, confirmed
    assert moved.answer_due_at == end_of("2027-02-03") and not moved.answer_due_provisional


@pytest.mark.article(19)
async def test_entering_2027_recounts_an_anomaly_answer(fresh_db, new_uscc, monkeypatch):
    db = fresh_db
    boss = await principal(db, new_uscc, OrganizationKind.AUTHORITY, Role.AUTHORITY)
    owner = await principal(db, new_uscc, OrganizationKind.AGENCY, Role.AGENCY)
    code, resource = await resource_with_one_item(db, owner)
    monkeypatch.setattr("sharing.feedback.now", lambda: at("2027-01-28"))
    async with db.transaction() as session:
        anomaly = await sharing.report_data_anomaly(
            session, owner, resource.id, text="The status column is empty since Monday"
        )
    monkeypatch.undo()
    # Art. 19: answered within 5 working days; provisionally 29 Jan, 1-4 Feb
    assert anomaly.due_provisional and anomaly.due_at == end_of("2027-02-04")
    async with db.transaction() as session:
        entered = await authority.set_calendar_year(
            session, boss, arrangement(2027, PLAUSIBLE_2027)
        )
    assert ("sharing.data_anomaly", anomaly.id) in {(r.holder, r.id) for r in entered.recomputed}
    async with db.read() as session:
        moved = await session.get(sharing.DataAnomaly, anomaly.id)
    # the make-up Sunday 31 Jan counts: due a day earlier, confirmed
    assert moved.due_at == end_of("2027-02-03") and not moved.due_provisional
