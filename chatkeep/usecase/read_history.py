from __future__ import annotations

from uuid import UUID

from chatkeep.domain.conditions import Preconditions
from chatkeep.usecase.access import require_chat
from chatkeep.usecase.conditional import ConditionalRead, decide
from chatkeep.usecase.interface import Ports


async def read_history(
    ports: Ports, user_id: UUID, chat_id: UUID, preconditions: Preconditions | None = None
) -> ConditionalRead:
    """The open history of the chat, as `preconditions` select it (RFC 9110 §13.2.2); the
    caller closes the reader. Raises ChatNotFoundError, PreconditionFailedError (412)."""
    workspace, chat = await require_chat(ports, user_id, chat_id)
    reader = await ports.storage.open_history(workspace.workspace_id, chat.chat_id)
    return await decide(reader, preconditions)
