from __future__ import annotations

from datetime import datetime
from uuid import UUID

from chatkeep.domain.sandbox import SandboxSession


class InMemorySandboxSessionRepository:
    def __init__(self) -> None:
        self._by_chat: dict[UUID, SandboxSession] = {}

    async def get_by_chat_id(self, chat_id: UUID) -> SandboxSession | None:
        return self._by_chat.get(chat_id)

    async def save(self, session: SandboxSession) -> None:
        self._by_chat[session.chat_id] = session

    async def list_expired(self, workspace_id: UUID, now: datetime) -> list[SandboxSession]:
        return [
            session
            for session in self._by_chat.values()
            if session.workspace_id == workspace_id and not session.is_active(now)
        ]

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        self._by_chat.pop(chat_id, None)
