from __future__ import annotations

from uuid import UUID

from chatkeep.domain.workspace import Workspace, WorkspaceUsage
from chatkeep.usecase.access import find_workspace, inode_quota
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.ports import Ports


async def get_workspace(ports: Ports, user_id: UUID) -> tuple[Workspace, WorkspaceUsage]:
    """The user's workspace and its usage against both quotas. Raises
    WorkspaceNotFoundError."""
    workspace = await find_workspace(ports, user_id)
    await end_expired_sessions(ports, workspace.workspace_id)
    return workspace, await usage_of(ports, workspace)


async def usage_of(ports: Ports, workspace: Workspace) -> WorkspaceUsage:
    """The workspace's bytes and inodes with its quotas."""
    used = await ports.storage.workspace_usage(workspace.workspace_id)
    return WorkspaceUsage(
        workspace.workspace_id,
        used.bytes,
        workspace.quota_bytes,
        used.inodes,
        inode_quota(ports, workspace),
    )
