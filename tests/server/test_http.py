"""HTTP behaviour of the ASGI app: health, readiness, metrics, auth failures, masking."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import timedelta

import httpx
from starlette.testclient import TestClient

import authority as authority_domain
from core.identity import Role
from server.app import create_app


async def test_health_ready_metrics(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    await client.get("/healthz")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'pdex_http_requests_total{route="/healthz",status="200"}' in metrics.text


async def test_request_id_is_echoed_or_made(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32


async def test_bad_tokens_are_401(client, tokens, settings):
    from dataclasses import replace

    from core.identity import Tokens

    cases = {
        "bad signature": Tokens(replace(settings, token_secret="x" * 40)).issue(
            roles=[Role.AUDITOR], org=None
        ),
        "expired": tokens.issue(roles=[Role.AUDITOR], org=None, ttl=timedelta(minutes=-5)),
        "garbage": "abc.def.ghi",
    }
    for label, token in cases.items():
        response = await client.post(
            "/graphql",
            json={"query": "{ viewer { subject } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, label
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "WWW-Authenticate" in response.headers
        # The receipt route sits behind the same check (one place verifies tokens).
        receipt = await client.get(
            f"/consents/{uuid.uuid4()}/receipt", headers={"Authorization": f"Bearer {token}"}
        )
        assert receipt.status_code == 401, label
        assert "WWW-Authenticate" in receipt.headers
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { subject } }"},
        headers={"Authorization": "Basic dXNlcjpwYXNz"},
    )
    assert response.status_code == 401
    assert "Bearer" in response.json()["errors"][0]["message"]
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unexpected_errors_are_masked_and_logged(settings, authority, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(authority_domain, "list_organizations", broken)
    # compiled reads off: `broken` is on the resolver's path (a compiled page never calls it)
    app = create_app(replace(settings, compiled_reads=False))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://pdex.test") as http:
            with caplog.at_level(logging.ERROR, logger="pdex.graphql"):
                response = await http.post(
                    "/graphql",
                    json={"query": "{ organizations { edges { cursor } } }"},
                    headers=authority.headers,
                )
    finally:
        await app.state.db.dispose()
    result = response.json()
    error = result["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in str(result)
    request_id = error["extensions"]["requestId"]
    assert request_id and request_id in error["message"]
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
    assert logged and "hunter2" in str(logged[0].exc_info[1])


def test_graphql_transport_ws_authenticates_in_connection_init(settings, tokens):
    app = create_app(settings)
    token = tokens.issue(roles=[Role.AUDITOR], org=None, sub="ws-user")
    with TestClient(app) as http:
        with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "{ viewer { subject roles } }"},
                }
            )
            message = ws.receive_json()
            assert message["type"] == "next"
            assert message["payload"]["data"]["viewer"] == {
                "subject": "ws-user",
                "roles": ["AUDITOR"],
            }
            assert ws.receive_json()["type"] == "complete"
        with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json(
                {"type": "connection_init", "payload": {"authorization": "Bearer forged.token.x"}}
            )
            closed = ws.receive()
            assert closed["type"] == "websocket.close" and closed["code"] == 4401


async def test_graphiql_is_served(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


def test_background_checkpointer_signs_while_the_log_grows(settings, app):  # app: migrated
    """The lifespan task signs a checkpoint within a few intervals of new entries."""
    import time
    import uuid
    from dataclasses import replace

    import ledger
    from core.identity import Principal

    fast = create_app(replace(settings, ledger_checkpoint_interval=0.2))
    actor = Principal("clerk", uuid.uuid4(), frozenset({Role.AGENCY}))
    with TestClient(fast) as http:

        async def grow() -> int:
            async with fast.state.db.transaction() as session:
                entry = await ledger.append(session, "test.background.signed", actor, {})
            return entry.seq + 1

        size = http.portal.call(grow)
        deadline = time.monotonic() + 10
        while True:
            checkpoint = http.post(
                "/graphql", json={"query": "{ ledgerCheckpoint { treeSize } }"}
            ).json()
            tree_size = (checkpoint["data"]["ledgerCheckpoint"] or {}).get("treeSize", 0)
            if tree_size >= size:
                break
            assert time.monotonic() < deadline, "no checkpoint was signed"
            time.sleep(0.1)
