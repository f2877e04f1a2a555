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
    raw = json.dumps([_encode_value(sort_value), _encode_value(row_id)], separators=(",", ":"))
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
    """Run `statement` ordered by (sort, id), ascending or (`newest_first`) descending, one
    page after `after`.

    `id_column` breaks ties; leave it out when `sort` is unique (a sequence number).
    Fetches `first + 1` rows in one statement to learn whether a next page exists. A
    descending page walks the same (sort, id) index backwards.
    """
    check_page_size(first)
    if after is not None:
        sort_value, row_id = decode_cursor(after)
        if not _fits(sort, sort_value) or (id_column is not None and not _fits(id_column, row_id)):
            raise _bad_cursor()
        beyond = operator.lt if newest_first else operator.gt
        if id_column is None:
            statement = statement.where(beyond(sort, sort_value))
        else:
            statement = statement.where(
                sa.or_(
                    beyond(sort, sort_value),
                    sa.and_(sort == sort_value, beyond(id_column, row_id)),
                )
            )
    order = [sort] if id_column is None else [sort, id_column]
    if newest_first:
        order = [column.desc() for column in order]
    statement = statement.order_by(*order).limit(first + 1)
    result = await session.execute(statement)
    # One entity: the rows are models. Several (a page joined to a relation, fetched in the
    # same statement): the rows are tuples, and the first entity carries the sort key.
    joined = len(statement.column_descriptions) > 1
    rows = list(result.all() if joined else result.scalars().all())
    has_next = len(rows) > first
    rows = rows[:first]
    keyed = [row[0] for row in rows] if joined else rows
    cursors = [
        encode_cursor(getattr(row, sort.key), getattr(row, id_column.key) if id_column else None)
        for row in keyed
    ]
    return Page(rows, cursors, has_next_page=has_next, has_previous_page=after is not None)
