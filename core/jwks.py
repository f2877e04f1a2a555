"""An external identity provider's signing keys (its JWKS), cached so that it fails closed and fast.

- Each key is bound to the algorithms it may verify: its declared `alg`, or the set its key
  type allows (RSA: RS*/PS*; EC: the one ES* of its curve; OKP: EdDSA). A token whose header
  names another algorithm is invalid; so is any key or type error (a 401, never a 500).
- The set is fetched with a short timeout and no lock is held across the network: one fetch
  runs at a time and everyone who needs it awaits the same result (single flight).
- A token with an unknown `kid` may trigger a refresh, at most once per `REFRESH` seconds.
  While the set cannot be fetched, an unknown kid is "the provider is unavailable" (503),
  not "your token is bad" (401), and no one waits.
- The set is refetched after `MAX_AGE`; a key missing from a freshly fetched set is dropped
  at once (and `on_removed` lets the token cache drop verifications made under it). While
  the provider is unreachable a known key is trusted for at most `MAX_STALE` after the set
  was last fetched, then every token is refused with 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from core.errors import IdentityProviderUnavailable, Unauthenticated

log = logging.getLogger("pdex.jwks")

# The algorithms pdex accepts from an external issuer, by key type (never HS*, never none).
ALGORITHMS_BY_KTY: dict[str, frozenset[str]] = {
    "RSA": frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
    "EC": frozenset({"ES256", "ES384", "ES512"}),
    "OKP": frozenset({"EdDSA"}),
}
ALGORITHMS = frozenset().union(*ALGORITHMS_BY_KTY.values())
EC_CURVE_ALGORITHM = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
MAX_JWKS_BYTES = 1_000_000


class InvalidKey(Unauthenticated):
    """The token names no usable key, or a key that may not verify its algorithm."""


@dataclass(frozen=True)
class BoundKey:
    kid: str
    key: Any  # a `cryptography` public key
    algorithms: frozenset[str]


def bind(jwk: dict[str, Any]) -> BoundKey | None:
    """The JWK as a key bound to its algorithms; None for keys pdex must not use
    (no kid, not for signatures, an unknown type, or a declared alg its type cannot do)."""
    kid, kty, alg = jwk.get("kid"), jwk.get("kty"), jwk.get("alg")
    if not isinstance(kid, str) or not kid or jwk.get("use", "sig") != "sig":
        return None
    allowed = ALGORITHMS_BY_KTY.get(kty) if isinstance(kty, str) else None
    if not allowed:
        return None
    if kty == "EC":
        curve_alg = EC_CURVE_ALGORITHM.get(jwk.get("crv", ""))
        allowed = frozenset({curve_alg}) if curve_alg else frozenset()
    if alg is not None:
        allowed = allowed & {alg} if isinstance(alg, str) else frozenset()
    if not allowed:
        return None
    try:
        key = jwt.PyJWK(jwk, algorithm=next(iter(sorted(allowed)))).key
    except Exception:  # any malformed key material: the key is unusable, the set is not
        log.warning("jwks key skipped", extra={"kid": kid, "kty": kty})
        return None
    return BoundKey(kid, key, allowed)


class KeySet:
    """The cached JWKS of one issuer. `key_for(kid, alg)` is the only question it answers."""

    TIMEOUT = 3.0  # seconds for one fetch, connect to last byte
    REFRESH = 60.0  # at most one fetch per this many seconds, unless the set is older than MAX_AGE
    MAX_AGE = 300.0  # refetch a set this old (bounds how long a removed key is trusted)
    MAX_STALE = 3600.0  # trust a set this long after its last fetch while the provider is down

    def __init__(self, url: str, on_removed: Callable[[set[str]], None] | None = None) -> None:
        self.url = url
        self.on_removed = on_removed
        self._keys: dict[str, BoundKey] = {}
        self._fetched_at: float | None = None  # monotonic time of the last good fetch
        self._attempted_at: float | None = None  # monotonic time of the last fetch started
        self._failing = False  # the last fetch failed
        self._flight: asyncio.Task[None] | None = None

    def _age(self) -> float:
        return float("inf") if self._fetched_at is None else time.monotonic() - self._fetched_at

    def _may_fetch(self) -> bool:
        if self._attempted_at is None:
            return True
        since = time.monotonic() - self._attempted_at
        if self._failing:
            return since >= self.REFRESH
        return since >= self.REFRESH or self._age() >= self.MAX_AGE

    def _next_fetch_in(self) -> int:
        """Whole seconds until a fetch may be tried again (at least 1)."""
        since = time.monotonic() - (self._attempted_at or 0.0)
        return max(1, math.ceil(self.REFRESH - since))

    def trusts(self, kid: str) -> bool:
        """Without I/O: is a verification made under `kid` still good? (It also starts a
        background refresh when the set is due, so a busy server notices removals.)"""
        if self._age() >= self.MAX_AGE:
            self._refresh_in_background()
        return kid in self._keys and self._age() < self.MAX_STALE

    async def key_for(self, kid: str | None, alg: str | None) -> BoundKey:
        if not isinstance(kid, str) or not kid:
            raise InvalidKey("The bearer token is not valid: its header names no key (kid).")
        age = self._age()
        if kid in self._keys and age < self.MAX_AGE:
            return self._checked(self._keys[kid], alg)
        if kid in self._keys and age < self.MAX_STALE:
            self._refresh_in_background()  # serve the known key now; never a wait
            return self._checked(self._keys[kid], alg)
        if self._may_fetch() or self._flight is not None:
            await self._fetch_once()
        if self._age() >= self.MAX_STALE or (kid not in self._keys and self._failing):
            raise IdentityProviderUnavailable(retry_after=self._next_fetch_in())
        if kid not in self._keys:
            raise InvalidKey("The bearer token is not valid: its key (kid) is unknown.")
        return self._checked(self._keys[kid], alg)

    @staticmethod
    def _checked(key: BoundKey, alg: str | None) -> BoundKey:
        if alg not in key.algorithms:
            raise InvalidKey("The bearer token is not valid: its algorithm does not match its key.")
        return key

    def _refresh_in_background(self) -> None:
        if self._flight is None and self._may_fetch():
            self._start_flight()

    def _start_flight(self) -> asyncio.Task[None]:
        self._attempted_at = time.monotonic()
        self._flight = asyncio.get_running_loop().create_task(self._fetch())
        self._flight.add_done_callback(self._landed)
        return self._flight

    def _landed(self, task: asyncio.Task[None]) -> None:
        if self._flight is task:
            self._flight = None

    async def _fetch_once(self) -> None:
        """Start a fetch or join the one in flight; waits at most TIMEOUT."""
        flight = self._flight
        if flight is None or flight.get_loop() is not asyncio.get_running_loop():
            flight = self._start_flight()
        await asyncio.shield(flight)

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=self.TIMEOUT) as client:
                document = await asyncio.wait_for(self._get(client), self.TIMEOUT)
            keys = {
                bound.kid: bound
                for jwk in document.get("keys", [])
                if isinstance(jwk, dict) and (bound := bind(jwk)) is not None
            }
        except Exception as exc:  # any failure to fetch or read the set: the provider is down
            self._failing = True
            log.warning("jwks fetch failed", extra={"url": self.url, "error": type(exc).__name__})
            return
        removed = set(self._keys) - set(keys)
        self._keys, self._fetched_at, self._failing = keys, time.monotonic(), False
        if removed and self.on_removed is not None:
            self.on_removed(removed)

    async def _get(self, client: httpx.AsyncClient) -> dict[str, Any]:
        async with client.stream("GET", self.url) as response:
            response.raise_for_status()
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError("JWKS too large")
        document = json.loads(body)
        if not isinstance(document, dict):
            raise ValueError("JWKS is not an object")
        return document
