"""`DELETE /v1/chats/{chat_id}/files/{file_id}` and `DELETE /v1/chats/{chat_id}/files`:
one attachment, or all of a chat's."""

from __future__ import annotations

from uuid import UUID

from chatkeep.usecase.access import chat_lock, find_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.files.get import find_file
from chatkeep.usecase.ports import Ports


async def delete_file(ports: Ports, user_id: UUID, chat_id: UUID, file_id: UUID) -> None:
    """Remove one attachment (its entry on disk, whatever it now is, and its record) and move the
    chat's updated_at. Raises ChatNotFoundError, ChatFileNotFoundError (404)."""
    async with ports.locks.hold(chat_lock(chat_id)):
        workspace, chat, chat_file = await find_file(ports, user_id, chat_id, file_id)
        await ports.storage.delete_attachment(workspace.workspace_id, chat.chat_id, chat_file.name)
        await ports.files.delete(chat_file.file_id)
        await ports.chats.touch(chat.chat_id, ports.clock.now())


async def clear_files(ports: Ports, user_id: UUID, chat_id: UUID) -> None:
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
