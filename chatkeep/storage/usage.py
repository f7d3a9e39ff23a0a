"""Per-workspace usage kept in memory, so a quota check costs O(1).

`used` is the bytes published in a workspace's chat directories; claims are the
bytes of writes still in flight. A write reserves before its bytes land, so
concurrent writes can never take a workspace over its quota together. Every
method runs on the event loop thread; only the initial count walks the disk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from chatkeep.domain.errors import WorkspaceQuotaExceededError

Counter = Callable[[UUID], Awaitable[int]]


class UsageLedger:
    def __init__(self, count_on_disk: Counter) -> None:
        self._count_on_disk = count_on_disk
        self._used: dict[UUID, int] = {}
        self._claimed: dict[UUID, int] = {}
        self._generation: dict[UUID, int] = {}

    async def used_bytes(self, workspace_id: UUID) -> int:
        while workspace_id not in self._used:
            generation = self._generation.get(workspace_id, 0)
            counted = await self._count_on_disk(workspace_id)
            # A write published during the walk may or may not have been seen: count again.
            if self._generation.get(workspace_id, 0) == generation:
                self._used.setdefault(workspace_id, counted)
        return self._used[workspace_id]

    def forget(self, workspace_id: UUID) -> None:
        """Drop the count; the next read walks the disk again."""
        self._used.pop(workspace_id, None)
        self._generation[workspace_id] = self._generation.get(workspace_id, 0) + 1

    def add(self, workspace_id: UUID, delta: int) -> None:
        self._generation[workspace_id] = self._generation.get(workspace_id, 0) + 1
        if workspace_id in self._used:
            self._used[workspace_id] = max(0, self._used[workspace_id] + delta)

    def claimed_bytes(self, workspace_id: UUID) -> int:
        return self._claimed.get(workspace_id, 0)

    async def reserve(self, workspace_id: UUID, quota_bytes: int, credit: int = 0) -> Reservation:
        await self.used_bytes(workspace_id)
        return Reservation(self, workspace_id, quota_bytes, credit)

    def adjust_claim(self, workspace_id: UUID, old: int, new: int, quota_bytes: int) -> None:
        """Move one write's claim from `old` to `new` bytes; growth must fit the quota."""
        if new > old:
            others = self._claimed.get(workspace_id, 0) - old
            available = quota_bytes - self._used.get(workspace_id, 0) - others
            if new > available:
                raise WorkspaceQuotaExceededError(
                    workspace_id, quota_bytes, new - max(available, 0)
                )
        self._claimed[workspace_id] = self._claimed.get(workspace_id, 0) - old + new
        if not self._claimed[workspace_id]:
            del self._claimed[workspace_id]


class Reservation:
    """The claim of one write: grows as bytes arrive, settles when the write publishes.

    `credit` is the bytes the write is expected to free (the file it replaces);
    only growth beyond it is claimed against the quota.
    """

    def __init__(self, ledger: UsageLedger, workspace_id: UUID, quota: int, credit: int) -> None:
        self._ledger = ledger
        self._workspace_id = workspace_id
        self._quota = quota
        self._credit = credit
        self._received = 0
        self._expected = 0
        self._claim = 0

    def expect(self, size: int) -> None:
        """Claim a declared size before any byte arrives, so a write that cannot fit
        is refused before its body is read."""
        self._set_claim(max(0, max(size, self._received) - self._credit))
        self._expected = size

    def grow(self, size: int) -> None:
        received = self._received + size
        self._set_claim(max(0, max(received, self._expected) - self._credit))
        self._received = received

    def require(self, delta: int) -> None:
        """Claim exactly the net growth `delta` that publishing will cause."""
        self._set_claim(max(0, delta))

    def commit(self, delta: int) -> None:
        self.release()
        self._ledger.add(self._workspace_id, delta)

    def release(self) -> None:
        self._set_claim(0)

    def _set_claim(self, claim: int) -> None:
        self._ledger.adjust_claim(self._workspace_id, self._claim, claim, self._quota)
        self._claim = claim
