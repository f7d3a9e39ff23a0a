from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Executable, and_, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.domain.chat import ChatAttachmentName, ChatFile
from chatkeep.repository.sql.commits import GroupCommits, executing
from chatkeep.repository.sql.schema import chat_files, from_micros, to_micros


class SqlChatFileRepository:
    """Files by id, with at most one file per (chat, name): saving a name replaces it."""

    def __init__(self, engine: AsyncEngine, commits: GroupCommits) -> None:
        self._engine, self._commits = engine, commits
        self._upsert = _upsert_for(engine.dialect.name)

    async def get(self, file_id: UUID) -> ChatFile | None:
        return await self._one(chat_files.c.file_id == str(file_id))

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None:
        return await self._one(
            and_(chat_files.c.chat_id == str(chat_id), chat_files.c.name == name.value)
        )

    async def list_by_chat_id(self, chat_id: UUID) -> list[ChatFile]:
        query = (
            select(chat_files)
            .where(chat_files.c.chat_id == str(chat_id))
            .order_by(chat_files.c.ordinal)
        )
        async with self._engine.connect() as connection:
            return [file_of_row(row) for row in await connection.execute(query)]

    async def save(self, chat_file: ChatFile) -> None:
        await self.save_all([chat_file])

    async def save_all(self, files: Sequence[ChatFile]) -> None:
        # The last of the files that share a name wins, in its place, as if each were
        # saved after the one before.
        by_name: dict[tuple[UUID, str], dict[str, Any]] = {}
        for chat_file in files:
            by_name.pop((chat_file.chat_id, chat_file.name.value), None)
            by_name[(chat_file.chat_id, chat_file.name.value)] = _row(chat_file)
        if not by_name:
            return
        rows = list(by_name.values())
        upsert = self._upsert

        async def save(connection: AsyncConnection) -> None:
            await connection.execute(_DELETE_SAME_NAME, rows)
            await connection.execute(upsert, rows)

        await self._commits.run(save)

    async def delete(self, file_id: UUID) -> None:
        where = chat_files.c.file_id == str(file_id)
        await self._commits.run(executing(delete(chat_files).where(where)))

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        where = chat_files.c.chat_id == str(chat_id)
        await self._commits.run(executing(delete(chat_files).where(where)))

    async def _one(self, condition: Any) -> ChatFile | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(chat_files).where(condition))).first()
            return None if row is None else file_of_row(row)


# Built once: a statement built per call costs more than running it does.
_DELETE_SAME_NAME = delete(chat_files).where(
    chat_files.c.chat_id == bindparam("chat_id"),
    chat_files.c.name == bindparam("name"),
    chat_files.c.file_id != bindparam("file_id"),
)


def _upsert_for(dialect: str) -> Executable:
    """Insert a file, or update the row of its id in place (keeping its upload order)."""
    statement = (
        postgresql.insert(chat_files) if dialect == "postgresql" else sqlite.insert(chat_files)
    )
    updated = {c.name: statement.excluded[c.name] for c in chat_files.c if c.name != "ordinal"}
    return statement.on_conflict_do_update(index_elements=[chat_files.c.file_id], set_=updated)


def _row(chat_file: ChatFile) -> dict[str, Any]:
    return {
        "file_id": str(chat_file.file_id),
        "chat_id": str(chat_file.chat_id),
        "name": chat_file.name.value,
        "content_type": chat_file.content_type,
        "size_bytes": chat_file.size_bytes,
        "sha256": chat_file.sha256,
        "created_at": to_micros(chat_file.created_at),
        "etag": chat_file.etag,
    }


def file_of_row(row: Any) -> ChatFile:
    return ChatFile(
        UUID(row.file_id),
        UUID(row.chat_id),
        ChatAttachmentName(row.name),
        row.content_type,
        row.size_bytes,
        row.sha256,
        from_micros(row.created_at),
        row.etag,
    )
