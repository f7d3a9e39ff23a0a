"""The schema a new database gets directly is the one the migrations build, on SQLite and
PostgreSQL; a database behind the newest migration is migrated at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from chatkeep.repository.sql.engine import head_revision, open_database, sqlite_url
from chatkeep.repository.sql.migrate import config, upgrade
from test.postgres import ThrowawayPostgres


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "a.sqlite3"), sqlite_url(tmp_path / "b.sqlite3")
    postgres: ThrowawayPostgres = request.getfixturevalue("postgres")
    return await postgres.new_database(), await postgres.new_database()


def shape(connection: Connection) -> dict[str, Any]:
    """Tables with their columns, keys, indexes and unique constraints, and the revision."""
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
        }
    version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return {"tables": tables, "revision": version}


async def shape_of(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(shape)


async def test_a_new_database_has_the_schema_the_migrations_build(
    two_urls: tuple[str, str],
) -> None:
    """create_all plus a stamp gives the same tables, columns, keys and indexes, at the
    same revision, as running every migration from an empty database."""
    migrated_url, created_url = two_urls
    await upgrade(migrated_url)
    migrated = create_async_engine(migrated_url)
    created = await open_database(created_url)
    try:
        assert await shape_of(created) == await shape_of(migrated)
    finally:
        await migrated.dispose()
        await created.dispose()


async def test_an_older_database_is_migrated_at_start(two_urls: tuple[str, str]) -> None:
    """A database left at the first revision reaches the newest when opened."""
    url, _ = two_urls
    await upgrade(url, "0001")
    engine = await open_database(url)
    try:
        assert (await shape_of(engine))["revision"] == head_revision()
        assert "workspace_usage" in (await shape_of(engine))["tables"]
    finally:
        await engine.dispose()


def test_the_head_revision_is_alembics() -> None:
    """The revision a new database is stamped with is the newest migration's."""
    assert head_revision() == ScriptDirectory.from_config(config()).get_current_head()
