from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Executable,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.domain.chat import Chat, ChatOrder, ChatStatus, Position
from chatkeep.repository.sql.commits import GroupCommits, executing
from chatkeep.repository.sql.schema import chats, from_micros, to_micros, workspaces
from chatkeep.repository.sql.upsert import upsert


class SqlChatRepository:
    """Chats by id. A new chat is numbered 1 + the highest seq among its workspace's chats
    (decision record 022); on PostgreSQL, where replicas create chats side by side, the
    workspace's row is locked while the number is taken."""

    def __init__(self, engine: AsyncEngine, commits: GroupCommits) -> None:
        self._engine, self._commits = engine, commits
        self._upsert = upsert(chats, chats.c.chat_id, engine.dialect.name, keep=("seq",))
        self._upsert = self._upsert.returning(chats.c.seq)
        self._shared = engine.dialect.name == "postgresql"

    async def get(self, chat_id: UUID) -> Chat | None:
        """One query. See ChatRepository.get."""
        async with self._engine.connect() as connection:
            row = (await connection.execute(_BY_ID, {"key": str(chat_id)})).first()
            return None if row is None else chat_of_row(row)

    async def list_by_workspace_id(self, workspace_id: UUID) -> list[Chat]:
        """One query. See ChatRepository.list_by_workspace_id."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(_BY_WORKSPACE, {"workspace": str(workspace_id)})
            return [chat_of_row(row) for row in rows]

    async def list_page(
        self,
        workspace_id: UUID,
        *,
        status: ChatStatus | None,
        order: ChatOrder,
        after: Position | None,
        limit: int,
    ) -> tuple[list[Chat], Position | None]:
        """One query. See ChatRepository.list_page."""
        newest_first = order == "-updated_at"
        at = chats.c.updated_at if newest_first else chats.c.created_at
        query = select(chats).where(chats.c.workspace_id == str(workspace_id))
        if status is not None:
            query = query.where(chats.c.status == status)
        if after is not None:
            # A row value, which both engines turn into where the index range starts (an
            # OR of the two columns would be a filter over every chat before the cursor).
            key, mark = (
                tuple_(at, chats.c.seq),
                tuple_(literal(to_micros(after.at)), literal(after.seq)),
            )
            query = query.where(key < mark if newest_first else key > mark)
        keys = (at.desc(), chats.c.seq.desc()) if newest_first else (at, chats.c.seq)
        query = query.order_by(*keys).limit(limit + 1)
        async with self._engine.connect() as connection:
            rows = list(await connection.execute(query))
        page = rows[:limit]
        if len(rows) <= limit:
            return [chat_of_row(row) for row in page], None
        last = page[-1]
        position_at = last.updated_at if newest_first else last.created_at
        return [chat_of_row(row) for row in page], Position(from_micros(position_at), last.seq)

    async def save(self, chat: Chat) -> None:
        """save_numbered, its number dropped. See ChatRepository.save."""
        await self.save_numbered(chat)

    async def save_numbered(self, chat: Chat) -> int:
        """Save `chat`; answer its seq (a chat saved again keeps its number)."""
        workspace_id = str(chat.workspace_id)

        async def save(connection: AsyncConnection) -> int:
            if self._shared:
                await connection.execute(_LOCK_WORKSPACE, {"workspace": workspace_id})
            seq = (await connection.execute(_NEXT_SEQ, {"workspace": workspace_id})).scalar_one()
            stored = await connection.execute(self._upsert, {**_row(chat), "seq": seq})
            return int(stored.scalar_one())

        return await self._commits.run(save)

    async def describe(self, chat_id: UUID, title: str | None, status: ChatStatus) -> Chat | None:
        """Committed with the writes beside it (GroupCommits). See ChatRepository.describe."""
        return await self._update(_DESCRIBE, key=str(chat_id), new_title=title, new_status=status)

    async def touch(self, chat_id: UUID, at: datetime) -> Chat | None:
        """Committed with the writes beside it (GroupCommits). See ChatRepository.touch."""
        return await self._update(_TOUCH, key=str(chat_id), at=to_micros(at))

    async def _update(self, statement: Executable, **parameters: Any) -> Chat | None:
        """Change the row and answer it as changed, in one statement (None if gone)."""

        async def update_row(connection: AsyncConnection) -> Any:
            return (await connection.execute(statement, parameters)).first()

        row = await self._commits.run(update_row)
        return None if row is None else chat_of_row(row)

    async def delete(self, chat_id: UUID) -> None:
        """Committed with the writes beside it (GroupCommits). See ChatRepository.delete."""
        await self._commits.run(executing(_DELETE, {"key": str(chat_id)}))


# Built once: a statement built per call costs more than running it does.
_BY_ID = select(chats).where(chats.c.chat_id == bindparam("key"))
_BY_WORKSPACE = (
    select(chats).where(chats.c.workspace_id == bindparam("workspace")).order_by(chats.c.ordinal)
)
_DELETE = delete(chats).where(chats.c.chat_id == bindparam("key"))
_NEXT_SEQ = select(func.coalesce(func.max(chats.c.seq), 0) + 1).where(
    chats.c.workspace_id == bindparam("workspace")
)
# Held to the commit: another replica numbering a chat of the same workspace waits for it.
_LOCK_WORKSPACE = (
    select(workspaces.c.workspace_id)
    .where(workspaces.c.workspace_id == bindparam("workspace"))
    .with_for_update()
)
_DESCRIBE = (
    update(chats)
    .where(chats.c.chat_id == bindparam("key"))
    .values(title=bindparam("new_title"), status=bindparam("new_status"))
    .returning(chats)
)
# In one statement, so that concurrent writers never move updated_at backwards.
_next_tick = chats.c.updated_at + 1
_TOUCH = (
    update(chats)
    .where(chats.c.chat_id == bindparam("key"))
    .values(
        updated_at=case(
            (_next_tick > bindparam("at", type_=BigInteger), _next_tick),
            else_=bindparam("at", type_=BigInteger),
        )
    )
    .returning(chats)
)


def _row(chat: Chat) -> dict[str, Any]:
    return {
        "chat_id": str(chat.chat_id),
        "workspace_id": str(chat.workspace_id),
        "title": chat.title,
        "status": chat.status,
        "created_at": to_micros(chat.created_at),
        "updated_at": to_micros(chat.updated_at),
    }


def chat_of_row(row: Any) -> Chat:
    """The Chat a `chats` row holds."""
    return Chat(
        UUID(row.chat_id),
        UUID(row.workspace_id),
        row.title,
        from_micros(row.created_at),
        from_micros(row.updated_at),
        row.status,
    )
