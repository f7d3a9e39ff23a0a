from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat
from chatkeep.usecase.access import require_workspace
from chatkeep.usecase.interface import Ports


async def list_chats(ports: Ports, user_id: UUID) -> list[Chat]:
    """The user's chats, oldest first."""
    workspace = await require_workspace(ports, user_id)
    return await ports.chats.list_by_workspace_id(workspace.workspace_id)
