"""Anomaly feedback (Art. 19) and usage reports (Art. 20)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import sharing
from core.clock import now
from core.errors import AuthError, Forbidden, UserError
from core.identity import Role
from core.models import OrganizationKind


@pytest.mark.article(19)
async def test_report_answer_and_overdue(db, world, act, authority, make_caller, monkeypatch):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    with pytest.raises(UserError) as hidden:  # a firm cannot see a NOT_OPEN entry
        await act(sharing.report_data_anomaly, firm.principal, world.conditional.id, text="odd")
    assert hidden.value.code == "RESOURCE_NOT_FOUND"
    with pytest.raises(AuthError):
        await act(sharing.report_data_anomaly, None, world.conditional.id, text="odd")
    monkeypatch.setattr("sharing.feedback.now", lambda: now() - timedelta(days=30))
    old = await act(sharing.report_data_anomaly, world.requester.principal, world.conditional.id,
                    text="Capital shows 0 for firms registered in 2024")  # fmt: skip
    monkeypatch.undo()
    async with db.read() as session:
        page = await sharing.list_data_anomalies(
            session, authority.principal, overdue=True, first=100
        )
        assert old.id in {a.id for a in page.items}
        other = await sharing.list_data_anomalies(session, world.other.principal, first=100)
        assert old.id not in {a.id for a in other.items}
    with pytest.raises(Forbidden):
        await act(sharing.answer_data_anomaly, world.other.principal, old.id,
                  outcome=sharing.AnomalyStatus.NOT_AN_ERROR, answer="no")  # fmt: skip
    with pytest.raises(UserError) as version:
        await act(sharing.answer_data_anomaly, world.source.principal, old.id,
                  outcome=sharing.AnomalyStatus.CORRECTED, answer="fixed", corrected_version=99)  # fmt: skip
    assert version.value.code == "VERSION_REQUIRED"
    answered = await act(sharing.answer_data_anomaly, world.source.principal, old.id,
                         outcome=sharing.AnomalyStatus.CORRECTED, answer="Re-imported",
                         corrected_version=1)  # fmt: skip
    assert answered.status is sharing.AnomalyStatus.CORRECTED
    assert not sharing.anomaly_overdue(answered, now())
    with pytest.raises(UserError) as twice:
        await act(sharing.answer_data_anomaly, world.source.principal, old.id,
                  outcome=sharing.AnomalyStatus.NOT_AN_ERROR, answer="x")  # fmt: skip
    assert twice.value.code == "ANOMALY_ANSWERED"


@pytest.mark.article(20)
async def test_usage_reports_per_grant_and_quarter(db, world, act, ask, authority):
    request = await ask(world.requester, world.unconditional, (world.items["status"],))
    at = now()
    quarter = f"{at.year}Q{(at.month - 1) // 3 + 1}"
    async with db.read() as session:
        missing = await sharing.missing_usage_reports(session, authority.principal, quarter)
    assert request.grant_id in {g.id for g in missing}
    for bad, code in (("2026Q5", "QUARTER_INVALID"), (f"{at.year + 1}Q1", "QUARTER_IN_FUTURE"),
                      ("2020Q1", "QUARTER_OUTSIDE_GRANT")):  # fmt: skip
        with pytest.raises(UserError) as refused:
            await act(sharing.submit_usage_report, world.requester.principal, request.grant_id,
                      quarter=bad, uses=1, effect="x")  # fmt: skip
        assert refused.value.code == code
    with pytest.raises(UserError) as stranger:
        await act(sharing.submit_usage_report, world.other.principal, request.grant_id,
                  quarter=quarter, uses=1, effect="x")  # fmt: skip
    assert stranger.value.code == "GRANT_NOT_FOUND"
    report = await act(sharing.submit_usage_report, world.requester.principal, request.grant_id,
                       quarter=quarter.lower(), uses=120, effect="Start-ups licensed in one day")  # fmt: skip
    assert report.quarter == quarter
    with pytest.raises(UserError) as twice:
        await act(sharing.submit_usage_report, world.requester.principal, request.grant_id,
                  quarter=quarter, uses=1, effect="x")  # fmt: skip
    assert twice.value.code == "USAGE_REPORT_EXISTS"
    async with db.read() as session:
        missing = await sharing.missing_usage_reports(session, authority.principal, quarter)
    assert request.grant_id not in {g.id for g in missing}
