from __future__ import annotations

from uuid import UUID

from chatkeep.usecase.access import require_chat
from chatkeep.usecase.interface import FileReader, Ports


async def read_history(ports: Ports, user_id: UUID, chat_id: UUID) -> FileReader:
    """The open history of the chat; the caller closes it."""
    workspace, chat = await require_chat(ports, user_id, chat_id)
    return await ports.storage.open_history(workspace.workspace_id, chat.chat_id)
