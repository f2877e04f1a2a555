"""Risk alerts: raised by the rules over a period's facts, once per (rule, broker, period);
listed and acknowledged by the data authority only."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import broker
from core.clock import now
from core.errors import Forbidden, UserError

pytestmark = pytest.mark.article(26)


async def suspended_attempt(make_broker, attempt):
    caller, licence = await make_broker(
        broker.LicenceDecisionKind.APPROVE, broker.LicenceDecisionKind.SUSPEND
    )
    with pytest.raises(broker.Refused):
        await attempt(broker.delist_product, caller.principal, uuid.uuid4(), reason="x")
    return caller


async def test_alerts_raised_once_listed_and_acknowledged(
    db, make_broker, act, attempt, authority, every
):
    start = now()
    caller = await suspended_attempt(make_broker, attempt)
    await asyncio.sleep(0.01)
    end = now()
    run = await act(broker.evaluate_brokers, authority.principal, start, end)
    [alert] = [a for a in run.alerts_raised if a.broker_id == caller.org_id]
    assert alert.rule is broker.AlertRule.ACTIVITY_WHILE_SUSPENDED and alert.value == "1"
    assert alert.status is broker.AlertStatus.OPEN and alert.ledger_seq == run.ledger_seq
    again = await act(broker.evaluate_brokers, authority.principal, start, end)
    assert [a for a in again.alerts_raised if a.broker_id == caller.org_id] == []

    async def listed(status):
        async with db.read() as session:
            alerts = await every(broker.list_alerts, session, authority.principal, status=status)
        return {a.id for a in alerts}

    async with db.read() as session:
        with pytest.raises(Forbidden):
            await broker.list_alerts(session, caller.principal, status=None, first=10, after=None)
    assert alert.id in await listed(broker.AlertStatus.OPEN)
    assert alert.id not in await listed(broker.AlertStatus.ACKNOWLEDGED)
    with pytest.raises(Forbidden):
        await act(broker.acknowledge_alert, caller.principal, alert.id, note="fine")
    done = await act(broker.acknowledge_alert, authority.principal, alert.id, note="Warned")
    assert done.status is broker.AlertStatus.ACKNOWLEDGED and done.acknowledgement == "Warned"
    assert alert.id not in await listed(broker.AlertStatus.OPEN)
    assert alert.id in await listed(broker.AlertStatus.ACKNOWLEDGED)
    async with db.read() as session:
        [stored] = await broker.get_alerts(session, authority.principal, [alert.id])
        # Issue 10 §6: the broker reads an alert about itself by id (it is in its evaluation's
        # ledger entry); the alert queue stays the authority's; other brokers see nothing.
        [own] = await broker.get_alerts(session, caller.principal, [alert.id])
        other, _ = await make_broker()
        assert await broker.get_alerts(session, other.principal, [alert.id]) == [None]
    assert own is not None and own.id == alert.id
    assert (stored.id, stored.status, stored.broker_id) == (
        alert.id, broker.AlertStatus.ACKNOWLEDGED, caller.org_id,
    )  # fmt: skip
    with pytest.raises(UserError) as twice:
        await act(broker.acknowledge_alert, authority.principal, alert.id, note="again")
    assert twice.value.code == "ALERT_ALREADY_ACKNOWLEDGED"
    with pytest.raises(UserError) as missing:
        await act(broker.acknowledge_alert, authority.principal, uuid.uuid4(), note="")
    assert missing.value.code == "ALERT_NOT_FOUND"
