from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat
from chatkeep.usecase.access import require_chat
from chatkeep.usecase.interface import Ports


async def get_chat(ports: Ports, user_id: UUID, chat_id: UUID) -> Chat:
    _, chat = await require_chat(ports, user_id, chat_id)
    return chat
