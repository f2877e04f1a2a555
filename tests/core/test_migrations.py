"""Migrations: an empty database goes up to head and back down, and the models match."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import migrations.models  # noqa: F401
from core import migrate
from core.db import Database


@pytest.fixture
async def empty_db(fresh_settings):
    db = Database(fresh_settings)
    yield db
    await db.dispose()


async def tables(db: Database) -> set[str]:
    async with db.writer.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names())) - {
            "alembic_version"
        }


async def test_up_down_up_and_models_match(empty_db):
    assert await migrate.current_revision(empty_db.writer) is None
    await migrate.upgrade(empty_db.writer)
    assert await migrate.is_current(empty_db.writer)
    assert await tables(empty_db) == set(SQLModel.metadata.tables)

    async with empty_db.writer.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata
            )
        )
    assert diff == [], f"models and migrations differ: {diff}"

    await migrate.downgrade(empty_db.writer, "base")
    assert await tables(empty_db) == set()
    await migrate.upgrade(empty_db.writer)
    assert await migrate.current_revision(empty_db.writer) == migrate.head_revision()


def test_history_is_linear():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    assert all(len(rev._all_down_revisions) <= 1 for rev in script.walk_revisions())
