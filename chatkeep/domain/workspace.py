from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Workspace:
    """The one workspace of a user: the unit of quota."""

    workspace_id: UUID
    user_id: UUID
    created_at: datetime
    quota_bytes: int


@dataclass(frozen=True, slots=True)
class WorkspaceUsage:
    workspace_id: UUID
    used_bytes: int
    quota_bytes: int
