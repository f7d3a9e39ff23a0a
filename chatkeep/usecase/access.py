"""What a user may reach: its own workspace and that workspace's chats, nothing else."""

from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat
from chatkeep.domain.errors import ChatNotFoundError, WorkspaceNotFoundError
from chatkeep.domain.workspace import Workspace
from chatkeep.usecase.access_keys import chat_lock, workspace_lock
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.interface import Ports

__all__ = ["chat_lock", "require_chat", "require_workspace", "workspace_lock"]


async def require_workspace(ports: Ports, user_id: UUID) -> Workspace:
    """The user's workspace, its expired sandbox sessions ended first."""
    workspace = await ports.workspaces.get_by_user_id(user_id)
    if workspace is None:
        raise WorkspaceNotFoundError()
    await end_expired_sessions(ports, workspace.workspace_id)
    return workspace


async def require_chat(ports: Ports, user_id: UUID, chat_id: UUID) -> tuple[Workspace, Chat]:
    """The chat, if it is in the user's workspace (another user's chat does not exist),
    its expired sandbox session ended first."""
    workspace = await ports.workspaces.get_by_user_id(user_id)
    chat = await ports.chats.get(chat_id)
    if workspace is None or chat is None or chat.workspace_id != workspace.workspace_id:
        raise ChatNotFoundError(str(chat_id))
    await end_expired_sessions(ports, workspace.workspace_id, chat.chat_id)
    updated = await ports.chats.get(chat_id)  # the rescan may have moved updated_at
    if updated is None:
        raise ChatNotFoundError(str(chat_id))
    return workspace, updated
