"""Sandbox sessions whose lease ran out end as if deleted, rescan included."""

from __future__ import annotations

import contextlib
from uuid import UUID

from chatkeep.domain.errors import ChatNotFoundError
from chatkeep.usecase.access import find_chat
from chatkeep.usecase.access_keys import chat_lock
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.store.reconcile import reconcile_chat


async def end_expired_sessions(
    ports: Ports, workspace_id: UUID, chat_id: UUID | None = None
) -> None:
    """End the workspace's expired sessions (only `chat_id`'s, if given) and rescan their
    chats: a write, though every use case that serves a chat or its workspace runs it
    first, so that an expired session is over no later than the next such request
    (contract, "Sandbox sessions"). A chat whose directory is gone (what a sandbox made of
    it) has its session ended without a rescan: the request that ended it is not about
    that directory, and one that is finds it missing itself."""
    for expired in await ports.sandboxes.list_expired(workspace_id, ports.clock.now()):
        if chat_id is not None and expired.chat_id != chat_id:
            continue
        async with ports.locks.hold(chat_lock(expired.chat_id)):
            if await ports.sandboxes.get_by_chat_id(expired.chat_id) != expired:
                continue  # renewed or ended meanwhile
            await ports.sandboxes.delete_by_chat_id(expired.chat_id)
            chat = await ports.chats.get(expired.chat_id)
            if chat is not None:
                with contextlib.suppress(ChatNotFoundError):
                    await reconcile_chat(ports, workspace_id, chat)


async def end_expired_session(ports: Ports, user_id: UUID, chat_id: UUID) -> None:
    """End the chat's sandbox session if its lease ran out, rescanning the chat, as
    end_expired_sessions does. Raises ChatNotFoundError unless the chat is the user's."""
    workspace, _ = await find_chat(ports, user_id, chat_id)
    await end_expired_sessions(ports, workspace.workspace_id, chat_id)
