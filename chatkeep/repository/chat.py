from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatOrder, ChatStatus, Position


class InMemoryChatRepository:
    """Chats by id. A new chat is numbered 1 + the highest seq among its workspace's
    chats, as the SQL repository numbers it (decision record 022)."""

    def __init__(self) -> None:
        self._by_id: dict[UUID, Chat] = {}
        self._seq: dict[UUID, int] = {}
        # Each workspace's chat ids in creation order (a dict as an ordered set).
        self._ids_by_workspace: dict[UUID, dict[UUID, None]] = {}
        self._high_seq: dict[UUID, int] = {}

    async def get(self, chat_id: UUID) -> Chat | None:
        """In memory. See ChatRepository.get."""
        return self._by_id.get(chat_id)

    async def list_by_workspace_id(self, workspace_id: UUID) -> list[Chat]:
        """In memory. See ChatRepository.list_by_workspace_id."""
        # Dicts keep insertion order, which is creation order: oldest first, ties included.
        return [self._by_id[chat_id] for chat_id in self._ids_by_workspace.get(workspace_id, ())]

    async def list_page(
        self,
        workspace_id: UUID,
        *,
        status: ChatStatus | None,
        order: ChatOrder,
        after: Position | None,
        limit: int,
    ) -> tuple[list[Chat], Position | None]:
        """In memory. See ChatRepository.list_page."""
        newest_first = order == "-updated_at"
        keyed = [
            (self._position(chat, order), chat)
            for chat in await self.list_by_workspace_id(workspace_id)
            if status in (None, chat.status)
        ]
        keyed.sort(key=lambda pair: (pair[0].at, pair[0].seq), reverse=newest_first)
        if after is not None:
            mark = (after.at, after.seq)
            keyed = [
                pair
                for pair in keyed
                if (
                    (pair[0].at, pair[0].seq) < mark
                    if newest_first
                    else (pair[0].at, pair[0].seq) > mark
                )
            ]
        page = keyed[:limit]
        more = len(keyed) > limit
        return [chat for _, chat in page], page[-1][0] if more else None

    def _position(self, chat: Chat, order: ChatOrder) -> Position:
        at = chat.updated_at if order == "-updated_at" else chat.created_at
        return Position(at, self._seq[chat.chat_id])

    async def save(self, chat: Chat) -> None:
        """In memory. See ChatRepository.save."""
        self.restore(chat)

    def restore(self, chat: Chat, seq: int | None = None) -> None:
        """Save `chat`, numbered `seq` as the database holds it; None numbers a new chat
        here and keeps an existing chat's number."""
        if chat.chat_id not in self._seq:
            high = self._high_seq.get(chat.workspace_id, 0)
            number = high + 1 if seq is None else seq
            self._seq[chat.chat_id] = number
            self._high_seq[chat.workspace_id] = max(high, number)
            self._ids_by_workspace.setdefault(chat.workspace_id, {})[chat.chat_id] = None
        elif seq is not None:
            self._seq[chat.chat_id] = seq
        self._by_id[chat.chat_id] = chat

    async def describe(self, chat_id: UUID, title: str | None, status: ChatStatus) -> Chat | None:
        """In memory. See ChatRepository.describe."""
        chat = self._by_id.get(chat_id)
        if chat is None:
            return None
        self._by_id[chat_id] = described = replace(chat, title=title, status=status)
        return described

    async def touch(self, chat_id: UUID, at: datetime) -> Chat | None:
        """In memory. See ChatRepository.touch."""
        chat = self._by_id.get(chat_id)
        if chat is None:
            return None
        self._by_id[chat_id] = touched = chat.touched(at)
        return touched

    async def delete(self, chat_id: UUID) -> None:
        """In memory. See ChatRepository.delete."""
        chat = self._by_id.pop(chat_id, None)
        seq = self._seq.pop(chat_id, None)
        if chat is None:
            return
        listed = self._ids_by_workspace[chat.workspace_id]
        del listed[chat_id]
        if not listed:
            del self._ids_by_workspace[chat.workspace_id]
            del self._high_seq[chat.workspace_id]
        elif seq == self._high_seq[chat.workspace_id]:  # the newest went: find the highest
            self._high_seq[chat.workspace_id] = max(self._seq[other] for other in listed)
