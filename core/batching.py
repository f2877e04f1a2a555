"""Batch getters for DataLoaders: one statement per batch, one result per key in the keys'
order. `fetch_by_ids` and `fetch_children` are the two shapes every domain's getters take;
`one_each` and `many_each` shape rows a getter selected itself (a join, a computed row)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from core.db import AsyncSession

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
M = TypeVar("M")


def one_each(keys: Sequence[K], rows: Iterable[T], key: Callable[[T], K]) -> list[T | None]:
    """The row for each key (None where there is none)."""
    by_key = {key(row): row for row in rows}
    return [by_key.get(k) for k in keys]


def many_each(keys: Sequence[K], rows: Iterable[T], key: Callable[[T], K]) -> list[list[T]]:
    """The rows for each key, in the order the query returned them."""
    grouped: dict[K, list[T]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return [grouped.get(k, []) for k in keys]


async def fetch_by_ids(
    session: AsyncSession,
    model: type[M],
    ids: Sequence[uuid.UUID],
    *where: sa.ColumnElement[bool],
) -> list[M | None]:
    """The row of `model` for each id that passes `where` (None for the others): what every
    `get_<things>(session, actor, ids)` batch getter is, with the domain's `visible_to(actor)`
    as `where`."""
    result = await session.execute(sa.select(model).where(model.id.in_(set(ids)), *where))  # type: ignore[attr-defined]
    return one_each(ids, result.scalars(), lambda row: row.id)  # type: ignore[attr-defined]


async def fetch_children(
    session: AsyncSession,
    parent: Any,
    parent_ids: Sequence[uuid.UUID],
    *,
    order_by: Sequence[Any] = (),
) -> list[list[Any]]:
    """The rows whose `parent` column (e.g. `AssetSource.asset_id`) holds each id, in
    `order_by` order: what every `<things>_of(session, parent_ids)` batch getter is."""
    model = parent.class_
    result = await session.execute(
        sa.select(model).where(parent.in_(set(parent_ids))).order_by(*order_by)
    )
    return many_each(parent_ids, result.scalars(), lambda row: getattr(row, parent.key))
