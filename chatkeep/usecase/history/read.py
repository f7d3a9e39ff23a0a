from __future__ import annotations

from uuid import UUID

from chatkeep.domain.conditions import Preconditions
from chatkeep.usecase.access import find_chat
from chatkeep.usecase.conditional import ConditionalRead, decide
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports


async def read_history(
    ports: Ports, user_id: UUID, chat_id: UUID, preconditions: Preconditions | None = None
) -> ConditionalRead:
    """The open history of the chat, as `preconditions` select it (RFC 9110 §13.2.2); the
    caller closes the reader. Raises ChatNotFoundError, PreconditionFailedError (412)."""
    await end_expired_session(ports, user_id, chat_id)
    workspace, chat = await find_chat(ports, user_id, chat_id)
    reader = await ports.storage.open_history(workspace.workspace_id, chat.chat_id)
    return await decide(reader, preconditions)
