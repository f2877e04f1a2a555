"""Column types that behave the same on PostgreSQL and SQLite.

SQLite has no time zones and no exact decimals; these decorators keep the Python side
uniform: datetimes are always aware UTC, money is always `Decimal` (stored as text on
SQLite so no float ever touches it). Money in SQL expressions goes through `money_number`
(compare) and `money_sum` (add), so no domain needs to know which engine it runs on.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamp stored in UTC; naive values are refused so no local time slips in."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pdex stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


CENT = Decimal("0.01")


def to_money(value: Decimal) -> Decimal:
    """A CNY amount as pdex holds and shows it: exactly two decimals (`5000` is `5000.00`),
    on both engines and on the wire (a GraphQL Decimal is `str(value)`)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Money(TypeDecorator[Decimal]):
    """CNY amount: NUMERIC(20, 2) on PostgreSQL, exact text on SQLite; read back always
    with two decimals (`to_money`), whichever engine stored it."""

    impl = sa.Numeric(20, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.Numeric(20, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = to_money(Decimal(value))
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else to_money(Decimal(str(value)))


class _MoneyNumber(TypeDecorator[Decimal]):
    """The type of `money_number(...)`: a Money amount as SQL can compare and add exactly.
    PostgreSQL: the NUMERIC itself. SQLite (money is text there): integer fen, so that
    binds are converted to fen and results back to CNY."""

    impl = sa.BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(38, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = to_money(Decimal(value))
        return int(value * 100) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return to_money(Decimal(int(value)) / 100)
        return to_money(Decimal(str(value)))


class _Number(FunctionElement[Decimal]):
    type = _MoneyNumber()
    inherit_cache = True
    name = "money_number"


@compiles(_Number)
def _number(element: _Number, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(list(element.clauses)[0], **kw))


@compiles(_Number, "sqlite")
def _number_sqlite(element: _Number, compiler: Any, **kw: Any) -> str:
    # Money is text with exactly two decimals ("1234.50"): without its point it is the
    # amount in fen, an exact integer (no double ever holds it).
    return f"CAST(REPLACE({compiler.process(list(element.clauses)[0], **kw)}, '.', '') AS INTEGER)"


def money_number(column: Any) -> sa.ColumnElement[Decimal]:
    """A `Money` column as a number SQL compares exactly on both engines:
    `money_number(Listing.price) >= Decimal("100")` (the bound is converted alike)."""
    return _Number(column)


def money_sum(column: Any) -> sa.ColumnElement[Decimal]:
    """SUM of a `Money` column, exact on both engines, read back as CNY (`Decimal`)."""
    return sa.func.sum(_Number(column), type_=_MoneyNumber())


def enum_column(enum_type: type[enum.Enum], **kwargs: Any) -> sa.Column[Any]:
    """A string column holding an enum's *values* (no native PG enum: renames stay cheap)."""
    return sa.Column(
        sa.Enum(
            enum_type,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        **kwargs,
    )
