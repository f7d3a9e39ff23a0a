"""The quotas of a workspace, bytes and inodes: its usage counted, and the ledger through which
every write reserves before its bytes or entries land, so that concurrent writes never take
a workspace over a quota together (decision records 008 and 024). The storage keeps the
ledger; several replicas keep it in their shared database (repository/sql/usage.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol
from uuid import UUID

from chatkeep.domain.workspace import Usage

# Counts a workspace's usage on disk: what a ledger starts from when it knows none.
Counter = Callable[[UUID], Awaitable[Usage]]


class UsageCounts(Protocol):
    """The usage of each workspace's chat directories."""

    async def workspace_usage(self, workspace_id: UUID) -> Usage:
        """The bytes and inodes of the workspace's chat directories (contract: `used_bytes`,
        `used_inodes`), counted on disk when not known."""
        ...

    async def recount_usage(self, workspace_id: UUID) -> Usage:
        """Count the workspace's bytes and inodes on disk again, sandbox writes included."""
        ...


class Claim(Protocol):
    """One write's claim on one workspace's quotas: bytes, and inodes (entries)."""

    async def claim(self, size: int, *, exact: bool) -> None:
        """Hold `size` bytes; growth must fit the quota. Unless `exact`, the claim may be
        taken larger than asked, for growth still to come. Raises
        WorkspaceQuotaExceededError when it does not fit."""
        ...

    async def claim_inodes(self, count: int) -> None:
        """Hold `count` inodes, the entries the write will create; growth must fit the
        inode quota (WorkspaceQuotaExceededError, unit "inodes")."""
        ...

    async def settle(self, delta: int, inodes: int = 0) -> None:
        """Drop the claim and add `delta` bytes and `inodes` entries to the usage."""
        ...

    async def release(self) -> None:
        """Drop the claim."""
        ...


class Ledger(Protocol):
    async def start(self) -> None:
        """Prepare the ledger (a shared one joins its database); called when the storage
        starts."""
        ...

    async def close(self) -> None:
        """Release what start() acquired."""
        ...

    async def usage(self, workspace_id: UUID) -> Usage:
        """The workspace's bytes and inodes, counted on disk when not known."""
        ...

    async def used_bytes(self, workspace_id: UUID) -> int:
        """The workspace's bytes (`usage(...).bytes`), counted on disk when not known."""
        ...

    async def forget(self, workspace_id: UUID) -> None:
        """Drop the count; the next read walks the disk again."""
        ...

    async def add(self, workspace_id: UUID, delta: int, inodes: int = 0) -> None:
        """Add `delta` bytes and `inodes` entries to the usage (negative: freed)."""
        ...

    async def reserve(
        self,
        workspace_id: UUID,
        quota_bytes: int,
        credit: int = 0,
        *,
        quota_inodes: int | None = None,
    ) -> Reservation:
        """A reservation against the quotas; without `quota_inodes`, inode claims are
        never refused (a write that creates no entry, or is not refused for them)."""
        ...


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
        is refused before its body is read: WorkspaceQuotaExceededError."""
        await self._set_claim(max(0, max(size, self._received) - self._credit), exact=True)
        self._expected = size

    async def grow(self, size: int) -> None:
        """Count `size` more bytes received, claiming the growth beyond the credit and the
        declared size. Raises WorkspaceQuotaExceededError when it does not fit the quota."""
        received = self._received + size
        claim = max(0, max(received, self._expected) - self._credit)
        if claim != self._claim:
            await self._set_claim(claim, exact=False)
        self._received = received

    async def require(self, delta: int) -> None:
        """Claim exactly the net growth `delta` (bytes) that publishing will cause. Raises
        WorkspaceQuotaExceededError."""
        await self._set_claim(max(0, delta), exact=True)

    async def require_inodes(self, count: int) -> None:
        """Claim exactly the `count` entries that publishing will create (none when it
        only replaces what is there). Raises WorkspaceQuotaExceededError (unit "inodes")."""
        await self._backing.claim_inodes(max(0, count))

    async def commit(self, delta: int, inodes: int = 0) -> None:
        """Settle: `delta` bytes and `inodes` entries join the usage, the claim goes."""
        self._claim = 0
        await self._backing.settle(delta, inodes)

    async def release(self) -> None:
        """Drop the claim without adding to the usage: the write did not publish."""
        self._claim = 0
        await self._backing.release()

    async def _set_claim(self, claim: int, *, exact: bool) -> None:
        await self._backing.claim(claim, exact=exact)
        self._claim = claim
