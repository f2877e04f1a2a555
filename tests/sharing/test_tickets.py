"""Access tickets (Art. 12, 16, 17, 27): checked against the grant and, for personal data,
the subject's consent where the data is released; EdDSA JWS verified with joserfc (a JOSE
library pdex does not use) against `/.well-known/jwks.json`; altered and expired tickets
fail; every refusal counted against the grantee; a data service outside pdex verifies one."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

import consent
import sharing
from core.clock import now
from core.errors import Forbidden, UserError
from core.identity import Role
from core.usecase import run

SERVICE = Path(__file__).with_name("data_service.py")


@pytest.fixture
async def granted(world, ask):
    code = world.items["status"]
    request = await ask(world.requester, world.unconditional, (code,))
    return request


async def issue(db, settings, caller, grant_id, items, purpose="Business licence check", **kw):
    signer = sharing.ticket_signer(settings)
    return await run(
        db,
        caller.principal,
        lambda s, a: sharing.issue_access_ticket(
            s,
            a,
            signer,
            sharing.TicketRequest(grant_id=grant_id, items=tuple(items), purpose=purpose, **kw),
        ),
    )


async def candidates(db, grantee_id) -> list[sharing.ViolationKind]:
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(sharing.ShareViolationCandidate.kind)
            .where(sharing.ShareViolationCandidate.grantee_id == grantee_id)
            .order_by(sharing.ShareViolationCandidate.at)
        )
        return list(rows)


async def published_keys(client) -> KeySet:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    body = response.json()
    assert [k["kty"] for k in body["keys"]] == ["OKP"] and "d" not in body["keys"][0]
    return KeySet.import_key_set(body)


@pytest.mark.article(16)
@pytest.mark.article(17)
async def test_ticket_verifies_with_another_jose_library(db, settings, client, world, granted):
    issued = await issue(db, settings, world.requester, granted.grant_id, [world.items["status"]])
    keys = await published_keys(client)
    token = jose_jwt.decode(issued.token, keys, algorithms=["EdDSA", "Ed25519"])
    assert token.header["alg"] == "EdDSA"
    claims = token.claims
    assert claims["grant"] == str(granted.grant_id)
    assert claims["sub"] == str(world.requester.org_id)
    assert claims["aud"] == str(world.source.org_id)
    assert claims["items"] == [world.items["status"]]
    assert claims["jti"] == str(issued.ticket.id) and claims["scenario"] == granted.scenario
    assert 0 < claims["exp"] - claims["iat"] <= 300
    jose_jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)


@pytest.mark.article(17)
async def test_altered_or_expired_ticket_fails(db, settings, client, world, granted, monkeypatch):
    keys = await published_keys(client)
    issued = await issue(db, settings, world.requester, granted.grant_id, [world.items["status"]])
    header, payload, signature = issued.token.split(".")

    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["items"].append(world.items["capital"])
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(JoseError):
        jose_jwt.decode(f"{header}.{forged}.{signature}", keys, algorithms=["EdDSA", "Ed25519"])
    monkeypatch.setattr("sharing.tickets.now", lambda: now() - timedelta(minutes=10))
    old = await issue(db, settings, world.requester, granted.grant_id, [world.items["status"]])
    decoded = jose_jwt.decode(old.token, keys, algorithms=["EdDSA", "Ed25519"])
    with pytest.raises(JoseError):
        jose_jwt.JWTClaimsRegistry(exp={"essential": True}).validate(decoded.claims)


@pytest.mark.article(16)
@pytest.mark.article(17)
async def test_refusals_outside_the_grant_are_counted(db, settings, world, granted, act):
    status, capital = world.items["status"], world.items["capital"]
    cases = [
        (world.requester, {"items": [status, capital]}, "ITEMS_OUTSIDE_GRANT"),
        (world.requester, {"items": [status], "purpose": "Marketing"}, "PURPOSE_MISMATCH"),
        (world.other, {"items": [status]}, "GRANT_NOT_FOUND"),
    ]
    for caller, kw, code in cases:
        with pytest.raises(UserError) as refused:
            await issue(db, settings, caller, granted.grant_id, **kw)
        assert refused.value.code == code
    assert await candidates(db, world.requester.org_id) == [
        sharing.ViolationKind.ITEMS_OUTSIDE_GRANT, sharing.ViolationKind.PURPOSE_MISMATCH,
    ]  # fmt: skip
    assert await candidates(db, world.other.org_id) == [sharing.ViolationKind.NO_GRANT]
    with pytest.raises(Forbidden):  # only the source department suspends
        await act(
            sharing.change_grant_status, world.requester.principal, granted.grant_id,
            status=sharing.GrantStatus.SUSPENDED, reason="x",
        )  # fmt: skip
    await act(
        sharing.change_grant_status, world.source.principal, granted.grant_id,
        status=sharing.GrantStatus.SUSPENDED, reason="Security review",
    )  # fmt: skip
    with pytest.raises(UserError) as suspended:
        await issue(db, settings, world.requester, granted.grant_id, [status])
    assert suspended.value.code == "GRANT_SUSPENDED"
    await act(
        sharing.change_grant_status, world.source.principal, granted.grant_id,
        status=sharing.GrantStatus.REVOKED, reason="Scenario ended",
    )  # fmt: skip
    with pytest.raises(UserError) as revoked:
        await issue(db, settings, world.requester, granted.grant_id, [status])
    assert revoked.value.code == "GRANT_REVOKED"
    assert (await candidates(db, world.requester.org_id))[-2:] == [
        sharing.ViolationKind.GRANT_SUSPENDED, sharing.ViolationKind.GRANT_REVOKED,
    ]  # fmt: skip


@pytest.mark.article(17)
async def test_expired_grant(db, settings, world, ask):
    request = await ask(world.requester, world.unconditional, (world.items["status"],),
                        until=now() + timedelta(seconds=1))  # fmt: skip
    async with db.transaction() as session:
        grant = await session.get(sharing.ShareGrant, request.grant_id)
        grant.valid_until = now() - timedelta(seconds=1)
    with pytest.raises(UserError) as expired:
        await issue(db, settings, world.requester, request.grant_id, [world.items["status"]])
    assert expired.value.code == "GRANT_EXPIRED"


@pytest.mark.article(27)
@pytest.mark.article(17)
async def test_personal_items_pass_the_consent_gate_on_the_releasing_side(
    db, settings, world, ask, act, make_caller
):
    address = world.items["address"]
    request = await ask(world.requester, world.personal, (address,))
    with pytest.raises(UserError) as missing:
        await issue(db, settings, world.requester, request.grant_id, [address])
    assert missing.value.code == "CONSENT_REQUIRED"
    person = await make_caller(Role.DATA_SUBJECT, sub=f"person-{uuid.uuid4().hex[:10]}")
    granted = await act(
        consent.grant_consent, person.principal,
        consent.GrantFields(
            grantee_id=world.requester.org_id, purpose="Business licence check",
            valid_until=now() + timedelta(days=10), data_items=(address,), separate=True,
            mode=consent.ConsentMode.PERIODIC, frequency="P1D",
        ),
    )  # fmt: skip
    issued = await issue(
        db, settings, world.requester, request.grant_id, [address], consent_id=granted.id
    )
    assert issued.ticket.subject == person.principal.subject
    await act(consent.revoke_consent, person.principal, granted.id)
    with pytest.raises(UserError) as denied:
        await issue(
            db, settings, world.requester, request.grant_id, [address], consent_id=granted.id
        )
    assert denied.value.code == "CONSENT_DENIED"
    assert await candidates(db, world.requester.org_id) == [sharing.ViolationKind.CONSENT_DENIED]
    async with db.read() as session:  # the gate's denial stays on the subject's record
        uses = await session.scalars(
            sa.select(consent.DataUse.outcome).where(consent.DataUse.consent_id == granted.id)
            .order_by(consent.DataUse.at)
        )  # fmt: skip
        assert list(uses) == [consent.UseOutcome.ALLOWED, consent.UseOutcome.DENIED]


@pytest.mark.article(12)
async def test_the_source_department_reports_the_use(db, settings, world, granted, act):
    issued = await issue(db, settings, world.requester, granted.grant_id, [world.items["status"]])
    digest = "ab" * 32
    with pytest.raises(Forbidden):
        await act(sharing.report_ticket_use, world.requester.principal, issued.ticket.id,
                  rows=3, content_hash=digest)  # fmt: skip
    with pytest.raises(UserError) as bad:
        await act(sharing.report_ticket_use, world.source.principal, issued.ticket.id,
                  rows=3, content_hash="nothex")  # fmt: skip
    assert bad.value.code == "CONTENT_HASH_INVALID"
    used = await act(sharing.report_ticket_use, world.source.principal, issued.ticket.id,
                     rows=3, content_hash=digest)  # fmt: skip
    assert used.rows_released == 3 and used.use_seq > used.ledger_seq
    with pytest.raises(UserError) as twice:
        await act(sharing.report_ticket_use, world.source.principal, issued.ticket.id,
                  rows=3, content_hash=digest)  # fmt: skip
    assert twice.value.code == "TICKET_ALREADY_REPORTED"


@pytest.mark.article(17)
@pytest.mark.slow
async def test_a_data_service_outside_pdex_verifies_offline(
    db, settings, client, world, granted, tmp_path
):
    jwks = tmp_path / "jwks.json"
    jwks.write_text((await client.get("/.well-known/jwks.json")).text)
    issued = await issue(db, settings, world.requester, granted.grant_id, [world.items["status"]])

    def service(token: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SERVICE), str(jwks), str(world.source.org_id)],
            input=token, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    ok = service(issued.token)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["items"] == [world.items["status"]]
    tampered = issued.token[:-4] + ("AAAA" if not issued.token.endswith("AAAA") else "BBBB")
    assert service(tampered).returncode == 1


async def test_statements_of_a_ticket_are_pinned(
    db, settings, world, ask, act, make_caller, count_statements, is_postgres
):
    """The grant with its resource and items, the consent gate (terms, uses + 1, DataUse, its
    ledger entry), the ticket's ledger entry and row: a fixed number, whatever the grant
    holds."""
    address = world.items["address"]
    request = await ask(world.requester, world.personal, (address,))
    person = await make_caller(Role.DATA_SUBJECT, sub=f"person-{uuid.uuid4().hex[:10]}")
    granted = await act(
        consent.grant_consent, person.principal,
        consent.GrantFields(
            grantee_id=world.requester.org_id, purpose="Business licence check",
            valid_until=now() + timedelta(days=10), data_items=(address,), separate=True,
            mode=consent.ConsentMode.PERIODIC, frequency="P1D",
        ),
    )  # fmt: skip
    await issue(db, settings, world.requester, request.grant_id, [address], consent_id=granted.id)
    with count_statements(db.writer) as counted:
        await issue(
            db, settings, world.requester, request.grant_id, [address], consent_id=granted.id
        )
    # PostgreSQL: the grant with its resource and items, the gate's locked read (with the
    # subject's salt, remembered for the ticket's fact), uses + 1 with the DataUse row, the
    # ticket row, and both ledger facts queued in one statement. SQLite counts apart and
    # queues one fact a statement (in-process: cheap).
    assert len(counted.mutation) == (5 if is_postgres else 7), "\n".join(counted.mutation)
    # The batch: head, queue, entries, nodes, parties, head, facts, the DataUse's and the
    # ticket's seqs (PostgreSQL: to the driver directly, not seen here).
    assert len(counted.batch) == (0 if is_postgres else 9), "\n".join(counted.batch)


@pytest.mark.article(16)
async def test_grants_and_tickets_are_seen_by_their_parties_only(
    db, settings, world, granted, authority
):
    issued = await issue(db, settings, world.requester, granted.grant_id, [world.items["status"]])
    with pytest.raises(UserError):
        await issue(db, settings, world.other, granted.grant_id, [world.items["status"]])
    async with db.read() as session:
        for caller, sees in ((world.requester, True), (world.source, True), (world.other, False),
                             (authority, True)):  # fmt: skip
            grants = await sharing.list_grants(
                session, caller.principal, sharing.GrantFilter(), first=100
            )
            tickets = await sharing.list_tickets(session, caller.principal, first=100)
            assert (granted.grant_id in {g.id for g in grants.items}) is sees
            assert (issued.ticket.id in {t.id for t in tickets.items}) is sees
        counted = await sharing.list_violation_candidates(session, world.other.principal, first=100)
        assert [c.kind for c in counted.items] == [sharing.ViolationKind.NO_GRANT]
        assert (
            await sharing.list_violation_candidates(session, world.source.principal, first=100)
        ).items == []
