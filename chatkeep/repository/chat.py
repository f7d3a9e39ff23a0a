from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from itertools import count
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatOrder, ChatPosition, ChatStatus


class InMemoryChatRepository:
    def __init__(self) -> None:
        self._by_id: dict[UUID, Chat] = {}
        self._ordinal: dict[UUID, int] = {}
        self._next_ordinal = count(1)
        # Each workspace's chat ids in creation order (a dict as an ordered set).
        self._ids_by_workspace: dict[UUID, dict[UUID, None]] = {}

    async def get(self, chat_id: UUID) -> Chat | None:
        return self._by_id.get(chat_id)

    async def list_by_workspace_id(self, workspace_id: UUID) -> list[Chat]:
        # Dicts keep insertion order, which is creation order: oldest first, ties included.
        return [self._by_id[chat_id] for chat_id in self._ids_by_workspace.get(workspace_id, ())]

    async def list_page(
        self,
        workspace_id: UUID,
        *,
        status: ChatStatus | None,
        order: ChatOrder,
        after: ChatPosition | None,
        limit: int,
    ) -> tuple[list[Chat], ChatPosition | None]:
        newest_first = order == "-updated_at"
        keyed = [
            (self._position(chat, order), chat)
            for chat in await self.list_by_workspace_id(workspace_id)
            if status in (None, chat.status)
        ]
        keyed.sort(key=lambda pair: (pair[0].at, pair[0].ordinal), reverse=newest_first)
        if after is not None:
            mark = (after.at, after.ordinal)
            keyed = [
                pair
                for pair in keyed
                if (
                    (pair[0].at, pair[0].ordinal) < mark
                    if newest_first
                    else (pair[0].at, pair[0].ordinal) > mark
                )
            ]
        page = keyed[:limit]
        more = len(keyed) > limit
        return [chat for _, chat in page], page[-1][0] if more else None

    def _position(self, chat: Chat, order: ChatOrder) -> ChatPosition:
        at = chat.updated_at if order == "-updated_at" else chat.created_at
        return ChatPosition(at, self._ordinal[chat.chat_id])

    async def save(self, chat: Chat) -> None:
        if chat.chat_id not in self._ordinal:
            self._ordinal[chat.chat_id] = next(self._next_ordinal)
            self._ids_by_workspace.setdefault(chat.workspace_id, {})[chat.chat_id] = None
        self._by_id[chat.chat_id] = chat

    async def describe(self, chat_id: UUID, title: str | None, status: ChatStatus) -> Chat | None:
        chat = self._by_id.get(chat_id)
        if chat is None:
            return None
        self._by_id[chat_id] = described = replace(chat, title=title, status=status)
        return described

    async def touch(self, chat_id: UUID, at: datetime) -> Chat | None:
        chat = self._by_id.get(chat_id)
        if chat is None:
            return None
        self._by_id[chat_id] = touched = chat.touched(at)
        return touched

    async def delete(self, chat_id: UUID) -> None:
        chat = self._by_id.pop(chat_id, None)
        self._ordinal.pop(chat_id, None)
        if chat is not None:
            listed = self._ids_by_workspace[chat.workspace_id]
            del listed[chat_id]
            if not listed:
                del self._ids_by_workspace[chat.workspace_id]
