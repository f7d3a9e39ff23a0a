from __future__ import annotations

from uuid import UUID

from chatkeep.domain.workspace import Workspace, WorkspaceUsage
from chatkeep.usecase.access import find_workspace
from chatkeep.usecase.expiry import end_expired_sessions
from chatkeep.usecase.interface import Ports


async def get_workspace(ports: Ports, user_id: UUID) -> tuple[Workspace, WorkspaceUsage]:
    workspace = await find_workspace(ports, user_id)
    await end_expired_sessions(ports, workspace.workspace_id)
    used = await ports.storage.workspace_used_bytes(workspace.workspace_id)
    return workspace, WorkspaceUsage(workspace.workspace_id, used, workspace.quota_bytes)
