"""Opening the metadata database: the engine, its connection settings, the migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('chatkeep:migrate', 0))")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def open_database(url: str) -> AsyncEngine:
    """An engine on `url` with the schema migrated to the newest revision."""
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_settings)
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Replicas starting together migrate one at a time (released at commit).
            await connection.execute(_MIGRATION_LOCK)
        await connection.run_sync(_migrate)
    return engine


def _sqlite_settings(dbapi_connection: Any, record: Any) -> None:
    # WAL lets readers run beside the one writer; FULL makes each commit durable before
    # the answer that reports it; the busy timeout queues writers instead of failing them.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "busy_timeout=10000",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _migrate(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
