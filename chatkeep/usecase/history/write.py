from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.history import HistoryVersion
from chatkeep.usecase.access import find_chat, writing_chat
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.utf8 import utf8_checked


async def replace_history(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    body: AsyncIterator[bytes],
    preconditions: Preconditions | None,
) -> HistoryVersion:
    """Replace the whole history with `body`: all of it, or nothing if refused.

    `preconditions` (RFC 9110 §13) are decided against the version replaced; failed, they
    raise PreconditionFailedError (412), before the body is read when they already fail.
    Also raises ChatNotFoundError (also when the chat is deleted meanwhile),
    InvalidHistoryError (not UTF-8), WorkspaceQuotaExceededError, InsufficientStorageError.
    """
    return await _write(ports, user_id, chat_id, body, preconditions, append=False)


async def append_history(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    body: AsyncIterator[bytes],
    preconditions: Preconditions | None,
) -> HistoryVersion:
    """Append `body` to the history as one whole: never interleaved, never partial;
    `preconditions` as for `replace_history`, against the version appended to. Raises
    as `replace_history` does."""
    return await _write(ports, user_id, chat_id, body, preconditions, append=True)


async def _write(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    body: AsyncIterator[bytes],
    preconditions: Preconditions | None,
    *,
    append: bool,
) -> HistoryVersion:
    await end_expired_session(ports, user_id, chat_id)
    workspace, chat = await find_chat(ports, user_id, chat_id)
    # Received before the chat's lock is taken: a slow body holds up no deletion (and no
    # pruning sweep), and a deletion that comes meanwhile makes the write 404 below.
    staged = await ports.storage.stage_history(
        workspace.workspace_id,
        chat.chat_id,
        utf8_checked(body),
        quota_bytes=workspace.quota_bytes,
        preconditions=preconditions,
        append=append,
    )
    try:
        async with writing_chat(ports, user_id, chat_id) as (_, chat):
            if append:
                version = await ports.storage.append_staged_history(staged)
            else:
                version = await ports.storage.replace_staged_history(staged)
            await ports.chats.touch(chat.chat_id, ports.clock.now())
            return version
    finally:
        await ports.storage.discard_staged_history(staged)
