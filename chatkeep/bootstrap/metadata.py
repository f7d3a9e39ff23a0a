"""Where metadata lives: `memory`, `sqlite` (a file in the data directory) or a database
URL; each gives the same four repositories."""

from __future__ import annotations

import asyncio
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chatkeep.repository.chat import InMemoryChatRepository
from chatkeep.repository.chat_file import InMemoryChatFileRepository
from chatkeep.repository.sandbox_session import InMemorySandboxSessionRepository
from chatkeep.repository.workspace import InMemoryWorkspaceRepository
from chatkeep.usecase.ports import (
    ChatFileRepository,
    ChatRepository,
    SandboxSessionRepository,
    WorkspaceRepository,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from chatkeep.repository.sql.chat import SqlChatRepository
    from chatkeep.repository.sql.chat_file import SqlChatFileRepository
    from chatkeep.repository.sql.sandbox_session import SqlSandboxSessionRepository
    from chatkeep.repository.sql.workspace import SqlWorkspaceRepository

# The SQL adapters are imported only when used: SQLAlchemy and Alembic cost ~30 MB of
# resident memory and ~0.7 s of start-up that a server on in-memory metadata need not pay.
SQLITE_FILE = "metadata.sqlite3"
DATABASE_URL_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
ACCEPTED = (
    "memory, sqlite (a file in the data directory), sqlite+aiosqlite:///PATH "
    "or postgresql+asyncpg://USER:PASSWORD@HOST[:PORT]/DATABASE"
)
LOCK_FILE = "metadata.lock"


class MetadataError(Exception):
    """The metadata store cannot be used; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Repositories:
    workspaces: WorkspaceRepository
    chats: ChatRepository
    files: ChatFileRepository
    sandboxes: SandboxSessionRepository
    engine: AsyncEngine | None = None
    # Other processes may use the same database and data directory (PostgreSQL).
    shared: bool = False


def in_memory() -> Repositories:
    """Repositories that keep everything in this process's memory (lost on exit)."""
    return Repositories(
        InMemoryWorkspaceRepository(),
        InMemoryChatRepository(),
        InMemoryChatFileRepository(),
        InMemorySandboxSessionRepository(),
    )


def in_database(engine: AsyncEngine, *, shared: bool = False) -> Repositories:
    """Repositories on `engine`'s database; `shared` when other processes use it too (replicas)."""
    sql = _sql_repositories(engine)
    return Repositories(sql.workspaces, sql.chats, sql.files, sql.sandboxes, engine, shared)


@dataclass(frozen=True, slots=True)
class _Sql:
    workspaces: SqlWorkspaceRepository
    chats: SqlChatRepository
    files: SqlChatFileRepository
    sandboxes: SqlSandboxSessionRepository


def _sql_repositories(engine: AsyncEngine) -> _Sql:
    from chatkeep.repository.sql.chat import SqlChatRepository
    from chatkeep.repository.sql.chat_file import SqlChatFileRepository
    from chatkeep.repository.sql.commits import GroupCommits
    from chatkeep.repository.sql.sandbox_session import SqlSandboxSessionRepository
    from chatkeep.repository.sql.workspace import SqlWorkspaceRepository

    commits = GroupCommits(engine)
    # A read is one statement: without BEGIN and ROLLBACK around it, one round trip.
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    return _Sql(
        SqlWorkspaceRepository(reads, commits),
        SqlChatRepository(reads, commits),
        SqlChatFileRepository(reads, commits),
        SqlSandboxSessionRepository(reads, commits),
    )


async def mirror_of(engine: AsyncEngine) -> Repositories:
    """The database's rows loaded into memory; reads from memory, writes to both."""
    from chatkeep.repository.mirror import (
        MirroredChats,
        MirroredFiles,
        MirroredSandboxes,
        MirroredWorkspaces,
    )
    from chatkeep.repository.sql.load import load_all

    # Concrete: the mirror takes each new row's seq from the database.
    durable = _sql_repositories(engine)
    workspaces, chats = InMemoryWorkspaceRepository(), InMemoryChatRepository()
    files, sandboxes = InMemoryChatFileRepository(), InMemorySandboxSessionRepository()
    await load_all(engine, workspaces, chats, files, sandboxes)
    return Repositories(
        MirroredWorkspaces(durable.workspaces, workspaces),
        MirroredChats(durable.chats, chats),
        MirroredFiles(durable.files, files),
        MirroredSandboxes(durable.sandboxes, sandboxes),
        engine,
    )


def database_directory(spec: str, data_dir: Path) -> Path | None:
    """The directory of the SQLite file that `spec` names (SQLite writes its journal beside
    the file), or None when the metadata is not in a SQLite file."""
    if spec == "sqlite":
        return data_dir
    if not spec.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(spec).database
    except ArgumentError:
        return None  # open_metadata says what is wrong with it
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).parent


def open_metadata(spec: str, data_dir: Path) -> Repositories:
    """Blocking, before the server's event loop starts: open and migrate the store."""
    if spec == "memory":
        return in_memory()
    if spec != "sqlite" and not spec.startswith(DATABASE_URL_SCHEMES):
        # A URL may hold a password: only its scheme is repeated.
        shown = spec.split("://", 1)[0] + "://…" if "://" in spec else spec
        raise MetadataError(f"unknown metadata store {shown!r}: the accepted forms are {ACCEPTED}")
    from chatkeep.repository.sql.engine import sqlite_url

    url = spec
    if spec == "sqlite":
        data_dir.mkdir(parents=True, exist_ok=True)
        _hold_lock(data_dir / LOCK_FILE)
        url = sqlite_url(data_dir / SQLITE_FILE)
    try:
        # Only this process writes a SQLite file (the lock says so): memory serves reads.
        return asyncio.run(_opened(url, mirror=spec == "sqlite"))
    except Exception as error:
        # SQLAlchemy's messages end with a line of their own pointing at its docs.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MetadataError(f"cannot open the metadata store: {reason}") from None


async def _opened(url: str, *, mirror: bool) -> Repositories:
    from chatkeep.repository.sql.engine import open_database

    engine = await open_database(url)
    if mirror:
        repositories = await mirror_of(engine)
    else:
        repositories = in_database(engine, shared=engine.dialect.name == "postgresql")
    # Connections made in this loop cannot serve the server's loop: start it with none.
    await engine.dispose()
    return repositories


_held: list[int] = []


def _hold_lock(path: Path) -> None:
    """SQLite serves one process: a second one on the same data directory stops here."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise MetadataError(
            f"another chatkeep process serves {path.parent} (SQLite serves one process)"
        ) from None
    _held.append(fd)  # held until the process exits
