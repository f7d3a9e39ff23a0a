"""Reading a whole metadata database into the in-memory repositories, in creation order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from chatkeep.repository.chat import InMemoryChatRepository
from chatkeep.repository.chat_file import InMemoryChatFileRepository
from chatkeep.repository.sandbox_session import InMemorySandboxSessionRepository
from chatkeep.repository.sql.chat import chat_of_row
from chatkeep.repository.sql.chat_file import file_of_row
from chatkeep.repository.sql.sandbox_session import session_of_row
from chatkeep.repository.sql.schema import chat_files, chats, sandbox_sessions, workspaces
from chatkeep.repository.sql.workspace import workspace_of_row
from chatkeep.repository.workspace import InMemoryWorkspaceRepository


async def load_all(
    engine: AsyncEngine,
    workspace_repo: InMemoryWorkspaceRepository,
    chat_repo: InMemoryChatRepository,
    file_repo: InMemoryChatFileRepository,
    sandbox_repo: InMemorySandboxSessionRepository,
) -> None:
    """Fill the in-memory repositories with every row of `engine`'s database, in creation
    order, each with the number (seq) the database holds (repository/mirror.py)."""
    async with engine.connect() as connection:
        for row in await connection.execute(select(workspaces)):
            await workspace_repo.save(workspace_of_row(row))
        for row in await connection.execute(select(chats).order_by(chats.c.ordinal)):
            chat_repo.restore(chat_of_row(row), row.seq)
        for row in await connection.execute(select(chat_files).order_by(chat_files.c.ordinal)):
            file_repo.restore(file_of_row(row), row.seq)
        for row in await connection.execute(select(sandbox_sessions)):
            await sandbox_repo.save(session_of_row(row))
