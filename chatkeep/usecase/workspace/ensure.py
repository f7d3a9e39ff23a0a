from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from chatkeep.domain.errors import InvalidRequestError
from chatkeep.domain.limits import MAX_STORED_INTEGER
from chatkeep.domain.workspace import Workspace, WorkspaceUsage
from chatkeep.usecase.access import workspace_lock
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.workspace.get import usage_of


async def ensure_workspace(
    ports: Ports, user_id: UUID, quota_bytes: int | None, quota_inodes: int | None = None
) -> tuple[Workspace, WorkspaceUsage, bool]:
    """Create the user's workspace unless it exists; set its quotas (bytes, inodes) when
    given. A new workspace takes the service's defaults for the quotas not given.

    Answers the workspace, its usage, and whether it was created. Raises
    InvalidRequestError for a quota below 0 or beyond what the stores hold;
    InsufficientStorageError when a new workspace's directory cannot be made.
    """
    for name, value in (("quota_bytes", quota_bytes), ("quota_inodes", quota_inodes)):
        if value is not None and not 0 <= value <= MAX_STORED_INTEGER:
            raise InvalidRequestError(f"{name} must be 0 to {MAX_STORED_INTEGER}")
    async with ports.locks.hold(workspace_lock(user_id)):
        candidate = Workspace(
            workspace_id=ports.ids.new(),
            user_id=user_id,
            created_at=ports.clock.now(),
            quota_bytes=ports.default_quota_bytes if quota_bytes is None else quota_bytes,
            quota_inodes=ports.default_quota_inodes if quota_inodes is None else quota_inodes,
        )
        workspace = await ports.workspaces.get_or_add(candidate)
        created = workspace is candidate
        if created:
            await ports.storage.create_workspace(workspace.workspace_id)
        else:
            await end_expired_sessions(ports, workspace.workspace_id)
            wanted = replace(
                workspace,
                quota_bytes=workspace.quota_bytes if quota_bytes is None else quota_bytes,
                quota_inodes=workspace.quota_inodes if quota_inodes is None else quota_inodes,
            )
            if wanted != workspace:
                workspace = wanted
                await ports.workspaces.save(workspace)
        usage = await usage_of(ports, workspace)
    return workspace, usage, created
