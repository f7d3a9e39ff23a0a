from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from chatkeep.domain.history import HistoryVersion, IfMatch
from chatkeep.usecase.access import writing_chat
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
    # The body is received under the hold: a deletion waits for it (docs/020).
    async with writing_chat(ports, user_id, chat_id) as (workspace, chat):
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
