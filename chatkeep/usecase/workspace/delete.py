from __future__ import annotations

from uuid import UUID

from chatkeep.domain.errors import ChatHasActiveSandboxError, ChatNotFoundError
from chatkeep.usecase.access import find_workspace, workspace_lock
from chatkeep.usecase.chats.delete import DELETE_BATCH, delete_chats_in_held_workspace
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.ports import Ports


async def delete_workspace(ports: Ports, user_id: UUID) -> None:
    """Remove the workspace with every chat, history and attachment; refuse while any
    chat has an active sandbox, removing nothing.

    Raises WorkspaceNotFoundError, ChatHasActiveSandboxError. Chats go one by one, each
    under its own lock like a chat DELETE, so that a write to a chat either lands before
    its chat goes or fails with 404 (contract, Version 1.1, "Deletion and concurrent
    writes"); the workspace's lock, held throughout, keeps new chats and sandbox
    sessions out meanwhile.
    """
    async with ports.locks.hold(workspace_lock(user_id)):
        workspace = await find_workspace(ports, user_id)
        await end_expired_sessions(ports, workspace.workspace_id)
        chats = await ports.chats.list_by_workspace_id(workspace.workspace_id)
        now = ports.clock.now()
        for chat in chats:
            session = await ports.sandboxes.get_by_chat_id(chat.chat_id)
            if session is not None and session.is_active(now):
                raise ChatHasActiveSandboxError(chat.chat_id)
        for start in range(0, len(chats), DELETE_BATCH):
            batch = [chat.chat_id for chat in chats[start : start + DELETE_BATCH]]
            outcomes = await delete_chats_in_held_workspace(ports, user_id, batch, None)
            failures = [
                outcome
                for outcome in outcomes
                if isinstance(outcome, BaseException) and not isinstance(outcome, ChatNotFoundError)
            ]
            if failures:
                raise failures[0]
        await ports.storage.delete_workspace(workspace.workspace_id)
        await ports.workspaces.delete(workspace.workspace_id)
