from __future__ import annotations

from datetime import datetime
from uuid import UUID

from chatkeep.domain.sandbox import SandboxSession


class InMemorySandboxSessionRepository:
    def __init__(self) -> None:
        self._by_chat: dict[UUID, SandboxSession] = {}
        # Runs before every request that concerns a workspace: index it by workspace.
        self._chats_by_workspace: dict[UUID, set[UUID]] = {}

    async def get_by_chat_id(self, chat_id: UUID) -> SandboxSession | None:
        """In memory. See SandboxSessionRepository.get_by_chat_id."""
        return self._by_chat.get(chat_id)

    async def save(self, session: SandboxSession) -> None:
        """In memory. See SandboxSessionRepository.save."""
        await self.delete_by_chat_id(session.chat_id)
        self._by_chat[session.chat_id] = session
        self._chats_by_workspace.setdefault(session.workspace_id, set()).add(session.chat_id)

    async def list_expired(self, workspace_id: UUID, now: datetime) -> list[SandboxSession]:
        """In memory. See SandboxSessionRepository.list_expired."""
        chats = self._chats_by_workspace.get(workspace_id, ())
        return [s for s in map(self._by_chat.__getitem__, chats) if not s.is_active(now)]

    async def count_active(self, now: datetime) -> int:
        """In memory. See SandboxSessionRepository.count_active."""
        return sum(session.is_active(now) for session in self._by_chat.values())

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """In memory. See SandboxSessionRepository.delete_by_chat_id."""
        session = self._by_chat.pop(chat_id, None)
        if session is not None:
            chats = self._chats_by_workspace[session.workspace_id]
            chats.discard(chat_id)
            if not chats:
                del self._chats_by_workspace[session.workspace_id]
