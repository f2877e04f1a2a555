"""Keyset pages: every row once, in (sort, id) order, both ways, ties included."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import now
from core.errors import UserError
from core.models import Organization, OrganizationKind
from core.pagination import _encode_value, decode_cursor, encode_cursor, paginate
from core.validators import make_org_code, make_uscc


async def seed(db) -> list[Organization]:
    start = now()
    # Three rows share a timestamp: the id must break the tie the same way on every page.
    stamps = [start, start, start, start + timedelta(seconds=1), start - timedelta(seconds=1)]
    rows = [
        Organization(
            kind=OrganizationKind.MARKET_ENTITY,
            name=f"Paged {i}",
            uscc=make_uscc("91440700" + make_org_code(uuid.uuid4().hex[:8].upper())),
            created_at=stamp,
        )
        for i, stamp in enumerate(stamps)
    ]
    async with db.transaction() as session:
        session.add_all(rows)
    return rows


async def walk(db, *, newest_first: bool) -> list[uuid.UUID]:
    seen, after = [], None
    statement = sa.select(Organization).where(Organization.name.like("Paged %"))
    while True:
        async with db.read() as session:
            page = await paginate(
                session,
                statement,
                sort=Organization.created_at,
                id_column=Organization.id,
                first=2,
                after=after,
                newest_first=newest_first,
            )
        seen += [row.id for row in page.items]
        if not page.has_next_page:
            return seen
        after = page.cursors[-1]


async def test_pages_cover_every_row_once_in_order_both_ways(fresh_db):
    rows = await seed(fresh_db)
    ascending = [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id))]
    assert await walk(fresh_db, newest_first=False) == ascending
    assert await walk(fresh_db, newest_first=True) == ascending[::-1]


async def test_page_size_and_cursor_are_checked(fresh_db):
    async with fresh_db.read() as session:
        for first, after, code in [(0, None, "PAGE_SIZE_INVALID"), (101, None, "PAGE_SIZE_INVALID"),
                                   (2, "not-a-cursor", "CURSOR_INVALID")]:  # fmt: skip
            with pytest.raises(UserError) as error:
                await paginate(
                    session,
                    sa.select(Organization),
                    sort=Organization.created_at,
                    id_column=Organization.id,
                    first=first,
                    after=after,
                )
            assert error.value.code == code


@pytest.mark.parametrize(
    "sort_value",
    [
        datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 8, 0, 0, 7, tzinfo=UTC),
        now(),
        '名称 "q" \\',
        42,
    ],
)
def test_a_cursor_is_the_json_of_its_values(sort_value):
    """Whatever path makes it, a cursor is base64url of the compact JSON of (sort, id)."""
    for row_id in (uuid.uuid4(), None):
        values = [_encode_value(sort_value), _encode_value(row_id)]
        raw = json.dumps(values, separators=(",", ":")).encode()
        assert encode_cursor(sort_value, row_id) == base64.urlsafe_b64encode(raw).decode().rstrip(
            "="
        )
        assert decode_cursor(encode_cursor(sort_value, row_id)) == (sort_value, row_id)
