"""graphql-transport-ws is bound to the token of `connection_init` (issue 17 item 5, issue 10
§6): a bad token closes 4401, and when the token expires the streams end with 4401."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import jwt
from starlette.testclient import TestClient

from core import events as core_events
from core.clock import now
from core.identity import Role
from core.models import OrganizationKind
from schema.relay import to_global_id
from server.app import create_app

SUBSCRIBE = {"query": "subscription { consentEvents { kind consentId } }"}
GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) {
  consent { id } userErrors { code } } }"""


def grant_input(grantee_org):
    return {
        "input": {
            "grantee": to_global_id("Organization", grantee_org),
            "purpose": "Loan application",
            "certificates": ["BUSINESS_LICENCE"],
            "validUntil": (now() + timedelta(days=1)).isoformat(),
        }
    }


async def test_ws_closes_4401_when_the_token_expires(settings, tokens, make_caller):
    subject = await make_caller(Role.DATA_SUBJECT, sub=f"person-ws-{time.time_ns()}")
    grantee = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    # exp 28 s ago: inside the 30 s leeway for about two more seconds
    short = tokens.issue(roles=[Role.MARKET_ENTITY], org=grantee.org_id, ttl=timedelta(seconds=-28))
    application = create_app(settings)
    with (
        TestClient(application) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {short}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": SUBSCRIBE})
        deadline = time.monotonic() + 10
        while core_events.subscriber_count(f"org:{grantee.org_id}") == 0:
            assert time.monotonic() < deadline, "the subscription never started"
            time.sleep(0.01)
        response = http.post(
            "/graphql",
            json={"query": GRANT, "variables": grant_input(grantee.org_id)},
            headers=subject.headers,
        )
        assert response.json()["data"]["grantConsent"]["userErrors"] == []
        consent_id = response.json()["data"]["grantConsent"]["consent"]["id"]
        message = ws.receive_json()
        assert message["payload"]["data"]["consentEvents"]["kind"] == "GRANTED"
        # Past the token's end, the subject revokes: before the fix, its REVOKED event
        # still reached the socket; now the socket's next message is its close.
        expires_at = jwt.decode(short, options={"verify_signature": False})["exp"] + 30
        time.sleep(max(0.0, expires_at - time.time()) + 0.5)
        revoke = (
            "mutation($id: ID!) { revokeConsent(input: {consentId: $id}) { userErrors { code } } }"
        )
        http.post(
            "/graphql",
            json={"query": revoke, "variables": {"id": consent_id}},
            headers=subject.headers,
        )
        closed = ws.receive()
        assert closed["type"] == "websocket.close" and closed["code"] == 4401, closed
        # HTTP refuses the same token by now, and no stream of it is left
        refused = http.post(
            "/graphql",
            json={"query": "{ viewer { subject } }"},
            headers={"Authorization": f"Bearer {short}"},
        )
        assert refused.status_code == 401
        assert core_events.subscriber_count(f"org:{grantee.org_id}") == 0


async def test_ws_refuses_bad_tokens_at_connection_init_with_4401(settings, tokens, make_caller):
    application = create_app(settings)
    expired = tokens.issue(roles=[Role.AUDITOR], org=None, ttl=timedelta(minutes=-5))
    ghost = tokens.issue(roles=[Role.BROKER], org=uuid.uuid4())  # no such organisation
    bad = ["Bearer forged.token.x", f"Bearer {expired}", f"Bearer {ghost}", "Basic dXNlcjpw"]
    with TestClient(application) as http:
        for authorization in bad:
            with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
                ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": authorization}}
                )
                closed = ws.receive()
                assert closed["type"] == "websocket.close", authorization
                assert closed["code"] == 4401, authorization
