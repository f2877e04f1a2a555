"""The ASGI application: /graphql (HTTP + graphql-transport-ws), /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute, request_response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

import ledger
import sharing
from core import events, migrate
from core.clock import now
from core.db import Database
from core.errors import AuthError, IdentityProviderUnavailable, Unauthenticated
from core.identity import Principal, Tokens
from core.settings import Settings, get_settings
from schema import build_schema
from schema.context import Context
from server import catalogue, console, metrics, pages, ratelimit, receipts, tasks
from server.bounds import BoundedRequests, TimedExecution
from server.lean import LeanGraphQL, json_body
from server.logs import request_id_var

log = logging.getLogger("pdex.http")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send the token as `Authorization: Bearer <token>`.")
    return token.strip()


class TokenBoundTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws bound to the token sent in `connection_init`: a bad token closes
    the socket 4401 (1013 while the identity provider is unreachable); when the token
    expires, its streams end and the socket closes 4401. A client re-authenticates on a new
    connection."""

    expiry: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except IdentityProviderUnavailable:
            await self.websocket.close(code=1013, reason="Identity provider unavailable")
            return
        except AuthError:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        actor = self.context.actor
        if self.connection_acknowledged and actor is not None and actor.expires_at is not None:
            self.expiry = asyncio.create_task(self._close_at(actor.expires_at))

    async def _close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - now().timestamp()))
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=4401, reason="Token expired")

    async def shutdown(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        await super().shutdown()


class GraphQLEndpoint(TimedExecution, GraphQL):
    """Strawberry's ASGI view with pdex's context, authentication and execution timeout."""

    def __init__(self, app_state: Any, **kwargs: Any) -> None:
        super().__init__(
            app_state.schema,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            **kwargs,
        )
        self.state = app_state

    graphql_transport_ws_handler_class = TokenBoundTransportWS

    def encode_json(self, data: object) -> str:
        """`server.lean.json_body`, as text: strawberry sends bytes over a websocket as a
        binary frame."""
        return json_body(data).decode()

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL with its scripts from this package (server/static), not a CDN."""
        return HTMLResponse(pages.graphiql_html())

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return self.context_for(getattr(request.state, "actor", None))

    def context_for(self, actor: Principal | None) -> Context:
        return Context(
            db=self.state.db,
            settings=self.state.settings,
            actor=actor,
            signer=self.state.signer,
            request_id=request_id_var.get() or str(uuid.uuid4()),
        )

    async def on_ws_connect(self, context: Context) -> None:  # type: ignore[override]
        """A socket authenticates in `connection_init`: `{"authorization": "Bearer …"}`.
        A bad token raises `AuthError`, which `TokenBoundTransportWS` turns into a close."""
        params = context.connection_params or {}
        token = bearer_token(str(params.get("authorization") or "") or None)
        context.actor = await self.state.tokens.verify(token) if token else None


class Authenticate:
    """Verifies the bearer token before GraphQL runs: a bad token is a 401, not a null."""

    def __init__(self, app: ASGIApp, tokens: Tokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                token = bearer_token(_authorization(scope))
                actor: Principal | None = await self.tokens.verify(token) if token else None
            except AuthError as exc:
                status, headers = 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                if isinstance(exc, IdentityProviderUnavailable):  # not refused: retry later
                    status, headers = 503, {"Retry-After": str(exc.retry_after)}
                response = JSONResponse(
                    {"errors": [{"message": str(exc), "extensions": {"code": exc.code}}]},
                    status_code=status,
                    headers=headers,
                )
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)


def _authorization(scope: Scope) -> str | None:
    """The first `Authorization` header, as `Request(scope).headers.get` reads it."""
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


SLOW_REQUEST_SECONDS = 1.0
# A client's X-Request-ID is kept only when it is this short and plain; anything else could
# forge log lines or carry data into them, so it is replaced by a new id.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_from(incoming: bytes) -> str:
    text = incoming.decode("latin-1")
    return text if SAFE_REQUEST_ID.fullmatch(text) else uuid.uuid4().hex


class RequestContext:
    """Request id (from `X-Request-ID` or new), metrics, and a JSON log line for every
    failed or slow request (every request with `PDEX_ACCESS_LOG=true`)."""

    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = request_id_from(headers.get(b"x-request-id", b""))
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope["path"] if scope["path"] in KNOWN_ROUTES else "other"
            metrics.HTTP_REQUESTS.labels(route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(route).observe(elapsed)
            notable = status >= 500 or elapsed > SLOW_REQUEST_SECONDS
            if (notable or self.access_log) and route != "/metrics":
                log.log(
                    logging.WARNING if notable else logging.INFO,
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


KNOWN_ROUTES = {
    "/",
    "/graphql",
    "/healthz",
    "/readyz",
    "/metrics",
    "/catalogue.jsonld",
    "/schema.graphql",
    "/.well-known/jwks.json",
}


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database answers, can be written, and its migrations are at head."""
    db: Database = request.app.state.db
    problem = db.storage_problem()
    if problem:
        return JSONResponse(
            {"status": "unavailable", "database": "read-only", "reason": problem}, 503
        )
    try:
        current = await migrate.current_revision(db.reader)
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness check failed", extra={"error": str(exc)})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
    head = migrate.head_revision()
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "migration": current, "head": head}, 503
        )
    return JSONResponse({"status": "ready", "database": "ok", "migration": current})


async def metrics_endpoint(request: Request) -> Response:
    return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")


async def jwks_endpoint(request: Request) -> Response:
    """Art. 12, 17: the keys a source department's data service checks access tickets with."""
    return JSONResponse(
        sharing.jwks(request.app.state.settings),
        headers={"Cache-Control": "public, max-age=300"},
        media_type="application/jwk-set+json",
    )


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app. Engines connect lazily, so building it touches no database."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            events.relay(settings),  # subscribers here hear every process's events
            tasks.background_jobs(app.state.db, app.state.signer, settings),
        ):
            yield
        await app.state.rate_store.close()
        await app.state.db.dispose()

    layers = [
        Middleware(RequestContext, access_log=settings.access_log),
        Middleware(
            BoundedRequests,
            max_body_bytes=settings.max_body_bytes,
            body_timeout=settings.body_timeout,
        ),
    ]
    app = PdexApp(lifespan=lifespan, middleware=layers)
    app.state.settings = settings
    app.state.db = Database(settings)
    app.state.tokens = Tokens(settings, app.state.db)
    app.state.signer = ledger.load_signer(settings)
    app.state.schema = build_schema(settings)
    app.state.rate_store = ratelimit.make_store(settings)
    view = GraphQLEndpoint(app.state)
    endpoint: ASGIApp = view
    if settings.lean_requests:
        endpoint = app.state.lean = LeanGraphQL(view, app.state.schema, view.context_for)
    if settings.rate_limit > 0 or settings.max_concurrent:  # else it would do nothing
        endpoint = ratelimit.RateLimited(
            endpoint,
            app.state.rate_store,
            settings.rate_limit,
            settings.rate_burst,
            settings.max_concurrent,
        )
    graphql = Authenticate(endpoint, app.state.tokens)
    app.router.routes.extend(
        [
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/", pages.home),
            Route("/schema.graphql", pages.sdl),
            Mount("/static/graphiql", pages.static_files()),
            console.routes(settings.oidc_issuer),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/catalogue.jsonld", catalogue.open_catalogue),
            Route("/.well-known/jwks.json", jwks_endpoint),
            Route(
                "/consents/{id}/receipt",
                Authenticate(request_response(receipts.consent_receipt), app.state.tokens),
            ),
        ]
    )
    if settings.lean_requests:
        app.graphql_http = ServerErrorMiddleware(_stack(graphql, layers))
    return app


def _stack(app: ASGIApp, layers: list[Middleware]) -> ASGIApp:
    """`app` inside `layers`, the first outermost, as Starlette builds its middleware."""
    for cls, args, kwargs in reversed(layers):
        app = cls(app, *args, **kwargs)
    return app


class PdexApp(Starlette):
    """Starlette, with plain GraphQL requests (POST or GET to /graphql) going straight to
    the GraphQL app inside the same middleware (`graphql_http`): not through Starlette's
    exception middleware and router, which only add cost to them (issue 14 item 3). Errors
    that escape are answered 500 as Starlette's outermost layer answers them."""

    graphql_http: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.graphql_http is not None
            and scope["type"] == "http"
            and scope["method"] in ("POST", "GET")
            and get_route_path(scope) == "/graphql"
        ):
            scope["app"] = self
            await self.graphql_http(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
