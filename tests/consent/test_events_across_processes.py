"""A revocation reaches a holder subscribed to another app process (PostgreSQL LISTEN/NOTIFY):
`pdex serve` runs as a process, the holder subscribes there over graphql-transport-ws, and the
subject grants and revokes through this process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import websockets

import consent
from schema.relay import to_global_id

SUBSCRIBE = "subscription { consentEvents { kind consentId status } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_events_cross_processes(settings, is_postgres, subject, grantee, grant, db, tmp_path):
    if not is_postgres:
        pytest.skip("one process on SQLite: events stay in it")
    port = free_port()
    env = {
        **os.environ,
        "PDEX_DATABASE_URL": settings.database_url,
        "PDEX_DATA_DIR": str(tmp_path),
        "PDEX_TOKEN_SECRET": settings.token_secret or "",
    }
    pdex = Path(sys.executable).parent / "pdex"
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [str(pdex), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(200):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail("server never became ready")
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:
            init = {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {grantee.token}"},
            }
            await ws.send(json.dumps(init))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            )
            await asyncio.sleep(0.5)  # the server's subscription is registered

            granted = await grant(subject, grantee)  # committed by this process
            async with db.transaction() as session:
                await consent.revoke_consent(session, subject.principal, granted.id)

            kinds = []
            for _ in range(2):
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert message["type"] == "next", message
                event = message["payload"]["data"]["consentEvents"]
                assert event["consentId"] == to_global_id("Consent", granted.id)
                kinds.append((event["kind"], event["status"]))
            assert kinds == [("GRANTED", "ACTIVE"), ("REVOKED", "REVOKED")]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
