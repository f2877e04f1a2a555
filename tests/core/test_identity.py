"""Bearer tokens: embedded HS256 signing, and verification against an external JWKS."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import jwt
import pytest

from core.errors import Forbidden, Unauthenticated
from core.identity import Principal, Role, TokenError, Tokens, require
from tests.oidc import ISSUER, IdentityProvider


async def test_embedded_token_round_trip(settings):
    tokens = Tokens(settings)
    org = uuid.uuid4()
    principal = await tokens.verify(
        tokens.issue(roles=[Role.AGENCY, Role.AUDITOR], org=org, sub="alice")
    )
    assert principal == Principal("alice", org, frozenset({Role.AGENCY, Role.AUDITOR}))


@pytest.mark.slow  # waits 2 s for a token to expire; no database: once is enough
async def test_a_remembered_token_still_expires(settings):
    """Verified tokens are cached (the signature check is dear), but only until they expire:
    this one is inside the 30 s leeway for 1-2 seconds, then it must be refused."""
    tokens = Tokens(settings)
    token = tokens.issue(roles=[Role.AUDITOR], org=None, sub="bob", ttl=timedelta(seconds=-28))
    assert (await tokens.verify(token)).subject == "bob"
    assert (await tokens.verify(token)).subject == "bob"  # from the cache
    await asyncio.sleep(2.1)  # exp is whole seconds: 1-2 s of leeway were left
    with pytest.raises(TokenError, match="expired"):
        await tokens.verify(token)


async def test_expired_bad_signature_and_garbage_are_refused(settings):
    tokens = Tokens(settings)
    expired = tokens.issue(roles=[Role.AUDITOR], org=None, ttl=timedelta(seconds=-120))
    with pytest.raises(TokenError, match="expired"):
        await tokens.verify(expired)
    other = Tokens(replace(settings, token_secret="another-secret-entirely-000000000000"))
    with pytest.raises(TokenError, match="not valid"):
        await tokens.verify(other.issue(roles=[Role.AUDITOR], org=None))
    with pytest.raises(TokenError):
        await tokens.verify("not.a.jwt")
    unknown_role = jwt.encode(
        {
            "sub": "x",
            "roles": ["emperor"],
            "exp": int(time.time()) + 60,
            "iss": "pdex",
            "aud": "pdex",
        },
        tokens.secret,
        algorithm="HS256",
    )
    with pytest.raises(TokenError, match="bad claims"):
        await tokens.verify(unknown_role)


async def test_external_issuer_jwks(settings):
    """Verification against a real local identity provider (tests/oidc.py); the refusal
    matrix is in tests/server/test_oidc.py."""
    with IdentityProvider() as idp:
        tokens = Tokens(replace(settings, oidc_jwks_url=idp.url, oidc_issuer=ISSUER))
        org = uuid.uuid4()
        token = idp.token(sub="bob", org=str(org), roles=["broker", "auditor"])
        principal = await tokens.verify(token)  # no database: the organisation is not looked up
        assert principal == Principal("bob", org, frozenset({Role.BROKER, Role.AUDITOR}))
        with pytest.raises(RuntimeError):  # production never signs its own tokens
            tokens.issue(roles=[Role.AUDITOR], org=None)
        # An HS256 token made with the embedded secret is no good against the external issuer.
        with pytest.raises(TokenError):
            await tokens.verify(Tokens(settings).issue(roles=[Role.AUDITOR], org=None))
        with pytest.raises(TokenError):
            await tokens.verify(idp.token(iss="https://evil"))


def test_require():
    agency = Principal("a", None, frozenset({Role.AGENCY}))
    assert require(agency) is agency
    assert require(agency, Role.AGENCY, Role.AUTHORITY) is agency
    with pytest.raises(Forbidden, match="authority"):
        require(agency, Role.AUTHORITY)
    with pytest.raises(Unauthenticated):
        require(None)


async def test_claims_are_checked_against_the_organisation(settings, db, make_caller, new_uscc):
    """Issue 10 §5: the organisation must exist and be of a kind that may hold the roles
    claimed; its kind is cached briefly, so a change of kind takes effect within the TTL,
    and a newly admitted organisation is usable at once (absence is not cached)."""
    import sqlalchemy as sa

    from core.models import Organization, OrganizationKind

    tokens = Tokens(settings, db)
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    assert (await tokens.verify(firm.token)).organization_id == firm.org_id
    as_authority = tokens.issue(roles=[Role.AUTHORITY], org=firm.org_id)
    with pytest.raises(TokenError, match="may not be held for an organisation of kind"):
        await tokens.verify(as_authority)
    ghost = uuid.uuid4()
    with pytest.raises(TokenError, match="does not exist"):
        await tokens.verify(tokens.issue(roles=[Role.BROKER], org=ghost))
    async with db.transaction() as session:
        session.add(
            Organization(id=ghost, kind=OrganizationKind.BROKER, name="Late", uscc=new_uscc())
        )
    assert (await tokens.verify(tokens.issue(roles=[Role.BROKER], org=ghost))).has(Role.BROKER)
    async with db.transaction() as session:
        await session.execute(
            sa.update(Organization)
            .where(Organization.id == firm.org_id)
            .values(kind=OrganizationKind.BROKER)
        )
    assert (await tokens.verify(firm.token)).has(Role.MARKET_ENTITY)  # cached kind
    tokens._kinds.clear()  # as when ORGANIZATION_TTL has passed
    with pytest.raises(TokenError, match="market_entity may not be held"):
        await tokens.verify(firm.token)
    assert Tokens.ORGANIZATION_TTL == 30.0


async def test_strict_claim_types(settings, db):
    tokens = Tokens(settings, db)
    base = {
        "iss": "pdex",
        "aud": "pdex",
        "sub": "x",
        "roles": ["auditor"],
        "exp": int(time.time()) + 60,
    }
    bad = {
        "org a number": {"org": 12345},
        "roles a mapping": {"roles": {"authority": True}},
        "roles a string": {"roles": "auditor"},
        "empty sub": {"sub": ""},
        "blank sub": {"sub": "  "},
        "sub a number": {"sub": 7},
        "org not a uuid": {"org": "acme"},
        "no roles": {"roles": None},
    }
    for label, change in bad.items():
        token = jwt.encode({**base, **change}, tokens.secret, algorithm="HS256")
        with pytest.raises(TokenError):
            await tokens.verify(token)
            pytest.fail(label)
    ok = jwt.encode(base, tokens.secret, algorithm="HS256")
    assert (await tokens.verify(ok)).roles == {Role.AUDITOR}
