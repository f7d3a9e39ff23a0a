"""What a user may reach: its own workspace and that workspace's chats, nothing else. These
only read; a use case that must first end expired sandbox sessions says so itself
(`usecase/expiry.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from chatkeep.domain.chat import Chat
from chatkeep.domain.errors import ChatNotFoundError, WorkspaceNotFoundError
from chatkeep.domain.workspace import Workspace
from chatkeep.usecase.access_keys import chat_lock, workspace_lock
from chatkeep.usecase.ports import Ports

__all__ = [
    "chat_lock",
    "find_chat",
    "find_workspace",
    "inode_quota",
    "workspace_lock",
    "writing_chat",
]


def inode_quota(ports: Ports, workspace: Workspace) -> int:
    """The workspace's inode quota: its own, or the service's default for a workspace
    stored before it had one (decision 024)."""
    if workspace.quota_inodes is None:
        return ports.default_quota_inodes
    return workspace.quota_inodes


async def find_workspace(ports: Ports, user_id: UUID) -> Workspace:
    """The user's workspace. Raises WorkspaceNotFoundError."""
    workspace = await ports.workspaces.get_by_user_id(user_id)
    if workspace is None:
        raise WorkspaceNotFoundError()
    return workspace


@asynccontextmanager
async def writing_chat(
    ports: Ports, user_id: UUID, chat_id: UUID
) -> AsyncIterator[tuple[Workspace, Chat]]:
    """Hold the chat for a write to its history or its description, and answer it as it
    is under the hold. Raises ChatNotFoundError, also when it was deleted meanwhile.

    Such writes share the chat's lock with each other; a deletion, a rescan or a change
    of its sandbox session holds it alone. So a deletion, pruning's idleness test
    included, sees every write either whole (its bytes and its `updated_at`) or not at
    all, and a write that waited for a deletion fails with 404 (contract, Version 1.1,
    "Deletion and concurrent writes"). End the chat's expired sandbox session first
    (expiry.end_expired_session): its rescan holds the lock alone, which a task holding it
    shared cannot.
    """
    async with ports.locks.hold_shared(chat_lock(chat_id)):
        yield await find_chat(ports, user_id, chat_id)


async def find_chat(ports: Ports, user_id: UUID, chat_id: UUID) -> tuple[Workspace, Chat]:
    """The chat and its workspace, if the chat is in the user's workspace (another user's
    chat does not exist for it). Raises ChatNotFoundError."""
    workspace = await ports.workspaces.get_by_user_id(user_id)
    chat = await ports.chats.get(chat_id)
    if workspace is None or chat is None or chat.workspace_id != workspace.workspace_id:
        raise ChatNotFoundError(str(chat_id))
    return workspace, chat
