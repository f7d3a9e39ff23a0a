"""`GET /v1/chats/{chat_id}/files/{file_id}/content`: an attachment's bytes, as the
request's preconditions and range select them."""

from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import ChatFile
from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.errors import ChatFileNotFoundError
from chatkeep.usecase.conditional import ConditionalRead, decide
from chatkeep.usecase.files.get import find_file
from chatkeep.usecase.ports import Ports


async def open_file_content(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    file_id: UUID,
    preconditions: Preconditions | None = None,
) -> tuple[ChatFile, ConditionalRead]:
    """The attachment and its open content, as `preconditions` select it (RFC 9110
    §13.2.2); the caller closes the reader. Raises ChatNotFoundError, ChatFileNotFoundError
    (also when the file is no longer a regular file), PreconditionFailedError (412)."""
    workspace, chat, chat_file = await find_file(ports, user_id, chat_id, file_id)
    reader = await ports.storage.open_attachment(
        workspace.workspace_id, chat.chat_id, chat_file.name
    )
    if reader is None:
        raise ChatFileNotFoundError(str(file_id))
    return chat_file, await decide(reader, preconditions)
