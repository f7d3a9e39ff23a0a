"""The highest message seq of each chat's history, remembered per history version."""

from __future__ import annotations

from uuid import UUID


class InMemoryMessageSeqs:
    def __init__(self) -> None:
        self._by_chat: dict[UUID, tuple[str, int]] = {}

    async def get(self, chat_id: UUID, etag: str) -> int | None:
        """In memory. See MessageSeqs.get."""
        known = self._by_chat.get(chat_id)
        return known[1] if known is not None and known[0] == etag else None

    async def put(self, chat_id: UUID, etag: str, seq: int) -> None:
        """In memory. See MessageSeqs.put."""
        self._by_chat[chat_id] = (etag, seq)

    async def forget(self, chat_id: UUID) -> None:
        """In memory. See MessageSeqs.forget."""
        self._by_chat.pop(chat_id, None)
