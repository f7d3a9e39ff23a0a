from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from chatkeep.domain.history import HistoryVersion, IfMatch
from chatkeep.usecase.access import require_chat
from chatkeep.usecase.interface import Ports
from chatkeep.usecase.utf8 import utf8_checked


async def replace_history(
    ports: Ports, user_id: UUID, chat_id: UUID, body: AsyncIterator[bytes], if_match: IfMatch | None
) -> HistoryVersion:
    """Replace the whole history with `body`: all of it, or nothing if refused."""
    return await _write(ports, user_id, chat_id, body, if_match, append=False)


async def append_history(
    ports: Ports, user_id: UUID, chat_id: UUID, body: AsyncIterator[bytes], if_match: IfMatch | None
) -> HistoryVersion:
    """Append `body` to the history as one whole: never interleaved, never partial."""
    return await _write(ports, user_id, chat_id, body, if_match, append=True)


async def _write(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    body: AsyncIterator[bytes],
    if_match: IfMatch | None,
    *,
    append: bool,
) -> HistoryVersion:
    workspace, chat = await require_chat(ports, user_id, chat_id)
    write = ports.storage.append_history if append else ports.storage.replace_history
    version = await write(
        workspace.workspace_id,
        chat.chat_id,
        utf8_checked(body),
        quota_bytes=workspace.quota_bytes,
        if_match=if_match,
    )
    await ports.chats.touch(chat.chat_id, ports.clock.now())
    return version
