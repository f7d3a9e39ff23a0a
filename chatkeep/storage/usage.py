"""Per-workspace usage and the quota's reservations.

`used` is the bytes and the inodes (entries) published in a workspace's chat
directories; claims are those of writes still in flight. A write reserves before its
bytes or entries land, so concurrent writes can never take a workspace over either
quota together.

`UsageLedger` keeps both in memory, for one process: a quota check costs O(1) on the
event loop, and only the initial count walks the disk. Several processes sharing a
data directory use a ledger in their shared database instead (repository/sql/usage.py),
behind the same `Ledger` protocol; a `Reservation` works the same on either.
"""

from __future__ import annotations

from uuid import UUID

from chatkeep.domain.errors import WorkspaceQuotaExceededError
from chatkeep.domain.workspace import Usage
from chatkeep.usecase.ports.quota import Counter, Reservation


class UsageLedger:
    def __init__(self, count_on_disk: Counter) -> None:
        self._count_on_disk = count_on_disk
        self._used: dict[UUID, Usage] = {}
        self._claimed: dict[UUID, int] = {}
        self._claimed_inodes: dict[UUID, int] = {}
        self._generation: dict[UUID, int] = {}

    async def usage(self, workspace_id: UUID) -> Usage:
        """In memory. See Ledger.usage."""
        while workspace_id not in self._used:
            generation = self._generation.get(workspace_id, 0)
            counted = await self._count_on_disk(workspace_id)
            # A write published during the walk may or may not have been seen: count again.
            if self._generation.get(workspace_id, 0) == generation:
                self._used.setdefault(workspace_id, counted)
        return self._used[workspace_id]

    async def used_bytes(self, workspace_id: UUID) -> int:
        """In memory. See Ledger.used_bytes."""
        return (await self.usage(workspace_id)).bytes

    async def start(self) -> None:
        """Nothing to prepare. See Ledger.start."""
        pass

    async def close(self) -> None:
        """Nothing to release. See Ledger.close."""
        pass

    async def forget(self, workspace_id: UUID) -> None:
        """In memory. See Ledger.forget."""
        self._used.pop(workspace_id, None)
        self._generation[workspace_id] = self._generation.get(workspace_id, 0) + 1

    async def add(self, workspace_id: UUID, delta: int, inodes: int = 0) -> None:
        """In memory. See Ledger.add."""
        self.add_now(workspace_id, delta, inodes)

    def add_now(self, workspace_id: UUID, delta: int, inodes: int = 0) -> None:
        """`add`, synchronously: for a caller already on the event loop that must not yield."""
        self._generation[workspace_id] = self._generation.get(workspace_id, 0) + 1
        used = self._used.get(workspace_id)
        if used is not None:
            self._used[workspace_id] = Usage(
                max(0, used.bytes + delta), max(0, used.inodes + inodes)
            )

    def claimed_bytes(self, workspace_id: UUID) -> int:
        """The bytes the workspace's live claims hold, beyond its usage."""
        return self._claimed.get(workspace_id, 0)

    def claimed_inodes(self, workspace_id: UUID) -> int:
        """The inodes the workspace's live claims hold, beyond its usage."""
        return self._claimed_inodes.get(workspace_id, 0)

    async def reserve(
        self,
        workspace_id: UUID,
        quota_bytes: int,
        credit: int = 0,
        *,
        quota_inodes: int | None = None,
    ) -> Reservation:
        """In memory. See Ledger.reserve."""
        await self.usage(workspace_id)
        return Reservation(_LocalClaim(self, workspace_id, quota_bytes, quota_inodes), credit)

    def adjust_claim(
        self, workspace_id: UUID, old: int, new: int, quota: int | None, *, inodes: bool = False
    ) -> None:
        """Move one write's claim from `old` to `new` bytes (or inodes); growth must fit
        the quota (None: no limit)."""
        claimed = self._claimed_inodes if inodes else self._claimed
        if new > old and quota is not None:
            used = self._used.get(workspace_id, Usage(0, 0))
            others = claimed.get(workspace_id, 0) - old
            available = quota - (used.inodes if inodes else used.bytes) - others
            if new > available:
                raise WorkspaceQuotaExceededError(
                    workspace_id,
                    quota,
                    new - max(available, 0),
                    unit="inodes" if inodes else "bytes",
                )
        claimed[workspace_id] = claimed.get(workspace_id, 0) - old + new
        if not claimed[workspace_id]:
            del claimed[workspace_id]


class _LocalClaim:
    def __init__(
        self, ledger: UsageLedger, workspace_id: UUID, quota_bytes: int, quota_inodes: int | None
    ) -> None:
        self._ledger, self._workspace_id = ledger, workspace_id
        self._quota, self._quota_inodes = quota_bytes, quota_inodes
        self._held = 0
        self._held_inodes = 0

    async def claim(self, size: int, *, exact: bool) -> None:
        self._ledger.adjust_claim(self._workspace_id, self._held, size, self._quota)
        self._held = size

    async def claim_inodes(self, count: int) -> None:
        self._ledger.adjust_claim(
            self._workspace_id, self._held_inodes, count, self._quota_inodes, inodes=True
        )
        self._held_inodes = count

    async def settle(self, delta: int, inodes: int = 0) -> None:
        await self.release()
        self._ledger.add_now(self._workspace_id, delta, inodes)

    async def release(self) -> None:
        self._ledger.adjust_claim(self._workspace_id, self._held, 0, self._quota)
        self._ledger.adjust_claim(
            self._workspace_id, self._held_inodes, 0, self._quota_inodes, inodes=True
        )
        self._held = self._held_inodes = 0
