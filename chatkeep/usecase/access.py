"""What a user may reach: its own workspace and that workspace's chats, nothing else."""

from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat
from chatkeep.domain.errors import ChatNotFoundError, WorkspaceNotFoundError
from chatkeep.domain.workspace import Workspace
from chatkeep.usecase.interface import Ports


async def require_workspace(ports: Ports, user_id: UUID) -> Workspace:
    workspace = await ports.workspaces.get_by_user_id(user_id)
    if workspace is None:
        raise WorkspaceNotFoundError()
    return workspace


async def require_chat(ports: Ports, user_id: UUID, chat_id: UUID) -> tuple[Workspace, Chat]:
    """The chat, if it is in the user's workspace; another user's chat does not exist."""
    workspace = await ports.workspaces.get_by_user_id(user_id)
    chat = await ports.chats.get(chat_id)
    if workspace is None or chat is None or chat.workspace_id != workspace.workspace_id:
        raise ChatNotFoundError(str(chat_id))
    return workspace, chat


def workspace_lock(user_id: UUID) -> str:
    return f"workspace:{user_id}"


def chat_lock(chat_id: UUID) -> str:
    return f"chat:{chat_id}"
