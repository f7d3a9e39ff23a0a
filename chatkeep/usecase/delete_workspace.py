from __future__ import annotations

from uuid import UUID

from chatkeep.domain.errors import ChatHasActiveSandboxError
from chatkeep.usecase.access import require_workspace, workspace_lock
from chatkeep.usecase.interface import Ports


async def delete_workspace(ports: Ports, user_id: UUID) -> None:
    """Remove the workspace with every chat, history and attachment; refuse while any
    chat has an active sandbox, removing nothing."""
    async with ports.locks.hold(workspace_lock(user_id)):
        workspace = await require_workspace(ports, user_id)
        chats = await ports.chats.list_by_workspace_id(workspace.workspace_id)
        now = ports.clock.now()
        for chat in chats:
            session = await ports.sandboxes.get_by_chat_id(chat.chat_id)
            if session is not None and session.is_active(now):
                raise ChatHasActiveSandboxError(chat.chat_id)
        await ports.storage.delete_workspace(workspace.workspace_id)
        for chat in chats:
            await ports.files.delete_by_chat_id(chat.chat_id)
            await ports.sandboxes.delete_by_chat_id(chat.chat_id)
            await ports.chats.delete(chat.chat_id)
        await ports.workspaces.delete(workspace.workspace_id)
