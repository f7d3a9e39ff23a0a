from __future__ import annotations

from datetime import datetime
from uuid import UUID

from chatkeep.domain.chat import Chat


class InMemoryChatRepository:
    def __init__(self) -> None:
        self._by_id: dict[UUID, Chat] = {}

    async def get(self, chat_id: UUID) -> Chat | None:
        return self._by_id.get(chat_id)

    async def list_by_workspace_id(self, workspace_id: UUID) -> list[Chat]:
        # Dicts keep insertion order, which is creation order: oldest first, ties included.
        return [chat for chat in self._by_id.values() if chat.workspace_id == workspace_id]

    async def save(self, chat: Chat) -> None:
        self._by_id[chat.chat_id] = chat

    async def touch(self, chat_id: UUID, at: datetime) -> Chat | None:
        chat = self._by_id.get(chat_id)
        if chat is None:
            return None
        self._by_id[chat_id] = touched = chat.touched(at)
        return touched

    async def delete(self, chat_id: UUID) -> None:
        self._by_id.pop(chat_id, None)
