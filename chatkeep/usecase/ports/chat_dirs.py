"""The directories of workspaces and chats: made, deleted, restored, listed and scanned for
what a sandbox left in them (decision records 004, 013 and 018)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """A regular file found at the top of a chat directory."""

    name: str
    size_bytes: int
    etag: str


@dataclass(frozen=True, slots=True)
class StoredDir:
    """A workspace's or chat's directory found on disk; a chat's with its files."""

    id: UUID
    modified_at: datetime
    files: tuple[ScannedFile, ...] = ()


class ChatDirectories(Protocol):
    """Workspace and chat directories on disk."""

    async def create_workspace(self, workspace_id: UUID) -> None:
        """Make the workspace's directory; nothing if it is there. Raises InsufficientStorageError
        on a full disk."""
        ...

    async def delete_workspace(self, workspace_id: UUID) -> None:
        """Remove the workspace's directory whatever a sandbox left in it, and forget its usage.
        Raises OSError for what cannot be removed (EPERM, EBUSY...), having removed the rest."""
        ...

    async def create_chat(
        self, workspace_id: UUID, chat_id: UUID, *, quota_inodes: int | None = None
    ) -> None:
        """Create the chat directory with an empty history: two inodes, reserved against
        `quota_inodes` first (WorkspaceQuotaExceededError, and nothing is made). Raises
        InsufficientStorageError, or FileNotFoundError when the workspace's directory is gone."""
        ...

    async def delete_chat(self, workspace_id: UUID, chat_id: UUID) -> None:
        """Remove the chat directory at any depth, links not followed, and take what it held off
        the usage (decision record 009). Raises OSError as delete_workspace does."""
        ...

    def workdir(self, workspace_id: UUID, chat_id: UUID) -> str:
        """The chat directory's absolute path, for an orchestrator to mount."""
        ...

    async def scan_chat(self, workspace_id: UUID, chat_id: UUID) -> list[ScannedFile]:
        """Regular files at the top of the chat directory, history aside, links not followed.
        Raises ChatNotFoundError when the directory is gone."""
        ...

    async def list_workspace_dirs(self) -> list[StoredDir]:
        """Every workspace directory on disk, with its last change (UTC), for start-up
        reconciliation (decision record 018); none when the data directory has none."""
        ...

    async def list_chat_dirs(self, workspace_id: UUID) -> list[StoredDir]:
        """The workspace's chat directories, each with what scan_chat would find in it."""
        ...

    async def restore_chat(self, workspace_id: UUID, chat_id: UUID) -> bool:
        """Make the chat's directory and an empty history where they are missing;
        answer whether anything was made."""
        ...
