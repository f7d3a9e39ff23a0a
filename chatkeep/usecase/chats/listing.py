from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatOrder, ChatStatus
from chatkeep.domain.chat_cursor import ChatCursor
from chatkeep.domain.errors import InvalidRequestError
from chatkeep.usecase.access import find_workspace
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.ports import Ports

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ChatPage:
    chats: list[Chat]
    next_cursor: str | None


async def list_chats(
    ports: Ports,
    user_id: UUID,
    *,
    status: ChatStatus | None = None,
    order: ChatOrder = "created_at",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> ChatPage:
    """A page of the user's chats: oldest first, or most recently updated first
    (contract, "Conversations"; cursors as decision record 022 says).

    Raises InvalidRequestError (400) for a limit outside 1 to MAX_LIMIT or a cursor this
    listing (workspace, order, status) did not issue; WorkspaceNotFoundError (404).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequestError(f"limit must be between 1 and {MAX_LIMIT}")
    given = None if cursor is None else ChatCursor.decode(cursor, order, status)
    workspace = await find_workspace(ports, user_id)
    await end_expired_sessions(ports, workspace.workspace_id)
    after = None if given is None else given.position_in(workspace.workspace_id)
    chats, last = await ports.chats.list_page(
        workspace.workspace_id, status=status, order=order, after=after, limit=limit
    )
    if last is None:
        return ChatPage(chats, None)
    return ChatPage(chats, ChatCursor.after(workspace.workspace_id, order, status, last).encode())
