"""Who is calling: a `Principal` read from a bearer JWT, and the one permission check.

Tokens carry `sub`, `org` and `roles`. In embedded mode pdex signs its own (HS256, a secret
kept in the data directory); with `PDEX_OIDC_JWKS_URL` set it verifies an external issuer's
RS/PS/ES/EdDSA tokens against that JWKS instead (`core.jwks`) and never signs anything.
Either way the claims are checked strictly and, with a database, against the organisation
the token names (`ROLE_ORGANIZATION_KINDS`).
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt

from core import jwks, organizations
from core.clock import now
from core.errors import AuthError, Forbidden, Unauthenticated
from core.jwks import KeySet
from core.models import OrganizationKind
from core.settings import Settings

if TYPE_CHECKING:
    from core.db import Database

log = logging.getLogger("pdex.auth")

LEEWAY_SECONDS = 30  # clock skew tolerated between pdex and the token issuer


class Role(StrEnum):
    AUTHORITY = "authority"  # the data authority (公共数据主管部门), the regulator
    AGENCY = "agency"  # a public body (公共管理和服务机构)
    BROKER = "broker"  # a data broker (数据经纪人)
    MARKET_ENTITY = "market_entity"  # a firm, university or person trading data
    DATA_SUBJECT = "data_subject"  # the person or organisation the data is about
    AUDITOR = "auditor"  # verifies the ledger


@dataclass(frozen=True)
class Principal:
    subject: str
    organization_id: uuid.UUID | None
    roles: frozenset[Role]
    # When the token it came from stops being accepted (exp + leeway, epoch seconds): a
    # websocket opened with it is closed then. Not part of who the principal is.
    expires_at: float | None = field(default=None, compare=False)

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
    """The token is malformed, expired, or its signature or claims do not check out."""


@dataclass(frozen=True)
class RoleNeeds:
    organization: bool  # the role is only held for an organisation
    kinds: frozenset[OrganizationKind] | None  # the kinds that may hold it (None: any)


# Which organisations may hold each role. A token whose organisation does not exist, or is
# of a kind that may not hold a role it claims, is refused (401): the signature proves who
# issued a token, not that its claims fit the register of organisations.
ROLE_NEEDS: dict[Role, RoleNeeds] = {
    Role.AUTHORITY: RoleNeeds(True, frozenset({OrganizationKind.AUTHORITY})),
    Role.AGENCY: RoleNeeds(True, frozenset({OrganizationKind.AGENCY})),
    Role.BROKER: RoleNeeds(True, frozenset({OrganizationKind.BROKER})),
    Role.MARKET_ENTITY: RoleNeeds(True, frozenset({OrganizationKind.MARKET_ENTITY})),
    # Anyone may audit the ledger; for an organisation, an auditor or the authority.
    Role.AUDITOR: RoleNeeds(
        False, frozenset({OrganizationKind.AUDITOR, OrganizationKind.AUTHORITY})
    ),
    Role.DATA_SUBJECT: RoleNeeds(False, None),  # a person, or any organisation
}


def role_problem(
    roles: frozenset[Role], org: uuid.UUID | None, kind: OrganizationKind | None
) -> str | None:
    """Why these roles may not be held for this organisation (`kind` None: no organisation
    was named, or the one named does not exist), or None when they may."""
    if org is not None and kind is None:
        return f"organisation {org} does not exist"
    for role in sorted(roles):
        needs = ROLE_NEEDS[role]
        if kind is None:
            if needs.organization:
                return f"role {role.value} needs an organisation (org)"
        elif needs.kinds is not None and kind not in needs.kinds:
            return f"role {role.value} may not be held for an organisation of kind {kind.value}"
    return None


class Tokens:
    """Signs (embedded mode) and verifies bearer tokens.

    With a `db`, a verified token's organisation is also checked (it exists, and its kind may
    hold the roles claimed); kinds are remembered for `ORGANIZATION_TTL` seconds."""

    CACHE_SIZE = 10_000
    ORGANIZATION_TTL = 30.0  # how long an organisation's kind (or a change of it) is cached

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db
        self._secret = settings.token_secret
        self.keys = (
            KeySet(settings.oidc_jwks_url, on_removed=self._forget_keys)
            if settings.oidc_jwks_url
            else None
        )
        # token -> (principal, kid it was verified under); expiry is on the principal
        self._verified: dict[str, tuple[Principal, str | None]] = {}
        self._kinds: dict[uuid.UUID, tuple[OrganizationKind | None, float]] = {}

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
        if org is None and (problem := role_problem(frozenset(roles), None, None)):
            raise ValueError(problem)
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
        """The token's principal. A verified token is remembered until it expires (checking
        its signature again on every request cost more than the rest of a small query), or
        until its key leaves the issuer's key set."""
        cached = self._verified.get(token)
        if cached is not None:
            principal, kid = cached
            fresh = principal.expires_at is not None and principal.expires_at > now().timestamp()
            if fresh and (self.keys is None or (kid is not None and self.keys.trusts(kid))):
                await self._check_organization(principal)
                return principal
            del self._verified[token]
        principal, kid = await self._verify(token)
        await self._check_organization(principal)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()  # crude but bounded; refills within a request per client
        self._verified[token] = (principal, kid)
        return principal

    def _forget_keys(self, kids: set[str]) -> None:
        """The issuer dropped these keys: verifications made under them are void."""
        for token, (_, kid) in list(self._verified.items()):
            if kid in kids:
                self._verified.pop(token, None)

    async def _verify(self, token: str) -> tuple[Principal, str | None]:
        kid = None
        try:
            if self.keys is None:
                claims = self._decode(token, self.secret, ["HS256"], self.settings.token_issuer)
            else:
                header = jwt.get_unverified_header(token)
                kid, alg = header.get("kid"), header.get("alg")
                if alg not in jwks.ALGORITHMS:
                    raise TokenError("The bearer token is not valid: its algorithm is not allowed.")
                key = await self.keys.key_for(kid, alg)
                claims = self._decode(token, key.key, [alg], self.settings.oidc_issuer)
            principal = principal_from_claims(claims)
        except AuthError as exc:
            log.info("bearer token refused", extra={"reason": exc.code})
            raise
        except jwt.ExpiredSignatureError:
            log.info("bearer token refused", extra={"reason": "expired"})
            raise TokenError("The bearer token has expired.") from None
        except jwt.PyJWTError as exc:
            log.info("bearer token refused", extra={"reason": type(exc).__name__})
            raise TokenError(f"The bearer token is not valid: {exc}.") from None
        except Exception as exc:  # a key or type error inside the JWT library: still a bad token
            log.info("bearer token refused", extra={"reason": type(exc).__name__})
            raise TokenError("The bearer token is not valid.") from None
        return principal, kid

    def _decode(
        self, token: str, key: Any, algorithms: list[str], issuer: str | None
    ) -> dict[str, Any]:
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=self.settings.token_audience,
            issuer=issuer,
            options={"require": ["exp", "sub", "iss"]},
            leeway=LEEWAY_SECONDS,
        )

    async def _check_organization(self, principal: Principal) -> None:
        if self.db is None:
            return
        kind = await self._kind_of(principal.organization_id)
        problem = role_problem(principal.roles, principal.organization_id, kind)
        if problem:
            log.info("bearer token refused", extra={"reason": "claims"})
            raise TokenError(f"The bearer token has bad claims: {problem}.")

    async def _kind_of(self, org: uuid.UUID | None) -> OrganizationKind | None:
        if org is None or self.db is None:
            return None
        cached = self._kinds.get(org)
        clock = time.monotonic()
        if cached is not None and cached[1] > clock:
            return cached[0]
        async with self.db.read() as session:
            found = (await organizations.get_organizations(session, [org]))[0]
        kind = found.kind if found is not None else None
        if kind is not None:  # an absent one is not remembered: it may be admitted next
            if len(self._kinds) >= self.CACHE_SIZE:
                self._kinds.clear()
            self._kinds[org] = (kind, clock + self.ORGANIZATION_TTL)
        return kind


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Strict claims: `sub` a non-empty string, `org` absent/null or a UUID string, `roles`
    a list of known role names, `exp` a number."""
    sub, org, raw_roles, exp = (claims.get(k) for k in ("sub", "org", "roles", "exp"))
    problem = None
    if not isinstance(sub, str) or not sub.strip():
        problem = "sub must be a non-empty string"
    elif org is not None and not isinstance(org, str):
        problem = "org must be an organisation id (a string)"
    elif not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
        problem = "roles must be a list of role names"
    elif not all(r in Role._value2member_map_ for r in raw_roles):
        problem = "roles names an unknown role"
    elif isinstance(exp, bool) or not isinstance(exp, int | float):
        problem = "exp must be a number"
    organization = None
    if problem is None and org:
        try:
            organization = uuid.UUID(org)
        except ValueError:
            problem = "org must be an organisation id (a UUID)"
    if problem is not None:
        raise TokenError(f"The bearer token has bad claims: {problem}.")
    return Principal(
        subject=sub,  # type: ignore[arg-type]
        organization_id=organization,
        roles=frozenset(Role(r) for r in raw_roles),  # type: ignore[union-attr]
        expires_at=float(exp) + LEEWAY_SECONDS,  # type: ignore[arg-type]
    )


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
