"""The AttachmentStore port (usecase/ports/attachments.py) on the filesystem: an upload is
received into a spool file outside the chat directory, its bytes and the inode a new name
takes reserved as they arrive; publishing renames every staged upload of a request into
the chat directory under the chat's lock, all or nothing (decision record 008); reads,
hashes and deletions go by name, never through a link."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from uuid import UUID

import anyio.to_thread

from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.storage import attachments
from chatkeep.storage.etag import MtimeStamper
from chatkeep.storage.layout import Layout
from chatkeep.storage.lock_keys import chat_bytes_lock
from chatkeep.storage.reader import FileReader, open_reader
from chatkeep.storage.spool import MEMORY_SPOOL_BYTES, Spool, receive
from chatkeep.storage.usage_book import UsageBook
from chatkeep.usecase.ports import HashedFile, KeyedLocks, StagedAttachment, UploadCheck
from chatkeep.usecase.ports.quota import Reservation

# Hashing runs a thread per core.
_HASHERS = os.cpu_count() or 1


class StagedFile:
    """An attachment received in full, outside the chat directory, waiting to be published."""

    def __init__(self, name: ChatAttachmentName, spool: Spool, reservation: Reservation) -> None:
        self.name = name
        self.spool = spool
        self.reservation = reservation
        self.size_bytes = spool.size
        self.sha256 = spool.sha256()


class AttachmentFiles:
    """The attachments of the chat directories under `layout`."""

    def __init__(
        self, layout: Layout, usage: UsageBook, locks: KeyedLocks, stamper: MtimeStamper
    ) -> None:
        self._layout = layout
        self._usage = usage
        self._locks = locks
        self._stamper = stamper

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
        """See the port. Raises WorkspaceQuotaExceededError, PreconditionFailedError (from
        `check`), ChatNotFoundError, InsufficientStorageError, or what reading `body`
        raises; a refused upload leaves nothing and holds no reservation."""
        current = await self._entry(workspace_id, chat_id, name.value)
        current.require_replaceable(name.value)
        reservation = await self._usage.ledger.reserve(
            workspace_id, quota_bytes, current.freed, quota_inodes=quota_inodes
        )
        spool = Spool(self._layout.tmp_fd, MEMORY_SPOOL_BYTES, hashed=True)
        try:
            await reservation.require_inodes(attachments.new_inodes(current))
            if expected_size is not None:
                await reservation.expect(expected_size)
            if check is not None:
                check(name, current.version)
            await receive(body, spool, reservation)
        except BaseException:
            await reservation.release()
            await anyio.to_thread.run_sync(spool.discard)
            raise
        return StagedFile(name, spool, reservation)

    async def publish_attachments(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        staged_files: Sequence[StagedAttachment],
        check: UploadCheck | None = None,
    ) -> list[str]:
        """See the port: each published file's ETag, in order. Raises what `check`
        raises, WorkspaceQuotaExceededError or ChatNotFoundError, and then publishes none."""
        staged = _own(staged_files)
        layout = self._layout
        async with self._locks.hold(chat_bytes_lock(chat_id)):
            names = [file.name.value for file in staged]
            entries = await layout.run(
                partial(layout.reading, workspace_id, chat_id, _entries_of(names))
            )
            for file, current in zip(staged, entries, strict=True):
                current.require_replaceable(file.name.value)
                if check is not None:
                    check(file.name, current.version)
                await file.reservation.require(file.size_bytes - current.freed)
                await file.reservation.require_inodes(attachments.new_inodes(current))
            spools = [(file.name.value, file.spool) for file in staged]
            publish = partial(
                attachments.publish, temp_dir_fd=layout.tmp_fd, files=spools, stamper=self._stamper
            )
            async with self._usage.changing(workspace_id):
                etags = await layout.run(
                    partial(layout.in_chat_dir, workspace_id, chat_id, publish)
                )
                for file, current in zip(staged, entries, strict=True):
                    added = attachments.new_inodes(current)
                    await file.reservation.commit(file.size_bytes - current.freed, added)
        return etags

    async def discard_staged(self, staged: Sequence[StagedAttachment]) -> None:
        """Forget staged uploads and release their reservations (published ones stay)."""
        for file in _own(staged):
            await file.reservation.release()
            await anyio.to_thread.run_sync(file.spool.discard)

    async def open_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> FileReader | None:
        """The attachment's bytes, guarded against a rewrite while they are served; None
        unless it is a regular file reached without a link. Raises ChatNotFoundError."""
        reader = partial(open_reader, name=name.value, guarded=True)
        return await self._layout.run(partial(self._layout.reading, workspace_id, chat_id, reader))

    async def delete_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> None:
        """Remove the entry of that name, whatever it is, and take it off the usage."""
        layout = self._layout
        async with self._locks.hold(chat_bytes_lock(chat_id)), self._usage.changing(workspace_id):
            remove = partial(attachments.remove, name=name.value)
            freed, inodes = await layout.run(
                partial(layout.in_chat_dir, workspace_id, chat_id, remove)
            )
            await self._usage.ledger.add(workspace_id, -freed, -inodes)

    async def hash_attachments(
        self, workspace_id: UUID, chat_id: UUID, names: Sequence[ChatAttachmentName]
    ) -> list[HashedFile | None]:
        """See the port. Raises ChatNotFoundError."""
        # A thread per core, each through its share of the names: small files cost a
        # thread hop per share rather than per file, large ones hash on every core.
        count = min(_HASHERS, len(names))
        shares = [[name.value for name in names[i::count]] for i in range(count)]
        hashers = (partial(attachments.hash_files, names=share) for share in shares)
        reading = partial(self._layout.reading, workspace_id, chat_id)
        hashed = await asyncio.gather(
            *(self._layout.run(partial(reading, hasher)) for hasher in hashers)
        )
        return [hashed[i % count][i // count] for i in range(len(names))]

    async def _entry(self, workspace_id: UUID, chat_id: UUID, name: str) -> attachments.Entry:
        found = partial(attachments.entry, name=name)
        return await self._layout.run(partial(self._layout.reading, workspace_id, chat_id, found))


def _own(staged: Sequence[StagedAttachment]) -> list[StagedFile]:
    """The staged uploads, which this storage made (the port hands them back opaque)."""
    own = [file for file in staged if isinstance(file, StagedFile)]
    assert len(own) == len(staged), "staged by another storage"
    return own


def _entries_of(names: list[str]) -> Callable[[int], list[attachments.Entry]]:
    def entries(chat_fd: int) -> list[attachments.Entry]:
        return [attachments.entry(chat_fd, name) for name in names]

    return entries
