"""A database's metadata mirrored in memory, for a store only this process writes (SQLite
with its lock): reads come from memory, writes go to the database first, then to memory,
so an answer never reports what is not committed. A write, once begun, finishes even if
its caller is cancelled, so that memory never lags the database."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, ParamSpec, Protocol, TypeVar
from uuid import UUID

from chatkeep.domain.chat import (
    Chat,
    ChatAttachmentName,
    ChatFile,
    ChatOrder,
    ChatStatus,
    Position,
)
from chatkeep.domain.sandbox import SandboxSession
from chatkeep.domain.workspace import Workspace
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


class NumberingChats(ChatRepository, Protocol):
    async def save_numbered(self, chat: Chat) -> int:
        """Save `chat`; answer the seq it holds in the database."""
        ...


class NumberingFiles(ChatFileRepository, Protocol):
    async def save_all_numbered(self, files: Sequence[ChatFile]) -> dict[UUID, int]:
        """Save `files`; answer the seq each file stored holds in the database."""
        ...


P = ParamSpec("P")
R = TypeVar("R")


def shielded(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """`method`, run to its end even when its caller is cancelled (asyncio.shield), so that
    memory never lags the database."""

    @functools.wraps(method)
    async def finishing(*args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.shield(method(*args, **kwargs))

    return finishing


class MirroredWorkspaces:
    def __init__(self, durable: WorkspaceRepository, memory: InMemoryWorkspaceRepository) -> None:
        self._durable, self._memory = durable, memory

    async def get(self, workspace_id: UUID) -> Workspace | None:
        """From memory. See WorkspaceRepository.get."""
        return await self._memory.get(workspace_id)

    async def get_by_user_id(self, user_id: UUID) -> Workspace | None:
        """From memory. See WorkspaceRepository.get_by_user_id."""
        return await self._memory.get_by_user_id(user_id)

    async def list_all(self) -> list[Workspace]:
        """From memory. See WorkspaceRepository.list_all."""
        return await self._memory.list_all()

    @shielded
    async def get_or_add(self, workspace: Workspace) -> Workspace:
        """In the database, then in memory. See WorkspaceRepository.get_or_add."""
        existing = await self._memory.get_by_user_id(workspace.user_id)
        if existing is not None:
            return existing
        stored = await self._durable.get_or_add(workspace)
        await self._memory.save(stored)
        return stored

    @shielded
    async def save(self, workspace: Workspace) -> None:
        """In the database, then in memory. See WorkspaceRepository.save."""
        await self._durable.save(workspace)
        await self._memory.save(workspace)

    @shielded
    async def delete(self, workspace_id: UUID) -> None:
        """In the database, then in memory. See WorkspaceRepository.delete."""
        await self._durable.delete(workspace_id)
        await self._memory.delete(workspace_id)


class MirroredChats:
    """Numbers come from the database: chats are created side by side, and memory must
    order them as the database will after a restart."""

    def __init__(self, durable: NumberingChats, memory: InMemoryChatRepository) -> None:
        self._durable, self._memory = durable, memory

    async def get(self, chat_id: UUID) -> Chat | None:
        """From memory. See ChatRepository.get."""
        return await self._memory.get(chat_id)

    async def list_by_workspace_id(self, workspace_id: UUID) -> list[Chat]:
        """From memory. See ChatRepository.list_by_workspace_id."""
        return await self._memory.list_by_workspace_id(workspace_id)

    async def list_page(
        self,
        workspace_id: UUID,
        *,
        status: ChatStatus | None,
        order: ChatOrder,
        after: Position | None,
        limit: int,
    ) -> tuple[list[Chat], Position | None]:
        """From memory. See ChatRepository.list_page."""
        return await self._memory.list_page(
            workspace_id, status=status, order=order, after=after, limit=limit
        )

    @shielded
    async def save(self, chat: Chat) -> None:
        """In the database, which numbers it, then in memory with that number. See
        ChatRepository.save."""
        self._memory.restore(chat, await self._durable.save_numbered(chat))

    @shielded
    async def describe(self, chat_id: UUID, title: str | None, status: ChatStatus) -> Chat | None:
        """In the database, then in memory. See ChatRepository.describe."""
        if await self._durable.describe(chat_id, title, status) is None:
            return None
        return await self._memory.describe(chat_id, title, status)

    @shielded
    async def touch(self, chat_id: UUID, at: datetime) -> Chat | None:
        """In the database, then in memory. See ChatRepository.touch."""
        if await self._durable.touch(chat_id, at) is None:
            return None
        return await self._memory.touch(chat_id, at)

    @shielded
    async def delete(self, chat_id: UUID) -> None:
        """In the database, then in memory. See ChatRepository.delete."""
        await self._durable.delete(chat_id)
        await self._memory.delete(chat_id)


class MirroredFiles:
    def __init__(self, durable: NumberingFiles, memory: InMemoryChatFileRepository) -> None:
        self._durable, self._memory = durable, memory

    async def get(self, file_id: UUID) -> ChatFile | None:
        """From memory. See ChatFileRepository.get."""
        return await self._memory.get(file_id)

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None:
        """From memory. See ChatFileRepository.get_by_chat_id_and_name."""
        return await self._memory.get_by_chat_id_and_name(chat_id, name)

    async def list_by_chat_id(self, chat_id: UUID) -> list[ChatFile]:
        """From memory. See ChatFileRepository.list_by_chat_id."""
        return await self._memory.list_by_chat_id(chat_id)

    async def list_page(
        self, chat_id: UUID, *, after: Position | None, limit: int
    ) -> tuple[list[ChatFile], Position | None]:
        """From memory. See ChatFileRepository.list_page."""
        return await self._memory.list_page(chat_id, after=after, limit=limit)

    async def save(self, chat_file: ChatFile) -> None:
        """save_all of one file. See ChatFileRepository.save."""
        await self.save_all([chat_file])

    @shielded
    async def save_all(self, files: Sequence[ChatFile]) -> None:
        """In the database, then in memory. See ChatFileRepository.save_all."""
        numbers = await self._durable.save_all_numbered(files)
        for chat_file in files:
            # A file superseded within `files` was not stored; its successor follows.
            if chat_file.file_id in numbers:
                self._memory.restore(chat_file, numbers[chat_file.file_id])

    @shielded
    async def delete(self, file_id: UUID) -> None:
        """In the database, then in memory. See ChatFileRepository.delete."""
        await self._durable.delete(file_id)
        await self._memory.delete(file_id)

    @shielded
    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """In the database, then in memory. See ChatFileRepository.delete_by_chat_id."""
        await self._durable.delete_by_chat_id(chat_id)
        await self._memory.delete_by_chat_id(chat_id)


class MirroredSandboxes:
    def __init__(
        self, durable: SandboxSessionRepository, memory: InMemorySandboxSessionRepository
    ) -> None:
        self._durable, self._memory = durable, memory

    async def get_by_chat_id(self, chat_id: UUID) -> SandboxSession | None:
        """From memory. See SandboxSessionRepository.get_by_chat_id."""
        return await self._memory.get_by_chat_id(chat_id)

    @shielded
    async def save(self, session: SandboxSession) -> None:
        """In the database, then in memory. See SandboxSessionRepository.save."""
        await self._durable.save(session)
        await self._memory.save(session)

    async def list_expired(self, workspace_id: UUID, now: datetime) -> list[SandboxSession]:
        """From memory. See SandboxSessionRepository.list_expired."""
        return await self._memory.list_expired(workspace_id, now)

    async def count_active(self, now: datetime) -> int:
        """From memory. See SandboxSessionRepository.count_active."""
        return await self._memory.count_active(now)

    @shielded
    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """In the database, then in memory. See SandboxSessionRepository.delete_by_chat_id."""
        await self._durable.delete_by_chat_id(chat_id)
        await self._memory.delete_by_chat_id(chat_id)
