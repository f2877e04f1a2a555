"""Money in SQL: `money_number` compares and `money_sum` adds exactly on both engines (on
SQLite money is text; a double would round amounts of 2^53 fen and more, and 0.1 + 0.2)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from core.sqltypes import Money, money_number, money_sum

AMOUNTS = ["0.10", "0.20", "99.99", "100.00", "100.01", "90071992547409.93"]


async def test_money_compares_and_adds_exactly(fresh_db):
    table = sa.Table("money_probe", sa.MetaData(), sa.Column("amount", Money(), nullable=False))
    async with fresh_db.writer.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
        await conn.execute(table.insert(), [{"amount": Decimal(a)} for a in AMOUNTS])
    async with fresh_db.read() as session:
        amount = money_number(table.c.amount)
        between = sa.select(table.c.amount).where(
            amount >= Decimal("99.99"), amount <= Decimal("100.005")
        )
        assert sorted((await session.scalars(between)).all()) == [
            Decimal("99.99"),
            Decimal("100.00"),
            Decimal("100.01"),  # the bound is money too: 100.005 rounds half up to 100.01
        ]
        above = sa.select(table.c.amount).where(amount > Decimal("90071992547409.92"))
        assert (await session.scalars(above)).all() == [Decimal("90071992547409.93")]
        small = sa.select(money_sum(table.c.amount)).where(amount < Decimal("1"))
        assert await session.scalar(small) == Decimal("0.30")
        total = await session.scalar(sa.select(money_sum(table.c.amount)))
        assert total == sum(Decimal(a) for a in AMOUNTS)
        assert str(total) == "90071992547710.23"
