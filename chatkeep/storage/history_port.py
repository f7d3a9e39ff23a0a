"""The HistoryStore port (usecase/ports/history.py) on the filesystem: `history.md` read
from one open file; a body staged into a spool file outside the chat directory, its growth
reserved as it arrives, then, under the chat's bytes lock and with its preconditions
decided again against what is there now, published whole over the history (replace) or
queued for a grouped append (append_queue.py). Decision records 006, 019 and 020."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from uuid import UUID

import anyio.to_thread

from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.history import HistoryVersion
from chatkeep.storage import history
from chatkeep.storage.append_queue import AppendQueues, check, history_state, write_new_history
from chatkeep.storage.appends import PendingAppend
from chatkeep.storage.etag import MtimeStamper
from chatkeep.storage.layout import Layout
from chatkeep.storage.lock_keys import chat_bytes_lock
from chatkeep.storage.reader import FileReader
from chatkeep.storage.spool import MEMORY_SPOOL_BYTES, Spool, receive
from chatkeep.storage.usage_book import UsageBook
from chatkeep.usecase.ports import KeyedLocks, StagedBody
from chatkeep.usecase.ports.quota import Reservation


class StagedHistory:
    """A history body received in full outside the chat directory, its growth reserved,
    waiting to replace or be appended to the history."""

    def __init__(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        spool: Spool,
        reservation: Reservation,
        preconditions: Preconditions | None,
    ) -> None:
        self.workspace_id, self.chat_id = workspace_id, chat_id
        self.spool, self.reservation, self.preconditions = spool, reservation, preconditions
        self.size_bytes = spool.size
        self.handed_over = False


class HistoryFiles:
    """The histories of the chat directories under `layout`; appends go through
    `appends`."""

    def __init__(
        self,
        layout: Layout,
        usage: UsageBook,
        locks: KeyedLocks,
        stamper: MtimeStamper,
        appends: AppendQueues,
    ) -> None:
        self._layout = layout
        self._usage = usage
        self._locks = locks
        self._stamper = stamper
        self._appends = appends

    async def open_history(self, workspace_id: UUID, chat_id: UUID) -> FileReader:
        """The history for reading (empty when it is not a regular file); the caller
        closes it. Raises ChatNotFoundError."""
        reader = partial(self._layout.reading, workspace_id, chat_id, history.open_history_reader)
        return await self._layout.run(reader)

    async def replace_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        """Stage then replace; see the port."""
        staged = await self.stage_history(
            workspace_id, chat_id, body, quota_bytes=quota_bytes, preconditions=preconditions
        )
        return await self._write_then_discard(staged, append=False)

    async def append_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        """Stage then append; see the port."""
        staged = await self.stage_history(
            workspace_id,
            chat_id,
            body,
            quota_bytes=quota_bytes,
            preconditions=preconditions,
            append=True,
        )
        return await self._write_then_discard(staged, append=True)

    async def _write_then_discard(self, staged: StagedHistory, *, append: bool) -> HistoryVersion:
        try:
            if append:
                return await self.append_staged_history(staged)
            return await self.replace_staged_history(staged)
        finally:
            await self.discard_staged_history(staged)

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
        """See the port. Raises PreconditionFailedError (before a byte is read),
        WorkspaceQuotaExceededError, ChatNotFoundError, InsufficientStorageError, or what
        reading `body` raises; then nothing is kept and nothing reserved."""
        credit = 0
        if preconditions is not None or not append:  # an append needs no look otherwise
            current = await history_state(self._layout, workspace_id, chat_id)
            check(preconditions, current)  # refuse before the body is read, when it fails now
            credit = 0 if append else current.freed
        reservation = await self._usage.ledger.reserve(workspace_id, quota_bytes, credit)
        spool = Spool(self._layout.tmp_fd, MEMORY_SPOOL_BYTES)
        try:
            await receive(body, spool, reservation)
        except BaseException:
            await reservation.release()
            await anyio.to_thread.run_sync(spool.discard)
            raise
        return StagedHistory(workspace_id, chat_id, spool, reservation, preconditions)

    async def replace_staged_history(self, staged_history: StagedBody) -> HistoryVersion:
        """See the port: the preconditions decided again, binding, under the chat's bytes
        lock. Raises PreconditionFailedError, WorkspaceQuotaExceededError,
        ChatNotFoundError."""
        staged = _own(staged_history)
        workspace_id, chat_id = staged.workspace_id, staged.chat_id
        async with self._locks.hold(chat_bytes_lock(chat_id)):
            current = await history_state(self._layout, workspace_id, chat_id)
            check(staged.preconditions, current)
            await staged.reservation.require(staged.spool.size - current.freed)
            async with self._usage.changing(workspace_id):
                written = await write_new_history(
                    self._layout, self._stamper, workspace_id, chat_id, staged.spool, keep_old=False
                )
                delta = written.st_size - current.freed
                await staged.reservation.commit(delta, current.new_inodes)
            return history.version_of(written)

    async def append_staged_history(self, staged_history: StagedBody) -> HistoryVersion:
        """See the port: appended in the chat's next batch. Raises as
        replace_staged_history does."""
        staged = _own(staged_history)
        pending = PendingAppend(staged.spool, staged.reservation, staged.preconditions)
        staged.handed_over = True  # the drain settles the spool and the claim from here on
        return await self._appends.append(staged.workspace_id, staged.chat_id, pending)

    async def discard_staged_history(self, staged_history: StagedBody) -> None:
        """Drop a staged body and its reservation, unless a write has taken them over."""
        staged = _own(staged_history)
        if not staged.handed_over:
            staged.handed_over = True
            await staged.reservation.release()
            await anyio.to_thread.run_sync(staged.spool.discard)


def _own(staged: StagedBody) -> StagedHistory:
    """The staged body, which this storage made (the port hands it back opaque)."""
    assert isinstance(staged, StagedHistory), "staged by another storage"
    return staged
