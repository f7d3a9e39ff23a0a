"""`GET /v1/chats/{chat_id}/files/{file_id}`: an attachment's metadata, and finding an
attachment of the caller's chat for the other routes of one file."""

from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat, ChatFile
from chatkeep.domain.errors import ChatFileNotFoundError
from chatkeep.domain.workspace import Workspace
from chatkeep.usecase.access import find_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports


async def get_file(ports: Ports, user_id: UUID, chat_id: UUID, file_id: UUID) -> ChatFile:
    """The attachment's metadata. Raises ChatNotFoundError, ChatFileNotFoundError (404)."""
    _, _, chat_file = await find_file(ports, user_id, chat_id, file_id)
    return chat_file


async def find_file(
    ports: Ports, user_id: UUID, chat_id: UUID, file_id: UUID
) -> tuple[Workspace, Chat, ChatFile]:
    """The attachment `file_id` of the user's chat, with the chat and its workspace, the
    chat's expired sandbox session ended first. Raises ChatNotFoundError,
    ChatFileNotFoundError (404)."""
    await end_expired_session(ports, user_id, chat_id)
    workspace, chat = await find_chat(ports, user_id, chat_id)
    chat_file = await ports.files.get(file_id)
    if chat_file is None or chat_file.chat_id != chat.chat_id:
        raise ChatFileNotFoundError(str(file_id))
    return workspace, chat, chat_file
