"""Granting and revoking (issue 5 items 1-3) through the domain, and the consentEvents feed
over graphql-transport-ws."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

import consent
import ledger
from consent import events
from core import events as core_events
from core.clock import now
from core.errors import AuthError, UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.models import LedgerEntry
from schema.relay import to_global_id
from server.app import create_app


@pytest.mark.article(27)
async def test_grant_records_scope_sensitivity_and_a_ledger_entry(
    db, subject, grantee, grant, make_item
):
    plain, sensitive = await make_item(), await make_item(sensitive=True)
    granted = await grant(
        subject,
        grantee,
        data_items=(plain, sensitive),
        certificates=(consent.CertificateType.TAX_PAYMENT_CERTIFICATE,),
        separate=True,
        max_uses=5,
    )
    assert granted.status is consent.ConsentStatus.ACTIVE and granted.max_uses == 5
    async with db.read() as session:
        (items,) = await consent.items_of(session, [granted.id])
        entry = await session.get(LedgerEntry, granted.ledger_seq)
        person = await session.get(consent.DataSubject, subject.principal.subject)
    assert {i.item: i.sensitive for i in items} == {
        f"item:{plain}": False,
        f"item:{sensitive}": True,
        "certificate:TAX_PAYMENT_CERTIFICATE": True,
    }
    assert entry.kind == "consent.consent.granted" and str(granted.id) in entry.body
    assert subject.principal.subject not in entry.actor + entry.body + entry.subjects
    assert person.kind is consent.SubjectKind.PERSON  # made on first action


@pytest.mark.article(27)
async def test_one_time_is_one_use_and_a_future_start_is_not_yet_valid(subject, grantee, grant):
    once = await grant(subject, grantee, mode=consent.ConsentMode.ONE_TIME, frequency=None)
    assert once.max_uses == 1 and once.frequency is None
    later = await grant(subject, grantee, valid_from=now() + timedelta(hours=1))
    assert consent.status_of(later, now()) is consent.ConsentStatus.NOT_YET_VALID


@pytest.mark.article(27)
async def test_an_organisation_can_be_a_data_subject(db, make_caller, grantee, grant):
    firm = await make_caller(Role.DATA_SUBJECT, OrganizationKind.MARKET_ENTITY)
    await grant(firm, grantee)
    async with db.read() as session:
        row = await session.get(consent.DataSubject, firm.principal.subject)
    assert row.kind is consent.SubjectKind.ORGANIZATION and row.uscc


@pytest.mark.article(27)
@pytest.mark.article(15, law="PIPL")
async def test_revocation_is_recorded_and_only_by_the_subject(
    db, subject, grantee, grant, make_caller
):
    granted = await grant(subject, grantee)
    with pytest.raises(AuthError):
        async with db.transaction() as session:
            await consent.revoke_consent(session, grantee.principal, granted.id)
    other = await make_caller(Role.DATA_SUBJECT)
    with pytest.raises(UserError) as error:
        async with db.transaction() as session:
            await consent.revoke_consent(session, other.principal, granted.id)
    assert error.value.code == "CONSENT_NOT_FOUND"
    with pytest.raises(UserError) as error:
        async with db.transaction() as session:
            await consent.revoke_consent(session, subject.principal, granted.id, reason="x" * 2001)
    assert error.value.code == "REASON_TOO_LONG"
    async with db.transaction() as session:
        revoked = await consent.revoke_consent(session, subject.principal, granted.id)
    assert revoked.revoked_at is not None and revoked.revoke_reason == ""  # no reason needed
    async with db.read() as session:
        entry = await session.get(LedgerEntry, revoked.revoke_seq)
    assert entry.kind == "consent.consent.revoked"


async def test_events_are_delivered_after_commit_and_never_after_rollback(
    subject, grantee, grant, db, settings
):
    audience = f"org:{grantee.org_id}"
    async with core_events.relay(settings):  # PostgreSQL: LISTEN, as each app process does
        with core_events.subscribed([audience]) as queue:
            granted = await grant(subject, grantee)
            received = [await asyncio.wait_for(queue.get(), 10)]
            with pytest.raises(RuntimeError):
                async with db.transaction() as session:
                    await consent.revoke_consent(session, subject.principal, granted.id)
                    raise RuntimeError("rolled back")
            async with db.transaction() as session:
                await consent.revoke_consent(session, subject.principal, granted.id)
            received.append(await asyncio.wait_for(queue.get(), 10))
            await asyncio.sleep(0.2)  # anything else, a rolled-back event included, is here now
            assert queue.empty()
    got = [events.ConsentEvent.from_payload(p) for p in received]
    assert [(e.kind, e.consent_id, e.status) for e in got] == [
        ("GRANTED", granted.id, consent.ConsentStatus.ACTIVE),
        ("REVOKED", granted.id, consent.ConsentStatus.REVOKED),
    ]
    assert got[1].ledger_seq == (await _revoke_seq(db, granted.id))
    # each event carries its fact's seq, never the placeholder the row had before its batch
    assert got[0].ledger_seq == granted.ledger_seq != ledger.UNSEQUENCED
    assert got[0].ledger_seq < got[1].ledger_seq
    assert core_events.subscriber_count(audience) == 0


async def _revoke_seq(db, consent_id):
    async with db.read() as session:
        return (await session.get(consent.Consent, consent_id)).revoke_seq


GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) {
  consent { id } userErrors { code } } }"""


def test_consent_events_reach_the_grantee_over_graphql_transport_ws(
    settings, tokens, subject, grantee
):
    app = create_app(settings)
    subscribe = {"query": "subscription { consentEvents { kind consentId status ledgerSeq } }"}
    with (
        TestClient(app) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {grantee.token}"}}
        )
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": subscribe})
        deadline = time.monotonic() + 10
        while core_events.subscriber_count(f"org:{grantee.org_id}") == 0:
            assert time.monotonic() < deadline, "the subscription never started"
            time.sleep(0.01)
        variables = {
            "input": {
                "grantee": to_global_id("Organization", grantee.org_id),
                "purpose": "Loan application",
                "certificates": ["BUSINESS_LICENCE"],
                "validUntil": (now() + timedelta(days=1)).isoformat(),
            }
        }
        response = http.post(
            "/graphql", json={"query": GRANT, "variables": variables}, headers=subject.headers
        )
        consent_id = response.json()["data"]["grantConsent"]["consent"]["id"]
        message = ws.receive_json()
        assert message["type"] == "next"
        assert message["payload"]["data"]["consentEvents"]["kind"] == "GRANTED"
        assert message["payload"]["data"]["consentEvents"]["consentId"] == consent_id
        revoke = (
            "mutation($id: ID!) { revokeConsent(input: {consentId: $id}) { userErrors { code } } }"
        )
        http.post(
            "/graphql",
            json={"query": revoke, "variables": {"id": consent_id}},
            headers=subject.headers,
        )
        event = ws.receive_json()["payload"]["data"]["consentEvents"]
        assert event["kind"] == "REVOKED" and event["status"] == "REVOKED"
        ws.send_json({"id": "1", "type": "complete"})


def test_consent_events_need_an_organisation_or_a_subject(settings, tokens):
    app = create_app(settings)
    token = tokens.issue(roles=[Role.AUDITOR], org=None, sub="auditor-person")
    with (
        TestClient(app) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": "subscription { consentEvents { kind } }"},
            }
        )
        message = ws.receive_json()
        assert message["type"] == "error" or message["payload"].get("errors"), message
        assert "FORBIDDEN" in str(message)


@pytest.mark.article(27)
async def test_get_consents_returns_only_what_the_caller_may_see(
    db, subject, grantee, grant, make_caller
):
    granted = await grant(subject, grantee)
    stranger = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    other_person = await make_caller(Role.DATA_SUBJECT)
    auditor = await make_caller(Role.AUDITOR, OrganizationKind.AUDITOR)
    seen = {}
    async with db.read() as session:
        for name, caller in [
            ("subject", subject),
            ("grantee", grantee),
            ("auditor", auditor),
            ("stranger", stranger),
            ("other person", other_person),
        ]:
            (row,) = await consent.get_consents(session, caller.principal, [granted.id])
            seen[name] = row is not None and row.id == granted.id
        assert await consent.get_consents(session, None, [granted.id]) == [None]
    assert seen == {
        "subject": True,
        "grantee": True,
        "auditor": True,
        "stranger": False,
        "other person": False,
    }


async def test_the_status_filter_agrees_with_status_of_in_every_state(
    db, subject, grantee, grant, use
):
    """`status_filter` is the SQL twin of `rules.status_of`: for every status, the filtered
    lists hold exactly the consents `status_of` gives that status, precedence included."""
    day = timedelta(days=1)

    async def move_window(consent_id, valid_from, valid_until):
        async with db.transaction() as session:  # time passes: move the window
            row = await session.get(consent.Consent, consent_id)
            row.valid_from, row.valid_until = valid_from, valid_until

    async def revoke(consent_id):
        async with db.transaction() as session:
            await consent.revoke_consent(session, subject.principal, consent_id)

    await grant(subject, grantee)  # ACTIVE
    await grant(subject, grantee, max_uses=2)  # ACTIVE, one use left
    await use(grantee, (await grant(subject, grantee, max_uses=2)).id)
    await grant(subject, grantee, valid_from=now() + day)  # NOT_YET_VALID
    expired = await grant(subject, grantee)
    await move_window(expired.id, now() - 2 * day, now() - day)
    exhausted = await grant(subject, grantee, max_uses=1)
    await use(grantee, exhausted.id)
    revoked = await grant(subject, grantee)
    await revoke(revoked.id)
    # Precedence: REVOKED over time, time over counting.
    revoked_later = await grant(subject, grantee, valid_from=now() + day)
    await revoke(revoked_later.id)
    revoked_expired = await grant(subject, grantee)
    await revoke(revoked_expired.id)
    await move_window(revoked_expired.id, now() - 2 * day, now() - day)
    used_up_expired = await grant(subject, grantee, max_uses=1)
    await use(grantee, used_up_expired.id)
    await move_window(used_up_expired.id, now() - 2 * day, now() - day)

    async with db.read() as session:
        rows = (await consent.list_my_consents(session, subject.principal, first=100)).items
        assert len(rows) == 10
        expected = {s: set() for s in consent.ConsentStatus}
        for row in rows:
            expected[consent.status_of(row, now())].add(row.id)
        assert all(expected.values()), expected  # every state is exercised
        for status in consent.ConsentStatus:
            mine = await consent.list_my_consents(
                session, subject.principal, status=status, first=100
            )
            received = await consent.list_received_consents(
                session, grantee.principal, status=status, first=100
            )
            assert {c.id for c in mine.items} == expected[status], status
            assert {c.id for c in received.items} == expected[status], status
    assert expected[consent.ConsentStatus.REVOKED] == {
        revoked.id,
        revoked_later.id,
        revoked_expired.id,
    }
    assert expected[consent.ConsentStatus.EXPIRED] == {expired.id, used_up_expired.id}
    assert expected[consent.ConsentStatus.EXHAUSTED] == {exhausted.id}
