"""Keyset pagination: the one way pdex pages through rows.

A cursor is the sort key plus the row id of the last row seen, so page 1,000 costs what
page 1 costs (an index seek, never an OFFSET scan). Cursors are opaque base64 to callers.
"""

from __future__ import annotations

import base64
import json
import operator
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from core.db import AsyncSession
from core.errors import Code, UserError

T = TypeVar("T")

PAGE_SIZE_CAP = 100  # DESIGN.md: connections cap `first` at 100, as GitHub does


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def check_page_size(first: int) -> int:
    if not 1 <= first <= PAGE_SIZE_CAP:
        raise UserError(
            Code.PAGE_SIZE_INVALID, f"`first` must be between 1 and {PAGE_SIZE_CAP}.", "first"
        )
    return first


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "u" in value:
        return uuid.UUID(value["u"])
    return value


def encode_cursor(sort_value: Any, row_id: Any) -> str:
    if isinstance(sort_value, datetime) and isinstance(row_id, uuid.UUID):
        # the commonest cursor, as `json.dumps` writes it (both texts are plain ASCII): a page
        # makes one a row, and `json.dumps` was most of a 20-row page's cursor cost (issue 14)
        raw = f'[{{"t":"{sort_value.isoformat()}"}},{{"u":"{row_id}"}}]'
    elif isinstance(sort_value, str) and isinstance(row_id, uuid.UUID):
        # a name and an id (the organisation page): only the name needs JSON's escapes
        raw = f'[{json.dumps(sort_value)},{{"u":"{row_id}"}}]'
    else:
        values = [_encode_value(sort_value), _encode_value(row_id)]
        raw = json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort_value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return _decode_value(sort_value), _decode_value(row_id)
    except (ValueError, TypeError) as exc:
        raise _bad_cursor() from exc


def _bad_cursor() -> UserError:
    return UserError(Code.CURSOR_INVALID, "The `after` cursor is not one pdex issued.", "after")


def _fits(column: InstrumentedAttribute[Any], value: Any) -> bool:
    """A cursor value must have its column's Python type, or the database would choke on it."""
    python_type = column.type.python_type
    return isinstance(value, python_type) and not isinstance(value, bool)


@dataclass(frozen=True)
class Listing:
    """What a domain's `list_*` pages: a statement (the caller's visibility and filters in its
    WHERE) and its keyset order. `paginate` runs it for the resolvers; `page_statement` is
    the same page as a statement, for a reader that picks its own columns (core.jsonread)."""

    statement: sa.Select[Any]
    sort: InstrumentedAttribute[Any]
    id_column: InstrumentedAttribute[Any] | None = None
    newest_first: bool = False

    def cursor(self, sort_value: Any, row_id: Any) -> str:
        return encode_cursor(sort_value, row_id if self.id_column is not None else None)


# The bound values of a page (`page_values`) by the names `keyset_statement` gives them.
AFTER_SORT, AFTER_ID, PAGE_LIMIT = "pdex_after_sort", "pdex_after_id", "pdex_page_limit"


def page_values(listing: Listing, *, first: int, after: str | None) -> dict[str, Any]:
    """What a page of `listing` binds: `first + 1` rows (the extra one tells whether a next
    page exists) and, after the cursor `after`, its sort key and id (checked against their
    columns' types)."""
    check_page_size(first)
    values: dict[str, Any] = {PAGE_LIMIT: first + 1}
    if after is not None:
        sort_value, row_id = decode_cursor(after)
        id_column = listing.id_column
        if not _fits(listing.sort, sort_value) or (
            id_column is not None and not _fits(id_column, row_id)
        ):
            raise _bad_cursor()
        values[AFTER_SORT] = sort_value
        if id_column is not None:
            values[AFTER_ID] = row_id
    return values


def keyset_statement(listing: Listing, values: dict[str, Any]) -> sa.Select[Any]:
    """`listing.statement` ordered by (sort, id), ascending or (`newest_first`) descending,
    after the cursor in `values` if any, limited: `values` as bound parameters named as
    `page_values` names them, so that a reader may run the same SQL with another page's.

    `id_column` breaks ties; leave it out when `sort` is unique (a sequence number). A
    descending page walks the same (sort, id) index backwards.
    """
    statement, sort, id_column = listing.statement, listing.sort, listing.id_column
    if AFTER_SORT in values:
        beyond = operator.lt if listing.newest_first else operator.gt
        sort_value = sa.bindparam(AFTER_SORT, values[AFTER_SORT], type_=sort.type)
        if id_column is None:
            statement = statement.where(beyond(sort, sort_value))
        else:
            row_id = sa.bindparam(AFTER_ID, values[AFTER_ID], type_=id_column.type)
            statement = statement.where(
                sa.or_(
                    beyond(sort, sort_value), sa.and_(sort == sort_value, beyond(id_column, row_id))
                )
            )
    order = [sort] if id_column is None else [sort, id_column]
    if listing.newest_first:
        order = [column.desc() for column in order]
    limit = sa.bindparam(PAGE_LIMIT, values[PAGE_LIMIT], type_=sa.Integer)
    return statement.order_by(*order).limit(limit)


def page_statement(listing: Listing, *, first: int, after: str | None) -> sa.Select[Any]:
    """One page of `listing` after `after` as a statement (`keyset_statement`)."""
    return keyset_statement(listing, page_values(listing, first=first, after=after))


async def paginate(
    session: AsyncSession,
    statement: sa.Select[Any],
    *,
    sort: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any] | None = None,
    first: int,
    after: str | None = None,
    newest_first: bool = False,
) -> Page[Any]:
    """Run `statement` one page after `after` (`page_statement`), in one statement."""
    listing = Listing(statement, sort, id_column, newest_first)
    return await paginate_listing(session, listing, first=first, after=after)


async def paginate_listing(
    session: AsyncSession, listing: Listing, *, first: int, after: str | None = None
) -> Page[Any]:
    statement = page_statement(listing, first=first, after=after)
    result = await session.execute(statement)
    # One entity: the rows are models. Several (a page joined to a relation, fetched in the
    # same statement): the rows are tuples, and the first entity carries the sort key.
    joined = len(statement.column_descriptions) > 1
    rows = list(result.all() if joined else result.scalars().all())
    has_next = len(rows) > first
    rows = rows[:first]
    keyed = [row[0] for row in rows] if joined else rows
    sort, id_column = listing.sort, listing.id_column
    cursors = [
        encode_cursor(getattr(row, sort.key), getattr(row, id_column.key) if id_column else None)
        for row in keyed
    ]
    return Page(rows, cursors, has_next_page=has_next, has_previous_page=after is not None)
