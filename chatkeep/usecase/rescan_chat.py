from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import ChatFile
from chatkeep.usecase.access import require_chat
from chatkeep.usecase.interface import Ports
from chatkeep.usecase.reconcile import reconcile_chat


async def rescan_chat(ports: Ports, user_id: UUID, chat_id: UUID) -> list[ChatFile]:
    """The rescan on demand; answers the chat's attachments as listed afterwards."""
    workspace, chat = await require_chat(ports, user_id, chat_id)
    return await reconcile_chat(ports, workspace.workspace_id, chat)
