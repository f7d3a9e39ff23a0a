from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat, validate_title
from chatkeep.usecase.access import require_workspace, workspace_lock
from chatkeep.usecase.interface import Ports


async def create_chat(ports: Ports, user_id: UUID, title: str | None) -> Chat:
    """A new chat in the user's workspace, with its directory and an empty history."""
    validate_title(title)
    async with ports.locks.hold(workspace_lock(user_id)):
        workspace = await require_workspace(ports, user_id)
        now = ports.clock.now()
        chat = Chat(ports.ids.new(), workspace.workspace_id, title, now, now)
        await ports.storage.create_chat(workspace.workspace_id, chat.chat_id)
        await ports.chats.save(chat)
    return chat
