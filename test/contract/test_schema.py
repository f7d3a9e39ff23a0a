"""The schema a new database gets directly is the one the migrations build, on SQLite and
PostgreSQL; a database behind the newest migration is migrated at start-up."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from chatkeep.bootstrap.metadata import in_database
from chatkeep.domain.chat import ChatAttachmentName, ChatFile
from chatkeep.repository.sql.engine import head_revision, open_database, sqlite_url
from chatkeep.repository.sql.migrate import config, upgrade
from chatkeep.repository.sql.schema import EPOCH
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


async def test_existing_rows_are_numbered_in_their_old_order(two_urls: tuple[str, str]) -> None:
    """Migrating to 0003 numbers each workspace's chats and each chat's files from 1 in
    the order they were created (their row ordinal), apart from other scopes' rows."""
    url, _ = two_urls
    await upgrade(url, "0002")
    engine = create_async_engine(url)
    rows = [("w1", "c1"), ("w2", "c2"), ("w1", "c3"), ("w1", "c4"), ("w2", "c5")]
    async with engine.begin() as connection:
        for workspace, chat in rows:
            await connection.exec_driver_sql(
                "INSERT INTO chats (chat_id, workspace_id, status, created_at, updated_at)"
                f" VALUES ('{chat}', '{workspace}', 'active', 1, 1)"
            )
            await connection.exec_driver_sql(
                "INSERT INTO chat_files (file_id, chat_id, name, size_bytes, sha256,"
                f" created_at) VALUES ('f-{chat}', '{chat if chat != 'c5' else 'c1'}',"
                f" '{chat}', 0, '', 1)"
            )
    await engine.dispose()
    await upgrade(url)
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        chats = await connection.exec_driver_sql("SELECT chat_id, seq FROM chats ORDER BY chat_id")
        files = await connection.exec_driver_sql(
            "SELECT file_id, seq FROM chat_files ORDER BY file_id"
        )
        assert [tuple(row) for row in chats] == [
            ("c1", 1), ("c2", 1), ("c3", 2), ("c4", 3), ("c5", 2)
        ]  # fmt: skip
        assert [tuple(row) for row in files] == [
            ("f-c1", 1), ("f-c2", 1), ("f-c3", 1), ("f-c4", 1), ("f-c5", 2)
        ]  # fmt: skip
    await engine.dispose()


async def test_a_page_of_files_reads_one_index_range_without_sorting(
    two_urls: tuple[str, str],
) -> None:
    """The query behind a page of a chat's files walks the (chat_id, created_at, seq) index
    from the cursor and stops after the page: no scan of the chat, no sort (SQLite's and
    PostgreSQL's plans, the latter with sequential scans off, its table being tiny)."""
    url, _ = two_urls
    engine = await open_database(url)
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        if "FROM chat_files" in sql and "LIMIT" in sql:
            statements.append((sql, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        files = in_database(engine).files
        chat_id = uuid.uuid4()
        made = [
            ChatFile(uuid.uuid4(), chat_id, ChatAttachmentName(f"{n}"), None, 1, "0" * 64, EPOCH)
            for n in range(3)
        ]
        await files.save_all(made)
        _, after = await files.list_page(chat_id, after=None, limit=1)
        await files.list_page(chat_id, after=after, limit=1)
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        assert len(statements) == 2
        async with engine.connect() as connection:
            for sql, parameters in statements:
                plan = await _plan(connection, sql, parameters)
                assert "chat_files_by_chat_created" in plan, plan
                assert "TEMP B-TREE" not in plan.upper(), plan
                assert "Sort" not in plan, plan
            # The cursor is where the range starts, not a filter over the rows before it.
            bounds = [line for line in plan.splitlines() if "SEARCH" in line or "Cond" in line]
            assert any("created_at" in line for line in bounds), plan
    finally:
        await engine.dispose()


async def _plan(connection: Any, sql: str, parameters: Any) -> str:
    if connection.dialect.name == "sqlite":
        rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    await connection.exec_driver_sql("SET enable_seqscan = off")
    rows = await connection.exec_driver_sql(f"EXPLAIN {sql}", parameters)
    return "\n".join(str(row[0]) for row in rows)


async def test_migrating_to_0004_leaves_quotas_unset_and_usage_to_count(
    two_urls: tuple[str, str],
) -> None:
    """Migrating to 0004 gives existing workspaces no inode quota of their own (NULL: the
    service's default applies) and forgets their usage, so that the next read counts
    bytes and inodes on disk together."""
    url, _ = two_urls
    await upgrade(url, "0003")
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO workspaces (workspace_id, user_id, created_at, quota_bytes)"
            " VALUES ('w1', 'u1', 1, 10)"
        )
        await connection.exec_driver_sql(
            "INSERT INTO workspace_usage (workspace_id, used_bytes, generation) VALUES ('w1', 7, 3)"
        )
    await engine.dispose()
    await upgrade(url)
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        workspace = await connection.exec_driver_sql(
            "SELECT quota_bytes, quota_inodes FROM workspaces"
        )
        usage = await connection.exec_driver_sql(
            "SELECT used_bytes, used_inodes, generation FROM workspace_usage"
        )
        assert tuple(workspace.one()) == (10, None)
        assert tuple(usage.one()) == (None, None, 4)
    await engine.dispose()
