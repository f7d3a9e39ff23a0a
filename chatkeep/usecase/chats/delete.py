from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from chatkeep.domain.errors import ChatHasActiveSandboxError
from chatkeep.usecase.access import chat_lock, find_chat, workspace_lock
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports

# Chats deleted side by side under one hold of the workspace's lock: their metadata
# deletions share commits.
DELETE_BATCH = 64


async def delete_chat(
    ports: Ports, user_id: UUID, chat_id: UUID, *, idle_before: datetime | None = None
) -> bool:
    """Remove the chat's directory and metadata; refuse while a sandbox is active on it.
    With `idle_before`, only a chat not updated since then goes (answers whether it did).

    Raises ChatNotFoundError, ChatHasActiveSandboxError.
    """
    async with ports.locks.hold(workspace_lock(user_id)):
        return await delete_chat_in_held_workspace(ports, user_id, chat_id, idle_before)


async def delete_chats_in_held_workspace(
    ports: Ports, user_id: UUID, chat_ids: Sequence[UUID], idle_before: datetime | None
) -> list[bool | BaseException]:
    """delete_chat for each of `chat_ids`, side by side, for a caller that holds the
    workspace's lock: per chat, whether it went, or the error that kept it."""
    return await asyncio.gather(
        *(
            delete_chat_in_held_workspace(ports, user_id, chat_id, idle_before)
            for chat_id in chat_ids
        ),
        return_exceptions=True,
    )


async def delete_chat_in_held_workspace(
    ports: Ports, user_id: UUID, chat_id: UUID, idle_before: datetime | None
) -> bool:
    """delete_chat, for a caller that holds the workspace's lock.

    The chat's lock is held alone from the idleness test to the last row deleted: every
    write to the chat (they share that lock) has either landed whole, `updated_at`
    included, or not started, so a chat written since `idle_before` is never taken for
    idle, and a write that waited fails with 404 (contract, Version 1.1, "Deletion and
    concurrent writes").
    """
    async with ports.locks.hold(chat_lock(chat_id)):
        await end_expired_session(ports, user_id, chat_id)
        workspace, chat = await find_chat(ports, user_id, chat_id)
        if idle_before is not None and chat.updated_at >= idle_before:
            return False
        session = await ports.sandboxes.get_by_chat_id(chat.chat_id)
        if session is not None and session.is_active(ports.clock.now()):
            raise ChatHasActiveSandboxError(chat.chat_id)
        await ports.storage.delete_chat(workspace.workspace_id, chat.chat_id)
        # Side by side, so that a durable store can commit the three together.
        await asyncio.gather(
            ports.files.delete_by_chat_id(chat.chat_id),
            ports.sandboxes.delete_by_chat_id(chat.chat_id),
            ports.chats.delete(chat.chat_id),
        )
        await ports.message_seqs.forget(chat.chat_id)
        return True
