"""Requests are bounded (issue 10 §2): body size (the body-size probe), slow bodies, stalled
heads, vanished clients and the execution timeout."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import authority as authority_domain
from core.identity import Role
from server.app import create_app
from server.bounds import HeadTimeoutH11, HttpToolsProtocol

QUERY = b'{"query": "{ __typename }"}'


@pytest.fixture
async def bounded(settings: Any) -> AsyncIterator[Any]:
    """An app with small bounds, built on the suite's database."""
    apps = []

    def make(**overrides: Any) -> Any:
        app = create_app(replace(settings, **overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.state.db.dispose()


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pdex.test")


async def test_body_over_the_limit_is_413_by_content_length(client, settings):
    body = b'{"query": "{ __typename }", "variables": {"x": "' + b"x" * settings.max_body_bytes
    response = await client.post("/graphql", content=body + b'"}}')
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.headers["connection"] == "close"
    ok = await client.post("/graphql", content=QUERY, headers={"Content-Type": "application/json"})
    assert ok.status_code == 200


async def test_declared_length_is_refused_before_any_byte_is_read(app):
    """A 500 MB `Content-Length` is answered without reading the body at all."""
    sent: list[dict] = []

    async def receive() -> dict:
        raise AssertionError("the body must not be read")

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"content-length", str(500 * 2**20).encode())],
        "query_string": b"",
        "client": ("203.0.113.9", 5000),
        "server": ("pdex.test", 80),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413


async def test_streamed_body_is_cut_off_at_the_limit(bounded):
    app = bounded(max_body_bytes=10_000)
    produced = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal produced
        while produced < 50 * 2**20:  # a client streaming 50 MB without a length
            produced += 4096
            yield b"x" * 4096

    async with client_for(app) as http:
        response = await http.post("/graphql", content=endless())
    assert response.status_code == 413
    assert produced < 20_000  # stopped reading at the limit, not after the whole body


async def test_slow_body_is_408(bounded):
    app = bounded(body_timeout=0.2)

    async def slow() -> AsyncIterator[bytes]:
        yield b'{"query": '
        await asyncio.sleep(5)
        yield b'"{ __typename }"}'

    async with client_for(app) as http:
        response = await http.post("/graphql", content=slow())
    assert response.status_code == 408
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"


async def test_vanished_client_is_499_without_a_traceback(app, client, caplog):
    sent: list[dict] = []
    messages = iter(
        [
            {"type": "http.request", "body": b'{"query":', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict:
        return next(messages)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"content-type", b"application/json")],
        "query_string": b"",
        "client": ("203.0.113.9", 5000),
        "server": ("pdex.test", 80),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
    }
    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [499]
    assert any(r.getMessage() == "client disconnected" for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    metrics = (await client.get("/metrics")).text
    assert 'pdex_http_requests_total{route="/graphql",status="499"}' in metrics


def test_websocket_message_over_the_limit_closes_1009(settings):
    app = create_app(replace(settings, max_body_bytes=2_000))
    http = TestClient(app)
    with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_text('{"type": "connection_init", "payload": {"pad": "' + "x" * 5_000 + '"}}')
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1009


async def test_execution_timeout_is_coded_with_retry_after(bounded, authority, monkeypatch):
    # compiled reads off: this is the resolver's path (a compiled page never calls it)
    app = bounded(execution_timeout=0.2, compiled_reads=False)

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(5)

    monkeypatch.setattr(authority_domain, "list_organizations", slow)
    async with client_for(app) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ organizations { edges { cursor } } }"},
            headers=authority.headers,
        )
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "EXECUTION_TIMEOUT"
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize("parser", ["h11", "httptools"])
async def test_stalled_request_head_is_closed(parser):
    """A connection that sends half a request head is closed after the header timeout; a
    whole request on another connection is answered meanwhile. With either HTTP parser."""
    if parser == "httptools":
        if HttpToolsProtocol is None:
            pytest.skip("httptools is not installed")
        from server.bounds import HeadTimeoutHttpTools as base
    else:
        base = HeadTimeoutH11

    class Quick(base):  # type: ignore[misc, valid-type]
        timeout = 0.3

    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, http=Quick, log_config=None, lifespan="off", timeout_keep_alive=30)
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        await writer.drain()
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.1:{port}/")).text == "ok"
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""  # closed by the server
        writer.close()
        # A kept-alive connection that starts a second head and stalls is closed too.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        first = await asyncio.wait_for(reader.readuntil(b"ok"), timeout=5)
        assert first.startswith(b"HTTP/1.1 200")
        writer.write(b"GET / HTTP/1.1\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""
        writer.close()
    finally:
        server.should_exit = True
        await serving


async def test_a_timed_out_mutation_leaves_nothing_and_the_writer_recovers(
    bounded, make_caller, monkeypatch
):
    """Stopped after its write, before its commit: nothing is kept, and the next write (on
    SQLite's single writer connection too) goes through."""
    import consent

    # 2 s, not less: the writes after the stopped one must finish inside the same bound on a
    # busy CI machine (at 0.3 s one CI run failed the "Kept" write, most likely timed out too).
    app = bounded(execution_timeout=2.0)
    subject = await make_caller(Role.DATA_SUBJECT)
    original = consent.update_my_identity

    async def write_then_hang(*args: Any, **kwargs: Any) -> Any:
        row = await original(*args, **kwargs)
        await args[0].flush()
        await asyncio.Event().wait()  # until the deadline cancels it
        return row

    mutation = (
        "mutation($n: String) { updateMyIdentity(input: {displayName: $n}) "
        "{ dataSubject { displayName } userErrors { code } } }"
    )
    async with client_for(app) as http:
        monkeypatch.setattr(consent, "update_my_identity", write_then_hang)
        stopped = await http.post(
            "/graphql",
            json={"query": mutation, "variables": {"n": "Lost"}},
            headers=subject.headers,
        )
        assert stopped.json()["errors"][0]["extensions"]["code"] == "EXECUTION_TIMEOUT"
        monkeypatch.setattr(consent, "update_my_identity", original)
        after = await http.post(
            "/graphql",
            json={"query": "{ myDataSubject { displayName } }"},
            headers=subject.headers,
        )
        assert after.json()["data"]["myDataSubject"]["displayName"] != "Lost"
        kept = await http.post(
            "/graphql",
            json={"query": mutation, "variables": {"n": "Kept"}},
            headers=subject.headers,
        )
        assert kept.json().get("data"), kept.json()
        assert kept.json()["data"]["updateMyIdentity"]["dataSubject"]["displayName"] == "Kept"
        seen = await http.post(
            "/graphql",
            json={"query": "{ myDataSubject { displayName } }"},
            headers=subject.headers,
        )
    assert seen.json()["data"]["myDataSubject"]["displayName"] == "Kept"
