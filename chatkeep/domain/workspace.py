from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

# The inode quota of a new workspace unless the service is told otherwise (contract,
# Version 1.1, "Hostile trees and resource limits": `--quota-inodes`).
DEFAULT_QUOTA_INODES = 100_000


@dataclass(frozen=True, slots=True)
class Workspace:
    """The one workspace of a user: the unit of quota.

    `quota_inodes` is None only for a workspace stored before inode quotas existed: the
    service's default (`--quota-inodes`) applies to it until one is set (decision 024).
    """

    workspace_id: UUID
    user_id: UUID
    created_at: datetime
    quota_bytes: int
    quota_inodes: int | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """What a workspace's chat directories hold: bytes of regular files, and entries
    (files of every kind and directories, chat directories included), each inode once."""

    bytes: int
    inodes: int


@dataclass(frozen=True, slots=True)
class WorkspaceUsage:
    workspace_id: UUID
    used_bytes: int
    quota_bytes: int
    used_inodes: int = 0
    quota_inodes: int = DEFAULT_QUOTA_INODES
