from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatStatus, validate_title
from chatkeep.domain.errors import ChatNotFoundError
from chatkeep.usecase.access import find_chat, writing_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports


@dataclass(frozen=True, slots=True)
class ChatChanges:
    """What a PATCH gives: a title (None clears it) when `sets_title`, a status if any."""

    sets_title: bool = False
    title: str | None = None
    status: ChatStatus | None = None


async def update_chat(ports: Ports, user_id: UUID, chat_id: UUID, changes: ChatChanges) -> Chat:
    """Retitle, archive or reactivate a chat; its updated_at stays where it is. Raises
    InvalidRequestError (a title too long or unstorable), ChatNotFoundError."""
    if changes.sets_title:
        validate_title(changes.title)
    await end_expired_session(ports, user_id, chat_id)
    await find_chat(ports, user_id, chat_id)
    async with writing_chat(ports, user_id, chat_id) as (_, chat):
        title = changes.title if changes.sets_title else chat.title
        described = await ports.chats.describe(chat_id, title, changes.status or chat.status)
    if described is None:
        raise ChatNotFoundError(str(chat_id))
    return described
