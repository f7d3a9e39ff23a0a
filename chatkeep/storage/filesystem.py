"""The ChatStorage port (usecase/ports/storage.py) on a filesystem: one object that hands
each port method to the part that implements it (layout.py, recovery.py, usage_book.py,
chat_dirs_port.py, history_port.py with append_queue.py, attachments_port.py). The
blocking work they run in worker threads is in the modules named after what they do on
disk (history.py, attachments.py, appends.py, inventory.py, removal.py, walk.py...)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from uuid import UUID

from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.history import HistoryVersion
from chatkeep.domain.workspace import Usage
from chatkeep.storage.append_queue import AppendQueues
from chatkeep.storage.attachments_port import AttachmentFiles, StagedFile
from chatkeep.storage.chat_dirs_port import ChatDirectoryFiles
from chatkeep.storage.etag import MtimeStamper
from chatkeep.storage.files import FsyncObserver, observe_fsyncs, stop_observing_fsyncs
from chatkeep.storage.history_port import HistoryFiles, StagedHistory
from chatkeep.storage.layout import Layout
from chatkeep.storage.reader import FileReader
from chatkeep.storage.recovery import Recovery
from chatkeep.storage.usage_book import UsageBook
from chatkeep.usecase.ports import (
    HashedFile,
    KeyedLocks,
    ScannedFile,
    StagedAttachment,
    StagedBody,
    StoredDir,
    UploadCheck,
)
from chatkeep.usecase.ports.quota import Counter, Ledger


class FileSystemChatStorage:
    """Every storage port on the data directory `data_dir`; see the ports for what each
    method does and raises."""

    def __init__(
        self,
        data_dir: Path,
        ledger: Callable[[Counter], Ledger] | None = None,
        *,
        locks: KeyedLocks,
        shared: bool = False,
        fsync_observer: FsyncObserver | None = None,
    ) -> None:
        """The storage of `data_dir`. `locks` are the chat locks the use cases hold too
        (this process's, or the replicas' when `shared`: other processes use the same data
        directory, so nothing on disk is this process's alone); `ledger(count)` keeps the
        usage (in memory by default); `fsync_observer(seconds)`, when given, hears the
        duration of every fsync while the storage is started (the metrics), from worker
        threads."""
        self._layout = layout = Layout(data_dir)
        self._root = layout.root
        self._fsync_observer = fsync_observer
        self._recovery = Recovery(layout, locks, shared=shared)
        self._usage = usage = UsageBook(layout, locks, ledger)
        stamper = MtimeStamper()
        appends = AppendQueues(layout, usage, locks, stamper, lambda: self._recovery.journal)
        self._dirs = ChatDirectoryFiles(layout, usage, locks)
        self._history = HistoryFiles(layout, usage, locks, stamper, appends)
        self._attachments = AttachmentFiles(layout, usage, locks, stamper)

    async def start(self) -> None:
        """Prepare the data directory and repair what a crash left behind (recovery.py)."""
        if self._fsync_observer is not None:
            observe_fsyncs(self._fsync_observer)
        await self._recovery.start()
        await self._usage.ledger.start()

    async def close(self) -> None:
        """Release what start() acquired."""
        if self._fsync_observer is not None:
            stop_observing_fsyncs(self._fsync_observer)
        await self._usage.ledger.close()
        self._recovery.close()

    def chat_dir(self, workspace_id: UUID, chat_id: UUID) -> Path:
        """The chat's directory (tests and tools; the port answers `workdir`)."""
        return self._layout.chat_dir(workspace_id, chat_id)

    async def workspace_usage(self, workspace_id: UUID) -> Usage:
        """Handed to usage_book.py. See UsageCounts.workspace_usage."""
        return await self._usage.usage(workspace_id)

    async def recount_usage(self, workspace_id: UUID) -> Usage:
        """Handed to usage_book.py. See UsageCounts.recount_usage."""
        return await self._usage.recount(workspace_id)

    async def create_workspace(self, workspace_id: UUID) -> None:
        """Handed to chat_dirs_port.py. See ChatDirectories.create_workspace."""
        await self._dirs.create_workspace(workspace_id)

    async def delete_workspace(self, workspace_id: UUID) -> None:
        """Handed to chat_dirs_port.py. See ChatDirectories.delete_workspace."""
        await self._dirs.delete_workspace(workspace_id)

    async def create_chat(
        self, workspace_id: UUID, chat_id: UUID, *, quota_inodes: int | None = None
    ) -> None:
        """Handed to chat_dirs_port.py. See ChatDirectories.create_chat."""
        await self._dirs.create_chat(workspace_id, chat_id, quota_inodes=quota_inodes)

    async def delete_chat(self, workspace_id: UUID, chat_id: UUID) -> None:
        """Handed to chat_dirs_port.py. See ChatDirectories.delete_chat."""
        await self._dirs.delete_chat(workspace_id, chat_id)

    def workdir(self, workspace_id: UUID, chat_id: UUID) -> str:
        """Handed to chat_dirs_port.py. See ChatDirectories.workdir."""
        return self._dirs.workdir(workspace_id, chat_id)

    async def scan_chat(self, workspace_id: UUID, chat_id: UUID) -> list[ScannedFile]:
        """Handed to chat_dirs_port.py. See ChatDirectories.scan_chat."""
        return await self._dirs.scan_chat(workspace_id, chat_id)

    async def list_workspace_dirs(self) -> list[StoredDir]:
        """Handed to chat_dirs_port.py. See ChatDirectories.list_workspace_dirs."""
        return await self._dirs.list_workspace_dirs()

    async def list_chat_dirs(self, workspace_id: UUID) -> list[StoredDir]:
        """Handed to chat_dirs_port.py. See ChatDirectories.list_chat_dirs."""
        return await self._dirs.list_chat_dirs(workspace_id)

    async def restore_chat(self, workspace_id: UUID, chat_id: UUID) -> bool:
        """Handed to chat_dirs_port.py. See ChatDirectories.restore_chat."""
        return await self._dirs.restore_chat(workspace_id, chat_id)

    async def open_history(self, workspace_id: UUID, chat_id: UUID) -> FileReader:
        """Handed to history_port.py. See HistoryStore.open_history."""
        return await self._history.open_history(workspace_id, chat_id)

    async def replace_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        """Handed to history_port.py. See HistoryStore.replace_history."""
        return await self._history.replace_history(
            workspace_id, chat_id, body, quota_bytes=quota_bytes, preconditions=preconditions
        )

    async def append_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        """Handed to history_port.py. See HistoryStore.append_history."""
        return await self._history.append_history(
            workspace_id, chat_id, body, quota_bytes=quota_bytes, preconditions=preconditions
        )

    async def stage_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
        append: bool = False,
    ) -> StagedHistory:
        """Handed to history_port.py. See HistoryStore.stage_history."""
        return await self._history.stage_history(
            workspace_id,
            chat_id,
            body,
            quota_bytes=quota_bytes,
            preconditions=preconditions,
            append=append,
        )

    async def replace_staged_history(self, staged: StagedBody) -> HistoryVersion:
        """Handed to history_port.py. See HistoryStore.replace_staged_history."""
        return await self._history.replace_staged_history(staged)

    async def append_staged_history(self, staged: StagedBody) -> HistoryVersion:
        """Handed to history_port.py. See HistoryStore.append_staged_history."""
        return await self._history.append_staged_history(staged)

    async def discard_staged_history(self, staged: StagedBody) -> None:
        """Handed to history_port.py. See HistoryStore.discard_staged_history."""
        await self._history.discard_staged_history(staged)

    async def stage_attachment(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        name: ChatAttachmentName,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        expected_size: int | None,
        check: UploadCheck | None = None,
        quota_inodes: int | None = None,
    ) -> StagedFile:
        """Handed to attachments_port.py. See AttachmentStore.stage_attachment."""
        return await self._attachments.stage_attachment(
            workspace_id,
            chat_id,
            name,
            body,
            quota_bytes=quota_bytes,
            expected_size=expected_size,
            check=check,
            quota_inodes=quota_inodes,
        )

    async def publish_attachments(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        staged: Sequence[StagedAttachment],
        check: UploadCheck | None = None,
    ) -> list[str]:
        """Handed to attachments_port.py. See AttachmentStore.publish_attachments."""
        return await self._attachments.publish_attachments(workspace_id, chat_id, staged, check)

    async def discard_staged(self, staged: Sequence[StagedAttachment]) -> None:
        """Handed to attachments_port.py. See AttachmentStore.discard_staged."""
        await self._attachments.discard_staged(staged)

    async def open_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> FileReader | None:
        """Handed to attachments_port.py. See AttachmentStore.open_attachment."""
        return await self._attachments.open_attachment(workspace_id, chat_id, name)

    async def delete_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> None:
        """Handed to attachments_port.py. See AttachmentStore.delete_attachment."""
        await self._attachments.delete_attachment(workspace_id, chat_id, name)

    async def hash_attachments(
        self, workspace_id: UUID, chat_id: UUID, names: Sequence[ChatAttachmentName]
    ) -> list[HashedFile | None]:
        """Handed to attachments_port.py. See AttachmentStore.hash_attachments."""
        return await self._attachments.hash_attachments(workspace_id, chat_id, names)
