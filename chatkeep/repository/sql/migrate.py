"""Alembic migrations, run in a process of their own: importing Alembic costs ~10 MB of
resident memory that a server should not carry for the rest of its life.

    CHATKEEP_MIGRATE_URL=… python -m chatkeep.repository.sql.migrate

(The URL comes through the environment: a command line would show its password to
every user of the machine.)
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from chatkeep.repository.sql.engine import MIGRATION_LOCK, URL_VARIABLE, sqlite_settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (Alembic; on PostgreSQL under an advisory
    lock, so replicas starting together migrate once)."""
    engine = create_async_engine(url)
    sqlite_settings(engine)
    try:
        async with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(MIGRATION_LOCK)
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(config(connection), revision)


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for chatkeep's migrations, on `connection` when given."""
    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS))
    settings.attributes["connection"] = connection
    return settings


def main() -> None:
    """Migrate the database named by the URL_VARIABLE environment variable; exits 1 on failure."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        asyncio.run(upgrade(os.environ[URL_VARIABLE]))
    except Exception as error:
        print(f"migration failed: {error}".splitlines()[0], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
