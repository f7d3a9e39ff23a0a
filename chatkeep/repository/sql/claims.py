"""One write's claim in the shared ledger (usage.py): what it asks for, and the check
of its growth against the quotas, bytes and inodes."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING
from uuid import UUID

from chatkeep.domain.errors import WorkspaceQuotaExceededError
from chatkeep.domain.workspace import Usage

if TYPE_CHECKING:
    from chatkeep.repository.sql.usage import SqlUsageLedger

# A body of unknown length claims ahead of its bytes, doubling up to this step, so that
# it asks the database once per step rather than once per chunk.
CLAIM_STEP = 4 * 1024 * 1024


class Asked:
    """What one claim asks for, and the quotas its growth must fit."""

    def __init__(
        self, quota_bytes: int, quota_inodes: int | None, held: Usage, wanted: Usage
    ) -> None:
        self.quota_bytes, self.quota_inodes = quota_bytes, quota_inodes
        self.held, self.bytes, self.inodes = held, wanted.bytes, wanted.inodes

    def check(self, workspace_id: UUID, taken: Usage) -> None:
        """Raise WorkspaceQuotaExceededError when what grows does not fit beside `taken`
        (usage plus the other live claims)."""
        if self.bytes > self.held.bytes:
            available = self.quota_bytes - taken.bytes
            if self.bytes > available:
                raise WorkspaceQuotaExceededError(
                    workspace_id, self.quota_bytes, self.bytes - max(available, 0)
                )
        if self.inodes > self.held.inodes and self.quota_inodes is not None:
            available = self.quota_inodes - taken.inodes
            if self.inodes > available:
                raise WorkspaceQuotaExceededError(
                    workspace_id, self.quota_inodes, self.inodes - max(available, 0), unit="inodes"
                )


class SqlClaim:
    """One write's claim, held in the database; bodies of unknown length claim ahead."""

    def __init__(
        self,
        ledger: SqlUsageLedger,
        workspace_id: UUID,
        quota_bytes: int,
        quota_inodes: int | None = None,
    ) -> None:
        self._ledger, self._workspace_id = ledger, workspace_id
        self._quota, self._quota_inodes = quota_bytes, quota_inodes
        self._id = str(uuid.uuid4())
        self._granted = Usage(0, 0)
        self._stored = False

    async def claim(self, size: int, *, exact: bool) -> None:
        """Grows the claim's row (workspace usage row locked, decided in one transaction),
        ahead by up to CLAIM_STEP unless `exact`. See Claim.claim."""
        if size <= self._granted.bytes:  # shrinking needs no room; the grant goes at the end
            return
        ahead = size if exact else size + min(CLAIM_STEP, size)
        try:
            await self._grant(Usage(ahead, self._granted.inodes))
        except WorkspaceQuotaExceededError:
            if ahead == size:
                raise
            # What is asked may fit where the step ahead did not.
            await self._grant(Usage(size, self._granted.inodes))

    async def claim_inodes(self, count: int) -> None:
        """Grows the claim's row, as claim does. See Claim.claim_inodes."""
        if count <= self._granted.inodes:
            return
        await self._grant(Usage(self._granted.bytes, count))

    async def _grant(self, wanted: Usage) -> None:
        self._stored = True  # from here on, a release must delete the row
        asked = Asked(self._quota, self._quota_inodes, self._granted, wanted)
        await self._ledger.grant(self._id, self._workspace_id, asked)
        self._granted = wanted

    async def settle(self, delta: int, inodes: int = 0) -> None:
        """Deletes the claim's row and adds to the usage in one transaction, shielded from
        cancellation. See Claim.settle."""
        drop = self._ledger.drop(self._id, self._workspace_id, Usage(delta, inodes))
        await asyncio.shield(drop)
        self._granted, self._stored = Usage(0, 0), False

    async def release(self) -> None:
        """Deletes the claim's row, if stored, shielded from cancellation. See Claim.release."""
        if self._stored:
            # Shielded: a cancelled request must not leave its claim behind.
            await asyncio.shield(self._ledger.drop(self._id, self._workspace_id, None))
            self._granted, self._stored = Usage(0, 0), False
