from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from chatkeep.domain.errors import (
    ChatHasActiveSandboxError,
    ChatNotFoundError,
    WorkspaceNotFoundError,
)
from chatkeep.usecase.access import find_workspace, workspace_lock
from chatkeep.usecase.chats.delete import DELETE_BATCH, delete_chats_in_held_workspace
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.ports import Ports


@dataclass(frozen=True, slots=True)
class Pruned:
    deleted: list[UUID] = field(default_factory=list)
    skipped: list[UUID] = field(default_factory=list)


async def prune_chats(ports: Ports, user_id: UUID, updated_before: datetime) -> Pruned:
    """Delete the user's chats not updated since `updated_before`, but not those with an
    active sandbox (listed as skipped). Raises WorkspaceNotFoundError."""
    workspace = await find_workspace(ports, user_id)
    await end_expired_sessions(ports, workspace.workspace_id)
    idle = [
        chat.chat_id
        for chat in await ports.chats.list_by_workspace_id(workspace.workspace_id)
        if chat.updated_at < updated_before
    ]
    pruned = Pruned()
    for start in range(0, len(idle), DELETE_BATCH):
        batch = idle[start : start + DELETE_BATCH]
        # The workspace is let go between batches, so that chats can be made meanwhile.
        async with ports.locks.hold(workspace_lock(user_id)):
            outcomes = await delete_chats_in_held_workspace(ports, user_id, batch, updated_before)
        for chat_id, outcome in zip(batch, outcomes, strict=True):
            if outcome is True:
                pruned.deleted.append(chat_id)
            elif isinstance(outcome, ChatHasActiveSandboxError):
                pruned.skipped.append(chat_id)
            elif isinstance(outcome, BaseException) and not isinstance(outcome, ChatNotFoundError):
                raise outcome  # only once its neighbours are done, so none outlives the lock
    return pruned


async def prune_idle_chats(ports: Ports, ttl: timedelta) -> dict[UUID, Pruned]:
    """Prune every workspace's chats idle for longer than `ttl`, by workspace id."""
    updated_before = ports.clock.now() - ttl
    results = {}
    for workspace in await ports.workspaces.list_all():
        try:
            pruned = await prune_chats(ports, workspace.user_id, updated_before)
        except WorkspaceNotFoundError:
            continue  # deleted meanwhile
        if pruned.deleted or pruned.skipped:
            results[workspace.workspace_id] = pruned
    return results
