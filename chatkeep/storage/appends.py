"""Group commit for history appends: appends that wait for the same chat share one fsync.

The first append to find no writer at work for its chat starts a drain; every
append that arrives while it writes joins the next batch. A batch is written
with one intent record, one write per append, one fsync. An append with
preconditions can only head a batch: they are checked against the history
as it is before the batch, the only version that exists on disk.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from dataclasses import dataclass, field

import anyio.to_thread

from chatkeep.domain.chat import HISTORY_FILE_NAME
from chatkeep.domain.conditions import Outcome, Preconditions
from chatkeep.domain.history import HistoryVersion
from chatkeep.storage.etag import MtimeStamper, etag_of, representation_of
from chatkeep.storage.files import APPEND_FLAGS, fsync, open_regular
from chatkeep.storage.journal import AppendJournal, cut_torn
from chatkeep.storage.spool import Spool
from chatkeep.usecase.ports.quota import Reservation

MAX_BATCH = 256


@dataclass
class PendingAppend:
    """A received append waiting for its batch; the drain owns its spool and claim."""

    spool: Spool
    reservation: Reservation
    preconditions: Preconditions | None
    answer: asyncio.Future[HistoryVersion] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    async def succeed(self, version: HistoryVersion) -> None:
        """Settle the append's reservation, then answer its waiter with `version`."""
        try:
            await self._settle()
        finally:
            if not self.answer.done():
                self.answer.set_result(version)

    async def fail(self, error: BaseException) -> None:
        """Settle the append's reservation, then raise `error` to its waiter."""
        try:
            await self._settle()
        finally:
            if not self.answer.done():
                self.answer.set_exception(error)

    async def _settle(self) -> None:
        await self.reservation.release()
        if self.spool.on_disk:
            await anyio.to_thread.run_sync(self.spool.discard)
        else:
            self.spool.discard()


def next_batch(queue: deque[PendingAppend]) -> list[PendingAppend]:
    """The next appends to write together: the first queued, then those after it without
    preconditions, MAX_BATCH at most (one with preconditions is decided alone)."""
    batch = [queue.popleft()]
    while queue and queue[0].preconditions is None and len(batch) < MAX_BATCH:
        batch.append(queue.popleft())
    return batch


@dataclass(frozen=True, slots=True)
class BatchResult:
    # The history after the batch; None when nothing was written.
    after: os.stat_result | None
    # Set when the head's preconditions failed: the ETag they were decided against.
    refused_etag: str | None


def append_batch(
    chat_fd: int,
    spools: list[Spool],
    head_preconditions: Preconditions | None,
    stamper: MtimeStamper,
    journal: AppendJournal,
    chat: tuple[object, object],
) -> BatchResult | None:
    """Blocking: append every spool to the history's own inode, fsync once.

    None when the history is not a lone regular file; the caller then takes the
    copy-and-replace path for each append. Call under the chat's lock: the history is
    opened here, after it, so its size and version are the ones every replica agrees on
    (decision record 017); a failed batch is cut back only within its own bytes.
    """
    opened = open_regular(chat_fd, HISTORY_FILE_NAME, APPEND_FLAGS)
    if opened is None:
        return None
    fd, before = opened
    if before.st_nlink != 1:
        os.close(fd)
        return None
    refused = None
    if head_preconditions is not None:
        outcome = head_preconditions.evaluate(representation_of(before), safe=False)
        if outcome is not Outcome.PROCEED:
            refused, spools = etag_of(before), spools[1:]
    if not spools:
        os.close(fd)
        return BatchResult(None, refused)
    end = before.st_size + sum(spool.size for spool in spools)
    try:
        intent = journal.record(
            chat[0],  # type: ignore[arg-type]
            chat[1],  # type: ignore[arg-type]
            before,
            end - before.st_size,
        )
    except BaseException:
        os.close(fd)
        raise
    try:
        for spool in spools:
            spool.copy_to(fd)
        stamper.stamp(fd)
        fsync(fd)
        after = os.fstat(fd)
    except BaseException:
        # Should the cut fail, the intent stays and start-up cuts instead.
        try:
            cut_torn(fd, before.st_ino, before.st_size, end)
        finally:
            os.close(fd)
        journal.clear(intent)
        raise
    try:
        os.close(fd)
    except BaseException:
        # A failed close may have lost what was written: take the batch back.
        _reopen_and_cut_back(chat_fd, before, end)
        journal.clear(intent)
        raise
    journal.clear(intent)
    return BatchResult(after, refused)


def _reopen_and_cut_back(chat_fd: int, before: os.stat_result, end: int) -> None:
    opened = open_regular(chat_fd, HISTORY_FILE_NAME, APPEND_FLAGS)
    if opened is None:
        return
    fd, _ = opened
    try:
        cut_torn(fd, before.st_ino, before.st_size, end)
    finally:
        os.close(fd)
