from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat
from chatkeep.usecase.access import find_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports


async def get_chat(ports: Ports, user_id: UUID, chat_id: UUID) -> Chat:
    """The chat, once its expired sandbox session is ended. Raises ChatNotFoundError (404)."""
    await end_expired_session(ports, user_id, chat_id)
    _, chat = await find_chat(ports, user_id, chat_id)
    return chat
