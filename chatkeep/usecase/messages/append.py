from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.conditions import EntityTags, Preconditions
from chatkeep.domain.errors import InvalidRequestError, PreconditionFailedError
from chatkeep.domain.history import HistoryVersion
from chatkeep.domain.message import Message, Role, render_block
from chatkeep.usecase.access import find_chat, writing_chat
from chatkeep.usecase.access_keys import messages_lock
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.messages.scan import BufferedReads, blocks_backward
from chatkeep.usecase.ports import Ports

# Another writer (a plain append, a replace, a sandbox) may move the history between
# reading its highest seq and appending; the append is then retried on the new version.
MAX_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class NewMessage:
    role: Role
    content: str


async def append_messages(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    new: Sequence[NewMessage],
    preconditions: Preconditions | None = None,
) -> list[Message]:
    """Append the messages to the history as blocks, all or none, numbered on from the
    highest seq the history holds.

    `preconditions` (RFC 9110 §13) are those of a write to the history, decided against
    the version the messages are appended to: failed, PreconditionFailedError (412).
    Also raises InvalidRequestError (no message), InvalidHistoryError (content UTF-8 cannot
    hold), ChatNotFoundError, WorkspaceQuotaExceededError, InsufficientStorageError.
    """
    if not new:
        raise InvalidRequestError("no message to append")
    await end_expired_session(ports, user_id, chat_id)
    await find_chat(ports, user_id, chat_id)
    async with (
        writing_chat(ports, user_id, chat_id) as (workspace, chat),
        ports.locks.hold(messages_lock(chat_id)),
    ):
        for attempt in range(MAX_ATTEMPTS):
            current, top = await _highest_seq(ports, workspace.workspace_id, chat_id)
            if preconditions is not None:
                preconditions.require(current.representation)
            # Appending to exactly the version read keeps seq right, and makes the client's
            # preconditions, decided on that version, binding.
            pinned = Preconditions(if_match=EntityTags.of(current.etag))
            now = ports.clock.now()
            messages = [
                Message(top + n, m.role, m.content, now) for n, m in enumerate(new, start=1)
            ]
            body = b"".join(render_block(message) for message in messages)
            last_attempt = attempt == MAX_ATTEMPTS - 1
            try:
                version = await ports.storage.append_history(
                    workspace.workspace_id,
                    chat_id,
                    _one(body),
                    quota_bytes=workspace.quota_bytes,
                    preconditions=preconditions if last_attempt else pinned,
                )
            except PreconditionFailedError:
                if last_attempt:  # the client's own preconditions failed
                    raise
                continue
            await ports.message_seqs.put(chat_id, version.etag, messages[-1].seq)
            await ports.chats.touch(chat.chat_id, now)
            return messages
    raise AssertionError("unreachable: the last attempt answers or raises")


async def _highest_seq(
    ports: Ports, workspace_id: UUID, chat_id: UUID
) -> tuple[HistoryVersion, int]:
    reader = await ports.storage.open_history(workspace_id, chat_id)
    try:
        known = await ports.message_seqs.get(chat_id, reader.etag)
        if known is None:
            blocks = blocks_backward(BufferedReads(reader))
            known = max([block.seq async for block in blocks], default=0)
            await ports.message_seqs.put(chat_id, reader.etag, known)
        return HistoryVersion(reader.size_bytes, reader.etag, reader.last_modified), known
    finally:
        await reader.aclose()


async def _one(body: bytes) -> AsyncIterator[bytes]:
    yield body
