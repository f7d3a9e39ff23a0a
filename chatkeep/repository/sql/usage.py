"""Usage and quota claims in a database that several chatkeep processes share.

Each workspace has a `workspace_usage` row; a claim is a row of `usage_claims`. Taking
or growing a claim locks the workspace's usage row (`SELECT … FOR UPDATE`), so claims
of one workspace are decided one at a time across every process, and a claim is
granted only if usage plus every other live claim plus it fits the quota. A claim
belongs to a holder (one process) that refreshes its `usage_holders` row every few
seconds: the claims of a process that died stop counting once it has not been seen
for HOLDER_TIMEOUT_SECONDS, and are deleted then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.domain.errors import WorkspaceQuotaExceededError
from chatkeep.repository.sql.schema import usage_claims, usage_holders, workspace_usage
from chatkeep.storage.usage import Counter, Reservation

HEARTBEAT_SECONDS = 5.0
HOLDER_TIMEOUT_SECONDS = 30.0
# A body of unknown length claims ahead of its bytes, doubling up to this step, so that
# it asks the database once per step rather than once per chunk.
CLAIM_STEP = 4 * 1024 * 1024

log = logging.getLogger("chatkeep.usage")


def _micros() -> int:
    return time.time_ns() // 1000


class SqlUsageLedger:
    def __init__(self, engine: AsyncEngine, count_on_disk: Counter) -> None:
        self._engine = engine
        # One-statement reads need no BEGIN and ROLLBACK around them.
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._count_on_disk = count_on_disk
        self.holder = str(uuid.uuid4())
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.beat()
        self._heartbeat = asyncio.create_task(self._beat_forever())

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(usage_claims).where(usage_claims.c.holder == self.holder)
            )
            await connection.execute(
                delete(usage_holders).where(usage_holders.c.holder == self.holder)
            )

    async def beat(self) -> None:
        """Say this process is alive; forget the claims of processes that are not."""
        now, stale = _micros(), _micros() - int(HOLDER_TIMEOUT_SECONDS * 1e6)
        async with self._engine.begin() as connection:
            seen = update(usage_holders).where(usage_holders.c.holder == self.holder)
            if (await connection.execute(seen.values(seen_at=now))).rowcount == 0:
                await connection.execute(
                    insert(usage_holders).values(holder=self.holder, seen_at=now)
                )
            gone = select(usage_holders.c.holder).where(usage_holders.c.seen_at < stale)
            await connection.execute(delete(usage_claims).where(usage_claims.c.holder.in_(gone)))
            await connection.execute(delete(usage_holders).where(usage_holders.c.seen_at < stale))

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.beat()
            except Exception:
                log.exception("usage heartbeat failed; retrying")

    async def used_bytes(self, workspace_id: UUID) -> int:
        key = str(workspace_id)
        while True:
            async with self._reads.connect() as connection:
                query = select(workspace_usage).where(workspace_usage.c.workspace_id == key)
                row = (await connection.execute(query)).first()
            if row is None:
                await self._add_row(key)
                continue
            if row.used_bytes is not None:
                return int(row.used_bytes)
            counted = await self._count_on_disk(workspace_id)
            # Stored only if no write moved the generation during the walk; else count again.
            store = (
                update(workspace_usage)
                .where(
                    and_(
                        workspace_usage.c.workspace_id == key,
                        workspace_usage.c.generation == row.generation,
                        workspace_usage.c.used_bytes.is_(None),
                    )
                )
                .values(used_bytes=counted)
            )
            async with self._engine.begin() as connection:
                if (await connection.execute(store)).rowcount == 1:
                    return counted

    async def _add_row(self, key: str) -> None:
        with contextlib.suppress(IntegrityError):  # another process added it first
            async with self._engine.begin() as connection:
                row = {"workspace_id": key, "used_bytes": None, "generation": 0}
                await connection.execute(insert(workspace_usage).values(**row))

    async def forget(self, workspace_id: UUID) -> None:
        await self._change(workspace_id, None)

    async def add(self, workspace_id: UUID, delta: int) -> None:
        await self._change(workspace_id, delta)

    async def _change(self, workspace_id: UUID, delta: int | None) -> None:
        async with self._engine.begin() as connection:
            await _apply(connection, str(workspace_id), delta)

    async def reserve(self, workspace_id: UUID, quota_bytes: int, credit: int = 0) -> Reservation:
        await self.used_bytes(workspace_id)
        return Reservation(SqlClaim(self, workspace_id, quota_bytes), credit)

    async def grant(self, claim_id: str, workspace_id: UUID, quota_bytes: int, size: int) -> None:
        """Set the claim to `size` bytes if usage, the other live claims and it fit."""
        key = str(workspace_id)
        while True:
            async with self._engine.begin() as connection:
                locked = (
                    select(workspace_usage.c.used_bytes)
                    .where(workspace_usage.c.workspace_id == key)
                    .with_for_update()
                )
                used = (await connection.execute(locked)).scalar()
                if used is not None:
                    others = await connection.execute(_live_claims(key, claim_id))
                    available = quota_bytes - used - int(others.scalar() or 0)
                    if size > available:
                        raise WorkspaceQuotaExceededError(
                            workspace_id, quota_bytes, size - max(available, 0)
                        )
                    await self._store_claim(connection, claim_id, key, size)
                    return
            await self.used_bytes(workspace_id)  # forgotten meanwhile: count, then retry

    async def _store_claim(
        self, connection: AsyncConnection, claim_id: str, key: str, size: int
    ) -> None:
        where = usage_claims.c.claim_id == claim_id
        if (
            await connection.execute(update(usage_claims).where(where).values(bytes=size))
        ).rowcount:
            return
        row = {"claim_id": claim_id, "workspace_id": key, "holder": self.holder, "bytes": size}
        await connection.execute(insert(usage_claims).values(**row))

    async def drop(self, claim_id: str, workspace_id: UUID, delta: int | None) -> None:
        """Delete the claim; with `delta`, add it to the usage in the same transaction."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(usage_claims).where(usage_claims.c.claim_id == claim_id)
            )
            if delta is not None:
                await _apply(connection, str(workspace_id), delta)


def _live_claims(key: str, claim_id: str) -> Any:
    stale = _micros() - int(HOLDER_TIMEOUT_SECONDS * 1e6)
    return (
        select(func.coalesce(func.sum(usage_claims.c.bytes), 0))
        .select_from(
            usage_claims.join(usage_holders, usage_claims.c.holder == usage_holders.c.holder)
        )
        .where(
            and_(
                usage_claims.c.workspace_id == key,
                usage_claims.c.claim_id != claim_id,
                usage_holders.c.seen_at >= stale,
            )
        )
    )


async def _apply(connection: AsyncConnection, key: str, delta: int | None) -> None:
    """Add `delta` to the usage (None: forget it, so the next read counts the disk)."""
    used = workspace_usage.c.used_bytes
    value: Any = None
    if delta is not None:
        value = case((used + delta < 0, 0), else_=used + delta)  # NULL stays NULL
    statement = (
        update(workspace_usage)
        .where(workspace_usage.c.workspace_id == key)
        .values(used_bytes=value, generation=workspace_usage.c.generation + 1)
    )
    await connection.execute(statement)


class SqlClaim:
    """One write's claim, held in the database; bodies of unknown length claim ahead."""

    def __init__(self, ledger: SqlUsageLedger, workspace_id: UUID, quota_bytes: int) -> None:
        self._ledger, self._workspace_id, self._quota = ledger, workspace_id, quota_bytes
        self._id = str(uuid.uuid4())
        self._granted = 0
        self._stored = False

    async def claim(self, size: int, *, exact: bool) -> None:
        if size <= self._granted:  # shrinking needs no room; the grant goes at the end
            return
        self._stored = True  # from here on, a release must delete the row
        ahead = size if exact else size + min(CLAIM_STEP, size)
        try:
            await self._grant(ahead)
        except WorkspaceQuotaExceededError:
            if ahead == size:
                raise
            await self._grant(size)  # what is asked may fit where the step ahead did not

    async def _grant(self, size: int) -> None:
        await self._ledger.grant(self._id, self._workspace_id, self._quota, size)
        self._granted = size

    async def settle(self, delta: int) -> None:
        await asyncio.shield(self._ledger.drop(self._id, self._workspace_id, delta))
        self._granted, self._stored = 0, False

    async def release(self) -> None:
        if self._stored:
            # Shielded: a cancelled request must not leave its claim behind.
            await asyncio.shield(self._ledger.drop(self._id, self._workspace_id, None))
            self._granted, self._stored = 0, False
