"""The data authority admits organisations to the exchange and says what each one is (Art. 5).

An organisation's kind decides who may be a source department, a broker or a regulator, so
admitting one and changing its kind are ledger facts like any other: a fresh ledger begins
with the first authority's admission (`pdex bootstrap`), and every organisation's first
entry is its own admission. The table stays `core.models.Organization`; its read-only
lookups (`core.organizations`) stay below the ledger for the identity check to use.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

import ledger
from authority.errors import Code
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization, OrganizationKind
from core.organizations import find_by_uscc
from core.pagination import Listing, Page, paginate_listing
from core.validators import is_valid_uscc, normalize_uscc

NAME_MAX = 200
REASON_MAX = 2000


def _check(name: str, code: str) -> None:
    problems = []
    if not name:
        problems.append(Problem(Code.NAME_REQUIRED, "Give the organisation's name.", "name"))
    elif len(name) > NAME_MAX:
        problems.append(
            Problem(Code.NAME_TOO_LONG, f"The name is longer than {NAME_MAX} characters.", "name")
        )
    if not is_valid_uscc(code):
        problems.append(
            Problem(
                Code.USCC_INVALID,
                "This is not a valid unified social credit code (GB 32100-2015): "
                "check its 18 characters and the final check character.",
                "uscc",
            )
        )
    if problems:
        raise UserError.of(problems)


async def _admit(
    session: AsyncSession,
    actor: Principal | None,
    *,
    kind: OrganizationKind,
    name: str,
    uscc: str,
) -> Organization:
    """Insert the organisation and append its admission, in the caller's transaction."""
    existing = await find_by_uscc(session, uscc)
    if existing is not None:
        raise _uscc_taken(existing)
    organization = Organization(
        kind=kind, name=name, uscc=uscc, registered_by_id=actor.organization_id if actor else None
    )
    try:
        async with session.begin_nested():  # a concurrent registration of the code may win
            session.add(organization)
            await session.flush()
    except IntegrityError:
        winner = await find_by_uscc(session, uscc)
        if winner is None:
            raise  # not a duplicate code (e.g. a foreign key): never reported as one
        raise _uscc_taken(winner) from None
    await ledger.append(
        session,
        ledger.Kind.ORGANIZATION_ADMITTED,
        actor,
        {
            "organization": str(organization.id),
            "kind": kind.value,
            "name": name,
            "uscc": uscc,  # a public registry fact (GB 32100), not personal data
            "admittedBy": str(organization.registered_by_id)
            if organization.registered_by_id
            else None,
        },
        parties=[organization.id],
    )
    return organization


# Art. 5: the data authority admits organisations to the exchange
async def register_organization(
    session: AsyncSession,
    actor: Principal | None,
    *,
    kind: OrganizationKind,
    name: str,
    uscc: str,
) -> Organization:
    """Art. 5: the data authority admits an organisation; the admission is a ledger fact."""
    actor = require(actor, Role.AUTHORITY)
    name, code = name.strip(), normalize_uscc(uscc)
    _check(name, code)
    return await _admit(session, actor, kind=kind, name=name, uscc=code)


async def bootstrap_authority(session: AsyncSession, *, name: str, uscc: str) -> Organization:
    """The first data authority, which admits every other organisation: admitted by the
    platform itself (the ledger's system actor), so a fresh ledger's first entry is this
    admission. Returns the organisation already holding the code if there is one."""
    name, code = name.strip(), normalize_uscc(uscc)
    _check(name, code)
    existing = await find_by_uscc(session, code)
    if existing is not None:
        return existing
    return await _admit(session, None, kind=OrganizationKind.AUTHORITY, name=name, uscc=code)


# Art. 5: the data authority decides what an organisation is to the exchange
async def reclassify_organization(
    session: AsyncSession,
    actor: Principal | None,
    organization_id: uuid.UUID,
    *,
    kind: OrganizationKind,
    reason: str,
) -> Organization:
    """The data authority changes what an organisation is (e.g. a firm licensed as a broker
    becomes a BROKER); a ledger fact naming the kind before and after, and why."""
    actor = require(actor, Role.AUTHORITY)
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise UserError(Code.REASON_REQUIRED, f"Say why, in 1-{REASON_MAX} characters.", "reason")
    organization = await session.scalar(
        sa.select(Organization).where(Organization.id == organization_id).with_for_update()
    )
    if organization is None:
        raise UserError(Code.ORGANIZATION_NOT_FOUND, "No organisation has this id.", "organization")
    before = organization.kind
    if before is kind:
        raise UserError(Code.NOTHING_CHANGED, f"The organisation is {kind.value} already.", "kind")
    if before is OrganizationKind.AUTHORITY:
        others = await session.scalar(
            sa.select(sa.func.count()).where(
                Organization.kind == OrganizationKind.AUTHORITY, Organization.id != organization.id
            )
        )
        if not others:
            raise UserError(
                Code.LAST_AUTHORITY,
                "This is the only data authority; admit another before changing it.",
                "kind",
            )
    organization.kind = kind
    await session.flush()
    await ledger.append(
        session,
        ledger.Kind.ORGANIZATION_RECLASSIFIED,
        actor,
        {
            "organization": str(organization.id),
            "from": before.value,
            "to": kind.value,
            "reason": reason,
        },
        parties=[organization.id],
    )
    return organization


def _uscc_taken(existing: Organization) -> UserError:
    return UserError(
        Code.USCC_TAKEN,
        f"The credit code {existing.uscc} is already registered to {existing.name}.",
        "uscc",
    )


# Built once: an `aliased()` per request cost ~12 % of the organisation page's CPU (the alias
# and the statement's cache key re-inspected the mapped class for every column; issue 14).
_REGISTRANT = aliased(Organization, name="registrant")


def organization_listing(kind: OrganizationKind | None) -> Listing:
    """Organisations by name, of `kind` if given. Names and credit codes are public registry
    facts (Art. 26): any signed-in caller sees them all."""
    statement = sa.select(Organization)
    if kind is not None:
        statement = statement.where(Organization.kind == kind)
    return Listing(statement, sort=Organization.name, id_column=Organization.id)


async def list_organizations(
    session: AsyncSession,
    *,
    kind: OrganizationKind | None,
    first: int,
    after: str | None,
) -> Page[tuple[Organization, Organization | None]]:
    """`organization_listing`, each with the organisation that registered it, in one
    statement."""
    listing = organization_listing(kind)
    statement = listing.statement.add_columns(_REGISTRANT).outerjoin(
        _REGISTRANT, Organization.registered_by_id == _REGISTRANT.id
    )
    return await paginate_listing(
        session, replace(listing, statement=statement), first=first, after=after
    )
