"""Per-workspace usage and the quota's reservations.

`used` is the bytes published in a workspace's chat directories; claims are the
bytes of writes still in flight. A write reserves before its bytes land, so
concurrent writes can never take a workspace over its quota together.

`UsageLedger` keeps both in memory, for one process: a quota check costs O(1) on the
event loop, and only the initial count walks the disk. Several processes sharing a
data directory use a ledger in their shared database instead (repository/sql/usage.py),
behind the same `Ledger` protocol; a `Reservation` works the same on either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol
from uuid import UUID

from chatkeep.domain.errors import WorkspaceQuotaExceededError

Counter = Callable[[UUID], Awaitable[int]]


class Claim(Protocol):
    """One write's claim on one workspace's quota."""

    async def claim(self, size: int, *, exact: bool) -> None:
        """Hold `size` bytes; growth must fit the quota. Unless `exact`, the claim may be
        taken larger than asked, for growth still to come."""
        ...

    async def settle(self, delta: int) -> None:
        """Drop the claim and add `delta` to the workspace's usage."""
        ...

    async def release(self) -> None:
        """Drop the claim."""
        ...


class Ledger(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def used_bytes(self, workspace_id: UUID) -> int: ...

    async def forget(self, workspace_id: UUID) -> None:
        """Drop the count; the next read walks the disk again."""
        ...

    async def add(self, workspace_id: UUID, delta: int) -> None: ...

    async def reserve(
        self, workspace_id: UUID, quota_bytes: int, credit: int = 0
    ) -> Reservation: ...


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

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def forget(self, workspace_id: UUID) -> None:
        self._used.pop(workspace_id, None)
        self._generation[workspace_id] = self._generation.get(workspace_id, 0) + 1

    async def add(self, workspace_id: UUID, delta: int) -> None:
        self.add_now(workspace_id, delta)

    def add_now(self, workspace_id: UUID, delta: int) -> None:
        self._generation[workspace_id] = self._generation.get(workspace_id, 0) + 1
        if workspace_id in self._used:
            self._used[workspace_id] = max(0, self._used[workspace_id] + delta)

    def claimed_bytes(self, workspace_id: UUID) -> int:
        return self._claimed.get(workspace_id, 0)

    async def reserve(self, workspace_id: UUID, quota_bytes: int, credit: int = 0) -> Reservation:
        await self.used_bytes(workspace_id)
        return Reservation(_LocalClaim(self, workspace_id, quota_bytes), credit)

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


class _LocalClaim:
    def __init__(self, ledger: UsageLedger, workspace_id: UUID, quota_bytes: int) -> None:
        self._ledger, self._workspace_id, self._quota = ledger, workspace_id, quota_bytes
        self._held = 0

    async def claim(self, size: int, *, exact: bool) -> None:
        self._ledger.adjust_claim(self._workspace_id, self._held, size, self._quota)
        self._held = size

    async def settle(self, delta: int) -> None:
        await self.release()
        self._ledger.add_now(self._workspace_id, delta)

    async def release(self) -> None:
        self._ledger.adjust_claim(self._workspace_id, self._held, 0, self._quota)
        self._held = 0


class Reservation:
    """The claim of one write: grows as bytes arrive, settles when the write publishes.

    `credit` is the bytes the write is expected to free (the file it replaces);
    only growth beyond it is claimed against the quota.
    """

    def __init__(self, claim: Claim, credit: int) -> None:
        self._backing = claim
        self._credit = credit
        self._received = 0
        self._expected = 0
        self._claim = 0

    async def expect(self, size: int) -> None:
        """Claim a declared size before any byte arrives, so a write that cannot fit
        is refused before its body is read."""
        await self._set_claim(max(0, max(size, self._received) - self._credit), exact=True)
        self._expected = size

    async def grow(self, size: int) -> None:
        received = self._received + size
        claim = max(0, max(received, self._expected) - self._credit)
        if claim != self._claim:
            await self._set_claim(claim, exact=False)
        self._received = received

    async def require(self, delta: int) -> None:
        """Claim exactly the net growth `delta` that publishing will cause."""
        await self._set_claim(max(0, delta), exact=True)

    async def commit(self, delta: int) -> None:
        self._claim = 0
        await self._backing.settle(delta)

    async def release(self) -> None:
        self._claim = 0
        await self._backing.release()

    async def _set_claim(self, claim: int, *, exact: bool) -> None:
        await self._backing.claim(claim, exact=exact)
        self._claim = claim
