"""Requests are bounded (issue 10 §2): body size, slow bodies, stalled heads, vanished
clients, and how long one operation may run.

- `BoundedRequests` (ASGI middleware) reads an HTTP body before the app sees it: over
  `PDEX_MAX_BODY_BYTES` by `Content-Length` it answers 413 at once, without reading; a body
  that grows past the limit while streaming is 413 as soon as it does (a 500 MB body is never
  held); a body that takes longer than `PDEX_BODY_TIMEOUT` is 408. A client that goes away
  is recorded as 499 in /metrics and logged at INFO, without a traceback. A websocket
  message over the limit closes the socket with 1009 (message too big).
- `http_protocol()` (uvicorn's httptools or h11 protocol, with a head timeout) closes a
  connection whose request head has not arrived in full within `PDEX_HEADER_TIMEOUT`: 500
  connections that send half a head and wait no longer hold the server.
- `TimedExecution` (a mixin of the GraphQL view) stops an operation after
  `PDEX_EXECUTION_TIMEOUT` with `EXECUTION_TIMEOUT` and `Retry-After`; its transaction rolls
  back, so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any

import h11
from graphql import GraphQLError
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import ExecutionResult
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import ClientDisconnected

log = logging.getLogger("pdex.http")

CLIENT_CLOSED = 499  # nginx's "client closed request": counted, never a 500
WS_MESSAGE_TOO_BIG = 1009


class _Gone(Exception):
    """The client disconnected while its body was being read."""


def _error_response(status: int, code: str, message: str) -> list[Message]:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is never read: do not reuse
    ]
    return [
        {"type": "http.response.start", "status": status, "headers": raw},
        {"type": "http.response.body", "body": body},
    ]


class BoundedRequests:
    """Reads and bounds the body of every HTTP request; bounds websocket messages."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._bounded_ws(receive, send), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse_too_large(send)
            return
        try:
            async with asyncio.timeout(self.body_timeout or None):
                body = await self._read(receive)
        except TimeoutError:
            for message in _error_response(
                408,
                "REQUEST_TIMEOUT",
                f"The request body did not arrive within {self.body_timeout:g} seconds.",
            ):
                await send(message)
            return
        except _Gone:
            await self._client_gone(scope, send)
            return
        if body is None:
            await self._refuse_too_large(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only a disconnect can come

        try:
            await self.app(scope, replay, send)
        except (ClientDisconnect, ClientDisconnected):
            await self._client_gone(scope, send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is longer than the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse_too_large(self, send: Send) -> None:
        for message in _error_response(
            413,
            "PAYLOAD_TOO_LARGE",
            f"The request body is larger than {self.max_body_bytes:,} bytes.",
        ):
            await send(message)

    @staticmethod
    async def _client_gone(scope: Scope, send: Send) -> None:
        # The server drops a response to a client that is gone; the request-context
        # middleware above still sees its status, so /metrics counts a 499, not a 500.
        log.info("client disconnected", extra={"path": scope.get("path")})
        await send({"type": "http.response.start", "status": CLIENT_CLOSED, "headers": []})

    def _bounded_ws(self, receive: Receive, send: Send) -> Receive:
        limit = self.max_body_bytes

        async def bounded() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                data = message.get("bytes") or b""
                text = message.get("text") or ""
                if len(data) > limit or len(text) > limit or len(text.encode()) > limit:
                    await send({"type": "websocket.close", "code": WS_MESSAGE_TOO_BIG})
                    return {"type": "websocket.disconnect", "code": WS_MESSAGE_TOO_BIG}
            return message

        return bounded


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _HeadTimeout:
    """Closes a connection whose request head stalls (a mixin for uvicorn's protocols).

    uvicorn times out idle keep-alive connections, but not one that sent part of a head (or
    nothing) and waits: each would be held for ever. The timer runs from the connection (or
    the first byte of a later request) until the parser has the whole head.
    """

    timeout: float | None = None  # None: PDEX_HEADER_TIMEOUT
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.timeout is None:
            from core.settings import get_settings

            self.timeout = get_settings().header_timeout
        self._head_timer: asyncio.TimerHandle | None = None

    def _head_pending(self) -> bool:
        raise NotImplementedError

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self) -> None:
        if self.timeout and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._head_pending() and not self.transport.is_closing():
            log.info("request head timed out", extra={"seconds": self.timeout})
            self.transport.close()


class HeadTimeoutH11(_HeadTimeout, H11Protocol):
    """uvicorn's pure-Python h11 protocol with the head timeout."""

    def _head_pending(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_pending() and not self.transport.is_closing():
            self._arm()  # part of a head: it has `timeout` seconds to complete
        else:
            self._disarm()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: uvicorn uses h11
    HttpToolsProtocol = None


if HttpToolsProtocol is not None:

    class HeadTimeoutHttpTools(_HeadTimeout, HttpToolsProtocol):
        """uvicorn's httptools protocol (the C parser) with the head timeout."""

        _in_head = True  # a new connection owes its first head

        def _head_pending(self) -> bool:
            return self._in_head

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = True
            self._arm()

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._disarm()
            super().on_headers_complete()


def http_protocol() -> type:
    """The protocol class `pdex serve` gives uvicorn: httptools when installed (as uvicorn's
    own "auto" would choose), else h11; either with the head timeout."""
    return HeadTimeoutH11 if HttpToolsProtocol is None else HeadTimeoutHttpTools


EXECUTION_TIMEOUT = "EXECUTION_TIMEOUT"


class TimedExecution:
    """Mixin for strawberry's HTTP view: one operation runs at most
    `settings.execution_timeout` seconds (subscriptions, over websockets, are not bounded)."""

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        context = kwargs["context"]
        seconds = context.settings.execution_timeout
        if not seconds:
            return await super().execute_single(*args, **kwargs)  # type: ignore[misc]
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                return await super().execute_single(*args, **kwargs)  # type: ignore[misc]
        except TimeoutError:
            if not deadline.expired():
                raise  # a timeout of the operation's own, not ours
        log.info("operation timed out", extra={"seconds": seconds})
        result, retry_after = timed_out(seconds)
        kwargs["sub_response"].headers["Retry-After"] = retry_after
        return result


def timed_out(seconds: float) -> tuple[ExecutionResult, str]:
    """The answer to an operation stopped after `seconds`, and its `Retry-After` value."""
    retry_after = str(math.ceil(seconds))
    return (
        ExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"The operation ran longer than {seconds:g} seconds and was stopped; "
                    "nothing it did was kept. Ask for less (smaller pages, fewer fields).",
                    extensions={"code": EXECUTION_TIMEOUT, "retryAfter": int(retry_after)},
                )
            ],
        ),
        retry_after,
    )
