from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from chatkeep.domain.errors import (
    ChatHasActiveSandboxError,
    ChatNotFoundError,
    WorkspaceNotFoundError,
)
from chatkeep.usecase.access import require_workspace
from chatkeep.usecase.delete_chat import delete_chat
from chatkeep.usecase.interface import Ports


@dataclass(frozen=True, slots=True)
class Pruned:
    deleted: list[UUID] = field(default_factory=list)
    skipped: list[UUID] = field(default_factory=list)


async def prune_chats(ports: Ports, user_id: UUID, updated_before: datetime) -> Pruned:
    """Delete the user's chats not updated since `updated_before`, but not those with an
    active sandbox (listed as skipped)."""
    workspace = await require_workspace(ports, user_id)
    pruned = Pruned()
    for chat in await ports.chats.list_by_workspace_id(workspace.workspace_id):
        if chat.updated_at >= updated_before:
            continue
        try:
            if await delete_chat(ports, user_id, chat.chat_id, idle_before=updated_before):
                pruned.deleted.append(chat.chat_id)
        except ChatHasActiveSandboxError:
            pruned.skipped.append(chat.chat_id)
        except ChatNotFoundError:
            pass  # deleted meanwhile
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
