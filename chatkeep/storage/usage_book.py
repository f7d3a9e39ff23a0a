"""The usage of each workspace as the storage keeps it: a ledger (this process's, or the
replicas' shared one) that every write reserves through, and counts of the disk that set
it. Every change of bytes on disk and its addition to the usage hold the workspace's usage
lock shared; a count holds it alone (decision record 020), so no count sees one without
the other."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from uuid import UUID

import anyio.to_thread

from chatkeep.domain.workspace import Usage
from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.layout import Layout
from chatkeep.storage.lock_keys import usage_lock
from chatkeep.storage.stale import retry_stale
from chatkeep.storage.tree import measure
from chatkeep.storage.usage import UsageLedger
from chatkeep.usecase.ports import KeyedLocks
from chatkeep.usecase.ports.quota import Counter, Ledger


class UsageBook:
    """The usage of the workspaces under `layout`, kept by `ledger(count)` (UsageLedger,
    in memory, by default), with `locks` shared with the use cases."""

    def __init__(
        self,
        layout: Layout,
        locks: KeyedLocks,
        ledger: Callable[[Counter], Ledger] | None = None,
    ) -> None:
        self._layout = layout
        self._locks = locks
        self.ledger = (ledger or UsageLedger)(self._count_workspace)

    def changing(self, workspace_id: UUID) -> AbstractAsyncContextManager[None]:
        """Held around a change of the workspace's bytes or entries on disk and its
        addition to the usage, so that no count of the disk sees one without the other."""
        return self._locks.hold_shared(usage_lock(workspace_id))

    async def usage(self, workspace_id: UUID) -> Usage:
        """The workspace's bytes and inodes (contract: `used_bytes`, `used_inodes`),
        counted on disk when the ledger does not know them."""
        return await self.ledger.usage(workspace_id)

    async def recount(self, workspace_id: UUID) -> Usage:
        """Count the workspace's bytes and inodes on disk again, sandbox writes included."""
        await self.ledger.forget(workspace_id)
        return await self.ledger.usage(workspace_id)

    async def _count_workspace(self, workspace_id: UUID) -> Usage:
        # Alone: a write between putting its bytes on disk and adding them to the usage
        # would be counted twice, once by the walk and once by its own addition.
        async with self._locks.hold(usage_lock(workspace_id)):
            count = partial(self._count_tree, workspace_id)
            return await anyio.to_thread.run_sync(partial(retry_stale, count))

    def _count_tree(self, workspace_id: UUID) -> Usage:
        try:
            fd = os.open(self._layout.chats_of(workspace_id), DIR_FLAGS)
        except FileNotFoundError:
            return Usage(0, 0)
        try:
            # One walk of every chat directory: a file linked into two chats counts once.
            size = measure(fd)
        finally:
            os.close(fd)
        return Usage(size.bytes, size.entries)
