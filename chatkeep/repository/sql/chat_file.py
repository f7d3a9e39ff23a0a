from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Executable, bindparam, delete, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.domain.chat import ChatAttachmentName, ChatFile, Position
from chatkeep.repository.sql.commits import GroupCommits, executing
from chatkeep.repository.sql.schema import chat_files, from_micros, to_micros
from chatkeep.repository.sql.upsert import upsert


class SqlChatFileRepository:
    """Files by id, with at most one file per (chat, name): saving a name replaces it.

    A new file is numbered 1 + the highest seq among its chat's files before the save
    (decision record 022); the use cases save a chat's files under the chat's lock, so
    two saves never take the same number."""

    def __init__(self, engine: AsyncEngine, commits: GroupCommits) -> None:
        self._engine, self._commits = engine, commits
        self._upsert = upsert(chat_files, chat_files.c.file_id, engine.dialect.name, keep=("seq",))

    async def get(self, file_id: UUID) -> ChatFile | None:
        """One query. See ChatFileRepository.get."""
        return await self._one(_BY_ID, {"file_id": str(file_id)})

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None:
        """One query. See ChatFileRepository.get_by_chat_id_and_name."""
        return await self._one(_BY_NAME, {"chat_id": str(chat_id), "name": name.value})

    async def list_by_chat_id(self, chat_id: UUID) -> list[ChatFile]:
        """One query. See ChatFileRepository.list_by_chat_id."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(_BY_CHAT, {"chat_id": str(chat_id)})
            return [file_of_row(row) for row in rows]

    async def list_page(
        self, chat_id: UUID, *, after: Position | None, limit: int
    ) -> tuple[list[ChatFile], Position | None]:
        """One query. See ChatFileRepository.list_page."""
        query = select(chat_files).where(chat_files.c.chat_id == str(chat_id))
        if after is not None:
            # A row value, which both engines turn into where the index range starts (an
            # OR of the two columns would be a filter over every row before the cursor).
            key = tuple_(chat_files.c.created_at, chat_files.c.seq)
            query = query.where(key > tuple_(literal(to_micros(after.at)), literal(after.seq)))
        # One range of the (chat_id, created_at, seq) index: the page, not the chat.
        query = query.order_by(chat_files.c.created_at, chat_files.c.seq).limit(limit + 1)
        async with self._engine.connect() as connection:
            rows = list(await connection.execute(query))
        if len(rows) <= limit:
            return [file_of_row(row) for row in rows], None
        last = rows[limit - 1]
        page = [file_of_row(row) for row in rows[:limit]]
        return page, Position(from_micros(last.created_at), last.seq)

    async def save(self, chat_file: ChatFile) -> None:
        """save_all of one file. See ChatFileRepository.save."""
        await self.save_all([chat_file])

    async def save_all(self, files: Sequence[ChatFile]) -> None:
        """save_all_numbered, the numbers dropped. See ChatFileRepository.save_all."""
        await self.save_all_numbered(files)

    async def save_all_numbered(self, files: Sequence[ChatFile]) -> dict[UUID, int]:
        """Save `files` as `save_all` does; answer the seq of each file stored (a file
        saved again keeps its number; one superseded within `files` is not stored)."""
        # The last of the files that share a name wins, in its place, as if each were
        # saved after the one before.
        by_name: dict[tuple[UUID, str], dict[str, Any]] = {}
        for chat_file in files:
            by_name.pop((chat_file.chat_id, chat_file.name.value), None)
            by_name[(chat_file.chat_id, chat_file.name.value)] = _row(chat_file)
        if not by_name:
            return {}
        rows = list(by_name.values())

        async def save(connection: AsyncConnection) -> dict[UUID, int]:
            await _number(connection, rows)
            await connection.execute(_DELETE_SAME_NAME, rows)
            await connection.execute(self._upsert, rows)
            return {UUID(row["file_id"]): row["seq"] for row in rows}

        return await self._commits.run(save)

    async def delete(self, file_id: UUID) -> None:
        """Committed with the writes beside it (GroupCommits). See ChatFileRepository.delete."""
        await self._commits.run(executing(_DELETE, {"file_id": str(file_id)}))

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """Committed with the writes beside it (GroupCommits). See
        ChatFileRepository.delete_by_chat_id."""
        await self._commits.run(executing(_DELETE_BY_CHAT, {"chat_id": str(chat_id)}))

    async def _one(self, query: Executable, parameters: dict[str, str]) -> ChatFile | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(query, parameters)).first()
            return None if row is None else file_of_row(row)


# Built once: a statement built per call costs more than running it does.
_BY_ID = select(chat_files).where(chat_files.c.file_id == bindparam("file_id"))
_BY_NAME = select(chat_files).where(
    chat_files.c.chat_id == bindparam("chat_id"), chat_files.c.name == bindparam("name")
)
_BY_CHAT = (
    select(chat_files)
    .where(chat_files.c.chat_id == bindparam("chat_id"))
    .order_by(chat_files.c.created_at, chat_files.c.seq)
)
_NUMBERED = select(chat_files.c.file_id, chat_files.c.seq).where(
    chat_files.c.file_id.in_(bindparam("file_ids", expanding=True))
)
_HIGHEST_SEQ = select(func.coalesce(func.max(chat_files.c.seq), 0)).where(
    chat_files.c.chat_id == bindparam("chat_id")
)
_DELETE = delete(chat_files).where(chat_files.c.file_id == bindparam("file_id"))
_DELETE_BY_CHAT = delete(chat_files).where(chat_files.c.chat_id == bindparam("chat_id"))
_DELETE_SAME_NAME = delete(chat_files).where(
    chat_files.c.chat_id == bindparam("chat_id"),
    chat_files.c.name == bindparam("name"),
    chat_files.c.file_id != bindparam("file_id"),
)


async def _number(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Set each row's seq: its stored one if the file exists, else the next of its chat's,
    counted from the highest before this save, in the order of `rows`."""
    file_ids = [row["file_id"] for row in rows]
    found = await connection.execute(_NUMBERED, {"file_ids": file_ids})
    stored = {row.file_id: row.seq for row in found}
    highest: dict[str, int] = {}
    for row in rows:
        if row["file_id"] in stored:
            row["seq"] = stored[row["file_id"]]
            continue
        chat_id = row["chat_id"]
        if chat_id not in highest:
            found = await connection.execute(_HIGHEST_SEQ, {"chat_id": chat_id})
            highest[chat_id] = int(found.scalar_one())
        highest[chat_id] += 1
        row["seq"] = highest[chat_id]


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
    """The ChatFile a `chat_files` row holds."""
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
