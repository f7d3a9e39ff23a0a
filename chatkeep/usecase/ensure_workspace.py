from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from chatkeep.domain.errors import InvalidRequestError
from chatkeep.domain.limits import MAX_STORED_INTEGER
from chatkeep.domain.workspace import Workspace, WorkspaceUsage
from chatkeep.usecase.access import workspace_lock
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.interface import Ports


async def ensure_workspace(
    ports: Ports, user_id: UUID, quota_bytes: int | None
) -> tuple[Workspace, WorkspaceUsage, bool]:
    """Create the user's workspace unless it exists; set its quota when one is given.

    Answers the workspace, its usage, and whether it was created. Raises
    InvalidRequestError for a quota below 0 or beyond what the stores hold.
    """
    if quota_bytes is not None and not 0 <= quota_bytes <= MAX_STORED_INTEGER:
        raise InvalidRequestError(f"quota_bytes must be 0 to {MAX_STORED_INTEGER}")
    async with ports.locks.hold(workspace_lock(user_id)):
        candidate = Workspace(
            workspace_id=ports.ids.new(),
            user_id=user_id,
            created_at=ports.clock.now(),
            quota_bytes=ports.default_quota_bytes if quota_bytes is None else quota_bytes,
        )
        workspace = await ports.workspaces.get_or_add(candidate)
        created = workspace is candidate
        if created:
            await ports.storage.create_workspace(workspace.workspace_id)
        else:
            await end_expired_sessions(ports, workspace.workspace_id)
            if quota_bytes is not None and quota_bytes != workspace.quota_bytes:
                workspace = replace(workspace, quota_bytes=quota_bytes)
                await ports.workspaces.save(workspace)
        used = await ports.storage.workspace_used_bytes(workspace.workspace_id)
    return workspace, WorkspaceUsage(workspace.workspace_id, used, workspace.quota_bytes), created
