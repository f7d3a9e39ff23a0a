"""Reading and removing a chat's attachments."""

from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat, ChatFile
from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.errors import ChatFileNotFoundError
from chatkeep.domain.workspace import Workspace
from chatkeep.usecase.access import chat_lock, find_chat
from chatkeep.usecase.conditional import ConditionalRead, decide
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.file_pages import FilePage, PageRequest, page_of_files
from chatkeep.usecase.ports import Ports


async def list_attachments(
    ports: Ports, user_id: UUID, chat_id: UUID, request: PageRequest | None = None
) -> FilePage:
    """A page of the chat's attachments, oldest first, as `request` asks (the first 1000
    by default; contract 1.1, "Hostile trees and resource limits"). Raises
    ChatNotFoundError (404), InvalidRequestError (400: a cursor of another listing)."""
    await end_expired_session(ports, user_id, chat_id)
    _, chat = await find_chat(ports, user_id, chat_id)
    return await page_of_files(ports, chat.chat_id, request or PageRequest.of())


async def get_attachment(ports: Ports, user_id: UUID, chat_id: UUID, file_id: UUID) -> ChatFile:
    """The attachment's metadata. Raises ChatNotFoundError, ChatFileNotFoundError (404)."""
    _, _, chat_file = await _require_file(ports, user_id, chat_id, file_id)
    return chat_file


async def open_attachment(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    file_id: UUID,
    preconditions: Preconditions | None = None,
) -> tuple[ChatFile, ConditionalRead]:
    """The attachment and its open content, as `preconditions` select it (RFC 9110
    §13.2.2); the caller closes the reader. Raises ChatNotFoundError, ChatFileNotFoundError
    (also when the file is no longer a regular file), PreconditionFailedError (412)."""
    workspace, chat, chat_file = await _require_file(ports, user_id, chat_id, file_id)
    reader = await ports.storage.open_attachment(
        workspace.workspace_id, chat.chat_id, chat_file.name
    )
    if reader is None:
        raise ChatFileNotFoundError(str(file_id))
    return chat_file, await decide(reader, preconditions)


async def delete_attachment(ports: Ports, user_id: UUID, chat_id: UUID, file_id: UUID) -> None:
    """Remove one attachment (its entry on disk, whatever it now is, and its record) and move the
    chat's updated_at. Raises ChatNotFoundError, ChatFileNotFoundError (404)."""
    async with ports.locks.hold(chat_lock(chat_id)):
        workspace, chat, chat_file = await _require_file(ports, user_id, chat_id, file_id)
        await ports.storage.delete_attachment(workspace.workspace_id, chat.chat_id, chat_file.name)
        await ports.files.delete(chat_file.file_id)
        await ports.chats.touch(chat.chat_id, ports.clock.now())


async def clear_attachments(ports: Ports, user_id: UUID, chat_id: UUID) -> None:
    """Remove every attachment of the chat; the history stays. Raises ChatNotFoundError."""
    async with ports.locks.hold(chat_lock(chat_id)):
        await end_expired_session(ports, user_id, chat_id)
        workspace, chat = await find_chat(ports, user_id, chat_id)
        for chat_file in await ports.files.list_by_chat_id(chat.chat_id):
            await ports.storage.delete_attachment(
                workspace.workspace_id, chat.chat_id, chat_file.name
            )
            await ports.files.delete(chat_file.file_id)
        await ports.chats.touch(chat.chat_id, ports.clock.now())


async def _require_file(
    ports: Ports, user_id: UUID, chat_id: UUID, file_id: UUID
) -> tuple[Workspace, Chat, ChatFile]:
    await end_expired_session(ports, user_id, chat_id)
    workspace, chat = await find_chat(ports, user_id, chat_id)
    chat_file = await ports.files.get(file_id)
    if chat_file is None or chat_file.chat_id != chat.chat_id:
        raise ChatFileNotFoundError(str(file_id))
    return workspace, chat, chat_file
