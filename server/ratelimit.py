"""Per-caller rate limits (issue 10 §2): a token bucket per token subject, or per IP address
for anonymous callers.

A bucket holds `PDEX_RATE_BURST` requests and refills at `PDEX_RATE_LIMIT` a second. A
request that finds it empty is refused with 429, `Retry-After` (whole seconds until one
request's worth has refilled) and the GraphQL error code `RATE_LIMITED`.

Where the buckets live: in Redis when `PDEX_REDIS_URL` is set — one Lua script reads, refills
and takes in one atomic step on Redis's clock, so every worker and every process share one
bucket per caller — else in this process (the embedded default, one process). Bucket keys
are hashes: a subject may be a resident's account id and never reaches Redis as such. When
Redis cannot be reached, requests are let through for a few seconds before it is tried again,
and a warning is logged once a minute: losing the limit for a while is better than refusing
everyone, or making everyone wait for a timeout.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import Settings

log = logging.getLogger("pdex.ratelimit")

RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until the request would be allowed


class Store(Protocol):
    async def take(self, key: str, rate: float, burst: int) -> Decision: ...

    async def close(self) -> None: ...


def refill(tokens: float, elapsed: float, rate: float, burst: int) -> float:
    return min(float(burst), tokens + max(0.0, elapsed) * rate)


class MemoryStore:
    """Buckets in this process: exact for one process, per process for several."""

    MAX_KEYS = 100_000

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    async def take(self, key: str, rate: float, burst: int) -> Decision:
        now = self.clock()
        tokens, at = self.buckets.get(key, (float(burst), now))
        tokens = refill(tokens, now - at, rate, burst)
        if tokens >= 1:
            self._keep(key, tokens - 1, now, rate, burst)
            return Decision(True)
        self._keep(key, tokens, now, rate, burst)
        return Decision(False, (1 - tokens) / rate)

    def _keep(self, key: str, tokens: float, now: float, rate: float, burst: int) -> None:
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > self.MAX_KEYS:
            # Forget the buckets that are full again; if that is not enough (very many
            # callers at once), the least recently used half, so pruning stays rare.
            kept = {
                k: (t, a)
                for k, (t, a) in self.buckets.items()
                if refill(t, now - a, rate, burst) < burst
            }
            if len(kept) > self.MAX_KEYS // 2:
                recent = sorted(kept.items(), key=lambda item: item[1][1])[-self.MAX_KEYS // 2 :]
                kept = dict(recent)
            self.buckets = kept

    async def close(self) -> None:
        pass


# KEYS[1]: the bucket; ARGV: rate (tokens/s), burst. Time is Redis's own, so workers on
# different machines agree. Returns {allowed (0/1), seconds to wait (string)}.
TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(wait)}
"""


class RedisStore:
    """Buckets in Redis, shared by every process; one atomic script per request."""

    PREFIX = "pdex:ratelimit:"
    RETRY_SECONDS = 5.0  # after a failure, requests skip Redis this long

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.script = self.client.register_script(TAKE_SCRIPT)
        self.warned_at = -math.inf
        self.down_until = -math.inf

    async def take(self, key: str, rate: float, burst: int) -> Decision:
        from redis.exceptions import RedisError

        now = time.monotonic()
        if now < self.down_until:  # failed a moment ago: do not make every request wait
            return Decision(True)
        try:
            allowed, wait = await self.script(keys=[self.PREFIX + key], args=[rate, burst])
        except (RedisError, OSError) as exc:
            self.down_until = now + self.RETRY_SECONDS
            if now - self.warned_at >= 60:  # one warning a minute, not one per request
                self.warned_at = now
                log.warning(
                    "rate limit store unreachable; requests let through",
                    extra={"error": type(exc).__name__},
                )
            return Decision(True)
        return Decision(bool(int(allowed)), float(wait))

    async def close(self) -> None:
        await self.client.aclose()


def make_store(settings: Settings) -> Store:
    return RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()


def caller_key(scope: Scope) -> str:
    """The token subject when signed in, else the client's IP address; hashed."""
    actor = (scope.get("state") or {}).get("actor")
    if actor is not None:
        raw = f"sub:{actor.subject}"
    else:
        client = scope.get("client")
        raw = f"ip:{client[0] if client else 'unknown'}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class RateLimited:
    """ASGI wrapper, inside `Authenticate` (it needs the verified subject): the caller's
    bucket, and at most `max_concurrent` of its HTTP requests running at once in this process
    (a burst of heavy queries fired together waits its turn, not the server's)."""

    def __init__(
        self, app: ASGIApp, store: Store, rate: float, burst: int, max_concurrent: int = 0
    ) -> None:
        self.app = app
        self.store = store
        self.rate = rate
        self.burst = burst
        self.max_concurrent = max_concurrent
        self.running: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        key = caller_key(scope)
        if self.rate > 0:
            decision = await self.store.take(key, self.rate, self.burst)
            if not decision.allowed:
                await _refuse(scope, receive, send, decision.retry_after, "Too many requests")
                return
        if scope["type"] != "http" or not self.max_concurrent:
            await self.app(scope, receive, send)
            return
        if self.running.get(key, 0) >= self.max_concurrent:
            message = f"More than {self.max_concurrent} of your requests at once"
            await _refuse(scope, receive, send, 1.0, message)
            return
        self.running[key] = self.running.get(key, 0) + 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running[key] -= 1
            if not self.running[key]:
                del self.running[key]


async def _refuse(scope: Scope, receive: Receive, send: Send, wait: float, why: str) -> None:
    retry_after = max(1, math.ceil(wait))
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1013})  # try again later
        return
    body = json.dumps(
        {
            "errors": [
                {
                    "message": f"{why}: try again in {retry_after} s.",
                    "extensions": {"code": RATE_LIMITED, "retryAfter": retry_after},
                }
            ]
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
