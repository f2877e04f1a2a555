"""Read-only lookups of organisations (the `core.models.Organization` table), below the
ledger so the identity check can use them. Admitting an organisation and changing its kind
are the data authority's use cases, ledger facts: `authority.organizations`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from core.batching import fetch_by_ids
from core.db import AsyncSession
from core.models import Organization
from core.validators import normalize_uscc


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
