"""Use cases for organisations: register one, look them up, page through them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from core.batching import fetch_by_ids
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization, OrganizationKind
from core.pagination import Page, paginate
from core.validators import is_valid_uscc, normalize_uscc

NAME_MAX = 200


async def register_organization(
    session: AsyncSession,
    actor: Principal | None,
    *,
    kind: OrganizationKind,
    name: str,
    uscc: str,
) -> Organization:
    """Art. 5: the data authority admits organisations to the exchange."""
    actor = require(actor, Role.AUTHORITY)
    name = name.strip()
    code = normalize_uscc(uscc)
    problems = []
    if not name:
        problems.append(Problem("NAME_REQUIRED", "Give the organisation's name.", "name"))
    elif len(name) > NAME_MAX:
        problems.append(
            Problem("NAME_TOO_LONG", f"The name is longer than {NAME_MAX} characters.", "name")
        )
    if not is_valid_uscc(code):
        problems.append(
            Problem(
                "USCC_INVALID",
                "This is not a valid unified social credit code (GB 32100-2015): "
                "check its 18 characters and the final check character.",
                "uscc",
            )
        )
    if problems:
        raise UserError.of(problems)
    existing = await find_by_uscc(session, code)
    if existing is not None:
        raise _uscc_taken(existing)
    organization = Organization(
        kind=kind, name=name, uscc=code, registered_by_id=actor.organization_id
    )
    session.add(organization)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same code won the race
        raise UserError(
            "USCC_TAKEN", "An organisation with this credit code is already registered.", "uscc"
        ) from exc
    return organization


def _uscc_taken(existing: Organization) -> UserError:
    return UserError(
        "USCC_TAKEN",
        f"The credit code {existing.uscc} is already registered to {existing.name}.",
        "uscc",
    )


async def find_by_uscc(session: AsyncSession, uscc: str) -> Organization | None:
    result = await session.execute(
        sa.select(Organization).where(Organization.uscc == normalize_uscc(uscc))
    )
    return result.scalar_one_or_none()


async def get_organizations(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[Organization | None]:
    """Organisations in the order of `ids` (None where absent): the DataLoader's batch call."""
    if not ids:
        return []
    return await fetch_by_ids(session, Organization, ids)


async def list_organizations(
    session: AsyncSession,
    *,
    kind: OrganizationKind | None,
    first: int,
    after: str | None,
) -> Page[tuple[Organization, Organization | None]]:
    """Organisations by name, each with the organisation that registered it, in one statement.
    Names and credit codes are public registry facts (Art. 26)."""
    registrant = aliased(Organization)
    statement = sa.select(Organization, registrant).outerjoin(
        registrant, Organization.registered_by_id == registrant.id
    )
    if kind is not None:
        statement = statement.where(Organization.kind == kind)
    return await paginate(
        session,
        statement,
        sort=Organization.name,
        id_column=Organization.id,
        first=first,
        after=after,
    )
