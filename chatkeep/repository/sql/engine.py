"""Opening the metadata database: the engine, its connection settings, the schema.

A new database gets the current schema directly (`create_all`) and is stamped with the
newest migration, as Alembic recommends; one at that revision is used as it is; only
one behind it is migrated, by Alembic, in a separate process (migrate.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from chatkeep.repository.sql.schema import metadata

VERSIONS = Path(__file__).parent / "migrations" / "versions"
URL_VARIABLE = "CHATKEEP_MIGRATE_URL"
MIGRATION_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('chatkeep:migrate', 0))")

# Alembic's own bookkeeping table, as Alembic makes it.
alembic_version = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def head_revision() -> str:
    """The newest migration: revisions are numbered, and named after their number."""
    numbers = [m.group(1) for p in VERSIONS.iterdir() if (m := re.match(r"(\d{4})_", p.name))]
    return max(numbers)


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite database at `path` (aiosqlite driver)."""
    return f"sqlite+aiosqlite:///{path}"


def sqlite_settings(engine: AsyncEngine) -> None:
    """Set chatkeep's pragmas on every new connection of `engine`, if it is SQLite."""
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)


async def open_database(url: str) -> AsyncEngine:
    """An engine on `url` with the schema at the newest revision."""
    engine = create_async_engine(url, **_pool(url))
    sqlite_settings(engine)
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Replicas starting together set up the schema one at a time (released at commit).
            await connection.execute(MIGRATION_LOCK)
        current = await connection.run_sync(_revision)
        if current is None:
            await connection.run_sync(_create_at_head)
    if current not in (None, head_revision()):
        await asyncio.to_thread(_migrate_elsewhere, url)
    return engine


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database, for the readiness check: reads Alembic's revision
    from the store's own table rather than `SELECT 1`, which a SQLite connection answers
    without reading its file. Raises whatever the driver raises when it cannot."""
    async with engine.connect() as connection:
        await connection.execute(select(alembic_version.c.version_num))


def _pool(url: str) -> dict[str, int]:
    if url.startswith("sqlite"):
        # One writer and, mirrored, few readers: each connection is a thread and a page
        # cache, so a couple suffice.
        return {"pool_size": 2, "max_overflow": 2}
    # Every read is a query: a pool smaller than the requests in flight opens and closes
    # a connection (TLS attempt and authentication included) for nearly each of them.
    return {"pool_size": 20, "max_overflow": 20}


def _revision(connection: Connection) -> str | None:
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    return connection.execute(select(alembic_version.c.version_num)).scalar()


def _create_at_head(connection: Connection) -> None:
    metadata.create_all(connection)
    alembic_version.create(connection)
    connection.execute(alembic_version.insert().values(version_num=head_revision()))


def _migrate_elsewhere(url: str) -> None:
    command = [sys.executable, "-m", "chatkeep.repository.sql.migrate"]
    environment = {**os.environ, URL_VARIABLE: url}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    # WAL lets readers run beside the one writer; FULL makes each commit durable before
    # the answer that reports it; the busy timeout queues writers instead of failing them.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "busy_timeout=10000",
        "foreign_keys=ON",
        "cache_size=-1024",  # KiB: memory reads are the mirror's job
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
