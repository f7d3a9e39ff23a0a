from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.errors import InvalidRequestError
from chatkeep.domain.limits import MAX_STORED_INTEGER
from chatkeep.domain.message import BlockRef, Message
from chatkeep.usecase.access import find_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.messages.scan import BufferedReads, blocks_backward
from chatkeep.usecase.ports import Ports

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class MessagePage:
    messages: list[Message]
    next_before: int | None


async def read_messages(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    limit: int = DEFAULT_LIMIT,
    before: int | None = None,
) -> MessagePage:
    """The last `limit` messages before seq `before` (or the end), oldest first. Raises
    InvalidRequestError (limit outside 1 to MAX_LIMIT, before not a seq), ChatNotFoundError."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequestError(f"limit must be between 1 and {MAX_LIMIT}")
    if before is not None and not 1 <= before <= MAX_STORED_INTEGER:
        raise InvalidRequestError(f"before must be a seq, 1 to {MAX_STORED_INTEGER}")
    await end_expired_session(ports, user_id, chat_id)
    workspace, chat = await find_chat(ports, user_id, chat_id)
    reader = await ports.storage.open_history(workspace.workspace_id, chat.chat_id)
    try:
        found: list[BlockRef] = []
        more = False
        reads = BufferedReads(reader)
        async for block in blocks_backward(reads):
            if before is not None and block.seq >= before:
                continue
            if len(found) == limit:
                more = True
                break
            found.append(block)
        messages = [
            block.message(await reads.read(block.content_start, block.content_bytes))
            for block in reversed(found)
        ]
    finally:
        await reader.aclose()
    return MessagePage(messages, messages[0].seq if more and messages else None)
