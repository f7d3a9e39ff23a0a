"""Appends to a history, grouped: the appends that reach a chat while one is being written
wait in its queue, and the queue's drain writes them in batches, one fsync each, under the
chat's bytes lock (decision records 006 and 016). An append whose preconditions fail is
refused alone; a history that is not one lone regular file (a sandbox linked or replaced
it) is appended to by copy instead, never written through."""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Callable
from functools import partial
from uuid import UUID

from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.errors import PreconditionFailedError
from chatkeep.domain.history import HistoryVersion
from chatkeep.storage import history
from chatkeep.storage.appends import PendingAppend, append_batch, next_batch
from chatkeep.storage.etag import MtimeStamper
from chatkeep.storage.journal import AppendJournal
from chatkeep.storage.layout import Layout
from chatkeep.storage.lock_keys import chat_bytes_lock
from chatkeep.storage.spool import Spool
from chatkeep.storage.usage_book import UsageBook
from chatkeep.usecase.ports import KeyedLocks


class AppendQueues:
    """A queue of appends per chat and the task draining it; `journal()` answers the
    started storage's append journal."""

    def __init__(
        self,
        layout: Layout,
        usage: UsageBook,
        locks: KeyedLocks,
        stamper: MtimeStamper,
        journal: Callable[[], AppendJournal | None],
    ) -> None:
        self._layout = layout
        self._usage = usage
        self._locks = locks
        self._stamper = stamper
        self._journal = journal
        self._queues: dict[UUID, deque[PendingAppend]] = {}
        self._drains: set[asyncio.Task[None]] = set()

    async def append(
        self, workspace_id: UUID, chat_id: UUID, pending: PendingAppend
    ) -> HistoryVersion:
        """Queue `pending` and answer the history's version once it is written. Raises
        PreconditionFailedError, WorkspaceQuotaExceededError, ChatNotFoundError or
        InsufficientStorageError, for this append alone."""
        queue = self._queues.get(chat_id)
        if queue is None:
            queue = self._queues[chat_id] = deque()
            drain = asyncio.create_task(self._drain(workspace_id, chat_id, queue))
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        queue.append(pending)
        # Shielded: a client that goes away now does not take the others' batch with it.
        return await asyncio.shield(pending.answer)

    async def _drain(self, workspace_id: UUID, chat_id: UUID, queue: deque[PendingAppend]) -> None:
        try:
            async with self._locks.hold(chat_bytes_lock(chat_id)):
                while queue:
                    await self._append_batch(workspace_id, chat_id, next_batch(queue))
                # Let go of the queue before the lock, with no await in between: letting go
                # of a shared lock is a database round trip, and an append queued meanwhile
                # would wait on a drain that has finished. It starts a drain of its own.
                del self._queues[chat_id]
        finally:
            if self._queues.get(chat_id) is queue:
                del self._queues[chat_id]
            for pending in queue:  # only if the drain itself failed
                await pending.fail(RuntimeError("the append was not written"))

    async def _append_batch(
        self, workspace_id: UUID, chat_id: UUID, batch: list[PendingAppend]
    ) -> None:
        journal = self._journal()
        assert journal is not None
        write = partial(
            append_batch,
            spools=[pending.spool for pending in batch],
            head_preconditions=batch[0].preconditions,
            stamper=self._stamper,
            journal=journal,
            chat=(workspace_id, chat_id),
        )
        layout = self._layout
        async with self._usage.changing(workspace_id):
            try:
                result = await layout.run(partial(layout.in_chat_dir, workspace_id, chat_id, write))
            except Exception as error:
                for pending in batch:
                    await pending.fail(error)
                return
            if result is not None and result.after is not None:
                for pending in batch[1:] if result.refused_etag is not None else batch:
                    await pending.reservation.commit(pending.spool.size)
        if result is None:
            for pending in batch:
                await self._append_by_copy(workspace_id, chat_id, pending)
            return
        if result.refused_etag is not None:
            await batch[0].fail(PreconditionFailedError(result.refused_etag))
            batch = batch[1:]
        if result.after is not None:
            version = history.version_of(result.after)
            for pending in batch:
                await pending.succeed(version)

    async def _append_by_copy(
        self, workspace_id: UUID, chat_id: UUID, pending: PendingAppend
    ) -> None:
        """Append to a history that is not a lone regular file: old content plus the body
        into a new file, published over it (never written through a link)."""
        try:
            current = await history_state(self._layout, workspace_id, chat_id)
            check(pending.preconditions, current)
            kept = current.version.size_bytes if current.regular else 0
            await pending.reservation.require(pending.spool.size + kept - current.freed)
            async with self._usage.changing(workspace_id):
                written = await write_new_history(
                    self._layout, self._stamper, workspace_id, chat_id, pending.spool, keep_old=True
                )
                delta = written.st_size - current.freed
                await pending.reservation.commit(delta, current.new_inodes)
        except Exception as error:
            await pending.fail(error)
            return
        await pending.succeed(history.version_of(written))


async def history_state(layout: Layout, workspace_id: UUID, chat_id: UUID) -> history.HistoryState:
    """The history as a write finds it now (history.history_state), in a worker thread.
    Raises ChatNotFoundError."""
    return await layout.run(partial(layout.reading, workspace_id, chat_id, history.history_state))


def check(preconditions: Preconditions | None, current: history.HistoryState) -> None:
    """Raises PreconditionFailedError unless `preconditions` hold for the history `current`."""
    if preconditions is not None:
        preconditions.require(current.version.representation)


async def write_new_history(
    layout: Layout,
    stamper: MtimeStamper,
    workspace_id: UUID,
    chat_id: UUID,
    spool: Spool,
    *,
    keep_old: bool,
) -> os.stat_result:
    """Publish a new history.md made of `spool` (after the old content when `keep_old`)
    over whatever is at that name; answer the new file's status. Raises ChatNotFoundError
    or InsufficientStorageError."""

    def write(chat_fd: int) -> os.stat_result:
        return history.write_new_history(chat_fd, layout.tmp_fd, spool, stamper, keep_old=keep_old)

    return await layout.run(partial(layout.in_chat_dir, workspace_id, chat_id, write))
