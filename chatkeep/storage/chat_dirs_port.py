"""The ChatDirectories port (usecase/ports/chat_dirs.py) on the filesystem: workspace and
chat directories made, deleted whatever a sandbox left in them (removal.py), restored,
listed and scanned (inventory.py, attachments.py), their inodes counted against the quota
(decision record 024)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from uuid import UUID

from chatkeep.storage import attachments, inventory, removal
from chatkeep.storage.layout import Layout
from chatkeep.storage.lock_keys import chat_bytes_lock
from chatkeep.storage.tree import TreeSize
from chatkeep.storage.usage_book import UsageBook
from chatkeep.usecase.ports import KeyedLocks, ScannedFile, StoredDir

# What a new chat takes of the inode quota: its directory and its history.
CHAT_INODES = 2


class ChatDirectoryFiles:
    """Workspace and chat directories under `layout`, their usage in `usage`."""

    def __init__(self, layout: Layout, usage: UsageBook, locks: KeyedLocks) -> None:
        self._layout = layout
        self._usage = usage
        self._locks = locks

    async def create_workspace(self, workspace_id: UUID) -> None:
        """Make the workspace's directory (and its chats/ directory); nothing if it is
        there. Raises InsufficientStorageError on a full disk."""
        path = self._layout.chats_of(workspace_id)
        await self._layout.run(partial(path.mkdir, parents=True, exist_ok=True))

    async def delete_workspace(self, workspace_id: UUID) -> None:
        """Remove the workspace's directory whatever it holds (the use case has deleted
        its chats one by one first) and forget its usage."""
        await self._layout.run(partial(self._trash, self._layout.workspaces, str(workspace_id)))
        await self._usage.ledger.forget(workspace_id)

    async def create_chat(
        self, workspace_id: UUID, chat_id: UUID, *, quota_inodes: int | None = None
    ) -> None:
        """Make the chat directory with an empty history: CHAT_INODES inodes, reserved
        against `quota_inodes` first. Raises WorkspaceQuotaExceededError (nothing is made)
        or InsufficientStorageError."""
        ledger = self._usage.ledger
        reservation = await ledger.reserve(workspace_id, 0, quota_inodes=quota_inodes)
        try:
            await reservation.require_inodes(CHAT_INODES)
            async with self._usage.changing(workspace_id):
                path = self._layout.chat_dir(workspace_id, chat_id)
                await self._layout.run(partial(inventory.create_chat_dir, path))
                await reservation.commit(0, CHAT_INODES)
        finally:
            await reservation.release()

    async def delete_chat(self, workspace_id: UUID, chat_id: UUID) -> None:
        """Remove the chat directory, at any depth and whatever a sandbox made of it, and
        take what it held off the usage (decision record 009)."""
        async with self._locks.hold(chat_bytes_lock(chat_id)), self._usage.changing(workspace_id):
            chats = self._layout.chats_of(workspace_id)
            removed = await self._layout.run(partial(self._trash, chats, str(chat_id), True))
            if removed is None:  # part of it is left in tmp/: count what is left in place
                await self._usage.ledger.forget(workspace_id)
            else:
                await self._usage.ledger.add(workspace_id, -removed.bytes, -removed.entries)

    def workdir(self, workspace_id: UUID, chat_id: UUID) -> str:
        """The chat directory's absolute path, for an orchestrator to mount."""
        return str(self._layout.chat_dir(workspace_id, chat_id))

    async def scan_chat(self, workspace_id: UUID, chat_id: UUID) -> list[ScannedFile]:
        """Regular files at the top of the chat directory, history aside, links not
        followed. Raises ChatNotFoundError when the directory is gone."""
        scan = partial(self._layout.reading, workspace_id, chat_id, attachments.scan)
        return await self._layout.run(scan)

    async def list_workspace_dirs(self) -> list[StoredDir]:
        """Every workspace directory on disk (start-up reconciliation, decision 018)."""
        return await self._layout.run(partial(inventory.subdirs, self._layout.workspaces))

    async def list_chat_dirs(self, workspace_id: UUID) -> list[StoredDir]:
        """The workspace's chat directories, each with what scan_chat would find in it."""
        chats = self._layout.chats_of(workspace_id)
        return await self._layout.run(partial(inventory.subdirs, chats, with_files=True))

    async def restore_chat(self, workspace_id: UUID, chat_id: UUID) -> bool:
        """Make the chat's directory and an empty history where they are missing; answer
        whether anything was made."""
        path = self._layout.chat_dir(workspace_id, chat_id)
        return await self._layout.run(partial(inventory.restore_chat, path))

    def _trash(self, parent: Path, name: str, counted: bool = False) -> TreeSize | None:
        return removal.trash(parent, name, self._layout.tmp_fd, counted=counted)
