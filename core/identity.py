"""Who is calling: a `Principal` read from a bearer JWT, and the one permission check.

Tokens carry `sub`, `org` and `roles`. In embedded mode pdex signs its own (HS256, a secret
kept in the data directory); with `PDEX_OIDC_JWKS_URL` set it verifies an external issuer's
RS256/ES256 tokens against that JWKS instead and never signs anything.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt

from core.clock import now
from core.errors import Forbidden, Unauthenticated
from core.settings import Settings

LEEWAY_SECONDS = 30  # clock skew tolerated between pdex and the token issuer


class Role(StrEnum):
    AUTHORITY = "authority"  # the data authority (公共数据主管部门), the regulator
    AGENCY = "agency"  # a public body (公共管理和服务机构)
    BROKER = "broker"  # a data broker (数据经纪人)
    MARKET_ENTITY = "market_entity"  # a firm, university or person trading data
    DATA_SUBJECT = "data_subject"  # the person or organisation the data is about
    AUDITOR = "auditor"  # verifies the ledger
    OVERSIGHT = "oversight"  # the superior government (Art. 33): reads supervision decisions


@dataclass(frozen=True)
class Principal:
    subject: str
    organization_id: uuid.UUID | None
    roles: frozenset[Role]

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


def require(actor: Principal | None, *roles: Role) -> Principal:
    """The one permission check: signed in and, if roles are given, holding one of them."""
    if actor is None:
        raise Unauthenticated()
    if roles and not actor.has(*roles):
        names = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"This needs one of the roles: {names}.")
    return actor


class TokenError(Unauthenticated):
    """The token is malformed, expired, or its signature does not verify."""


class Tokens:
    """Signs (embedded mode) and verifies bearer tokens."""

    ALGORITHMS_EXTERNAL = ["RS256", "ES256", "PS256", "EdDSA"]
    CACHE_SIZE = 10_000

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secret = settings.token_secret
        self._jwks = jwt.PyJWKClient(settings.oidc_jwks_url) if settings.oidc_jwks_url else None
        self._verified: dict[str, tuple[Principal, float]] = {}

    @property
    def secret(self) -> str:
        if self._secret is None:
            self._secret = _load_or_create_secret(self.settings.data_dir / "token-secret")
        return self._secret

    def issue(
        self,
        *,
        roles: list[Role],
        org: uuid.UUID | None,
        sub: str | None = None,
        ttl: timedelta = timedelta(hours=12),
    ) -> str:
        if not self.settings.embedded_tokens:
            raise RuntimeError("pdex verifies an external issuer's tokens; it signs none itself")
        issued = now()
        claims: dict[str, Any] = {
            "iss": self.settings.token_issuer,
            "aud": self.settings.token_audience,
            "sub": sub or f"user-{uuid.uuid4()}",
            "org": str(org) if org else None,
            "roles": [r.value for r in roles],
            "iat": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")

    async def verify(self, token: str) -> Principal:
        """The token's principal. A verified token is remembered until it expires: checking
        its signature again on every request cost more than the rest of a small query."""
        cached = self._verified.get(token)
        if cached is not None and cached[1] > now().timestamp():
            return cached[0]
        principal, expires = await self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()  # crude but bounded; refills within a request per client
        self._verified[token] = (principal, expires)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            if self._jwks is None:
                claims = self._decode(token, self.secret, ["HS256"], self.settings.token_issuer)
            else:
                # PyJWKClient fetches and caches keys with blocking I/O: keep it off the loop.
                key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = self._decode(
                    token, key.key, self.ALGORITHMS_EXTERNAL, self.settings.oidc_issuer
                )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("The bearer token has expired.") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise TokenError(f"The bearer token is not valid: {exc}.") from exc
        return principal_from_claims(claims), float(claims["exp"]) + LEEWAY_SECONDS

    def _decode(
        self, token: str, key: Any, algorithms: list[str], issuer: str | None
    ) -> dict[str, Any]:
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=self.settings.token_audience,
            issuer=issuer,
            options={"require": ["exp", "sub"]},
            leeway=LEEWAY_SECONDS,
        )


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    raw_roles = claims.get("roles") or []
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.split()
    try:
        roles = frozenset(Role(r) for r in raw_roles)
        org = uuid.UUID(claims["org"]) if claims.get("org") else None
    except (ValueError, TypeError) as exc:
        raise TokenError(f"The bearer token has bad claims: {exc}.") from exc
    return Principal(subject=str(claims["sub"]), organization_id=org, roles=roles)


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
