"""Shaping one query's rows for a DataLoader: one result per key, in the keys' order."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


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
