from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import Chat, validate_title
from chatkeep.domain.errors import WorkspaceNotFoundError
from chatkeep.usecase.access import find_workspace, inode_quota, workspace_lock
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.ports import Ports


async def create_chat(ports: Ports, user_id: UUID, title: str | None) -> Chat:
    """A new chat in the user's workspace, with its directory and an empty history.

    Raises WorkspaceQuotaExceededError when the two inodes it makes do not fit the
    workspace's inode quota; nothing is made then. Also raises InvalidRequestError (title),
    WorkspaceNotFoundError (also when it is deleted meanwhile), InsufficientStorageError."""
    validate_title(title)
    workspace = await find_workspace(ports, user_id)
    await end_expired_sessions(ports, workspace.workspace_id)
    now = ports.clock.now()
    chat = Chat(ports.ids.new(), workspace.workspace_id, title, now, now)
    # Directory and row are made outside the workspace lock, so that chats are created
    # in parallel (and their rows committed together). A deletion of the workspace either
    # finished before the check below, which then removes the chat again, or starts
    # after it and finds the chat.
    try:
        await ports.storage.create_chat(
            workspace.workspace_id, chat.chat_id, quota_inodes=inode_quota(ports, workspace)
        )
    except FileNotFoundError:
        raise WorkspaceNotFoundError() from None
    await ports.chats.save(chat)
    async with ports.locks.hold(workspace_lock(user_id)):
        current = await ports.workspaces.get_by_user_id(user_id)
        if current is None or current.workspace_id != workspace.workspace_id:
            await ports.chats.delete(chat.chat_id)
            await ports.storage.delete_chat(workspace.workspace_id, chat.chat_id)
            raise WorkspaceNotFoundError()
    return chat
