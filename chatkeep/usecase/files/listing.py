"""`GET /v1/chats/{chat_id}/files`: a page of the chat's attachments."""

from __future__ import annotations

from uuid import UUID

from chatkeep.usecase.access import find_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.files.pages import FilePage, PageRequest, page_of_files
from chatkeep.usecase.ports import Ports


async def list_files(
    ports: Ports, user_id: UUID, chat_id: UUID, request: PageRequest | None = None
) -> FilePage:
    """A page of the chat's attachments, oldest first, as `request` asks (the first 1000
    by default; contract 1.1, "Hostile trees and resource limits"). Raises
    ChatNotFoundError (404), InvalidRequestError (400: a cursor of another listing)."""
    await end_expired_session(ports, user_id, chat_id)
    _, chat = await find_chat(ports, user_id, chat_id)
    return await page_of_files(ports, chat.chat_id, request or PageRequest.of())
