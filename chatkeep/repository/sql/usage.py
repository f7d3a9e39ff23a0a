"""Usage and quota claims in a database that several chatkeep processes share.

Each workspace has a `workspace_usage` row; a claim is a row of `usage_claims`. Taking
or growing a claim locks the workspace's usage row (`SELECT … FOR UPDATE`), so claims
of one workspace are decided one at a time across every process, and a claim is
granted only if usage plus every other live claim plus it fits the quota, in bytes and
in inodes (entries) alike: both are decided in the one transaction. A claim
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

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.domain.workspace import Usage
from chatkeep.repository.sql.claims import Asked, SqlClaim
from chatkeep.repository.sql.schema import usage_claims, usage_holders, workspace_usage
from chatkeep.usecase.ports.quota import Counter, Reservation

HEARTBEAT_SECONDS = 5.0
HOLDER_TIMEOUT_SECONDS = 30.0

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
        """Records this process as a live holder and starts its heartbeat (every
        HEARTBEAT_SECONDS). See Ledger.start."""
        await self.beat()
        self._heartbeat = asyncio.create_task(self._beat_forever())

    async def close(self) -> None:
        """Stops the heartbeat; deletes this process's claims and holder row."""
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
        """From the shared usage row. See Ledger.used_bytes."""
        return (await self.usage(workspace_id)).bytes

    async def usage(self, workspace_id: UUID) -> Usage:
        """From the shared usage row; counted on disk and stored when unknown, unless a write
        moved it meanwhile. See Ledger.usage."""
        key = str(workspace_id)
        while True:
            async with self._reads.connect() as connection:
                query = select(workspace_usage).where(workspace_usage.c.workspace_id == key)
                row = (await connection.execute(query)).first()
            if row is None:
                await self._add_row(key)
                continue
            if row.used_bytes is not None and row.used_inodes is not None:
                return Usage(int(row.used_bytes), int(row.used_inodes))
            counted = await self._count_on_disk(workspace_id)
            # Stored only if no write moved the generation during the walk; else count again.
            store = (
                update(workspace_usage)
                .where(
                    and_(
                        workspace_usage.c.workspace_id == key,
                        workspace_usage.c.generation == row.generation,
                        or_(
                            workspace_usage.c.used_bytes.is_(None),
                            workspace_usage.c.used_inodes.is_(None),
                        ),
                    )
                )
                .values(used_bytes=counted.bytes, used_inodes=counted.inodes)
            )
            async with self._engine.begin() as connection:
                if (await connection.execute(store)).rowcount == 1:
                    return counted

    async def _add_row(self, key: str) -> None:
        with contextlib.suppress(IntegrityError):  # another process added it first
            async with self._engine.begin() as connection:
                row: dict[str, Any] = {"workspace_id": key, "generation": 0}
                row.update(used_bytes=None, used_inodes=None)
                await connection.execute(insert(workspace_usage).values(**row))

    async def forget(self, workspace_id: UUID) -> None:
        """Clears the shared usage row's counts. See Ledger.forget."""
        await self._change(workspace_id, None)

    async def add(self, workspace_id: UUID, delta: int, inodes: int = 0) -> None:
        """Adds to the shared usage row in one transaction. See Ledger.add."""
        await self._change(workspace_id, Usage(delta, inodes))

    async def _change(self, workspace_id: UUID, delta: Usage | None) -> None:
        async with self._engine.begin() as connection:
            await _apply(connection, str(workspace_id), delta)

    async def reserve(
        self,
        workspace_id: UUID,
        quota_bytes: int,
        credit: int = 0,
        *,
        quota_inodes: int | None = None,
    ) -> Reservation:
        """A reservation whose claim is a row in the shared database (SqlClaim). See
        Ledger.reserve."""
        await self.usage(workspace_id)
        return Reservation(SqlClaim(self, workspace_id, quota_bytes, quota_inodes), credit)

    async def grant(self, claim_id: str, workspace_id: UUID, asked: Asked) -> None:
        """Set the claim to `asked` if usage, the other live claims and it fit the quotas
        (only what grows is checked)."""
        key = str(workspace_id)
        while True:
            async with self._engine.begin() as connection:
                locked = (
                    select(workspace_usage.c.used_bytes, workspace_usage.c.used_inodes)
                    .where(workspace_usage.c.workspace_id == key)
                    .with_for_update()
                )
                used = (await connection.execute(locked)).first()
                if used is not None and None not in (used.used_bytes, used.used_inodes):
                    others = (await connection.execute(_live_claims(key, claim_id))).one()
                    asked.check(
                        workspace_id,
                        Usage(used.used_bytes + others[0], used.used_inodes + others[1]),
                    )
                    await self._store_claim(connection, claim_id, key, asked)
                    return
            await self.usage(workspace_id)  # forgotten meanwhile: count, then retry

    async def _store_claim(
        self, connection: AsyncConnection, claim_id: str, key: str, asked: Asked
    ) -> None:
        where = usage_claims.c.claim_id == claim_id
        values = {"bytes": asked.bytes, "inodes": asked.inodes}
        if (await connection.execute(update(usage_claims).where(where).values(**values))).rowcount:
            return
        row = {"claim_id": claim_id, "workspace_id": key, "holder": self.holder, **values}
        await connection.execute(insert(usage_claims).values(**row))

    async def drop(self, claim_id: str, workspace_id: UUID, delta: Usage | None) -> None:
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
        select(
            func.coalesce(func.sum(usage_claims.c.bytes), 0),
            func.coalesce(func.sum(usage_claims.c.inodes), 0),
        )
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


async def _apply(connection: AsyncConnection, key: str, delta: Usage | None) -> None:
    """Add `delta` to the usage (None: forget it, so the next read counts the disk)."""
    values: dict[str, Any] = {"used_bytes": None, "used_inodes": None}
    if delta is not None:
        for name, change in (("used_bytes", delta.bytes), ("used_inodes", delta.inodes)):
            used = workspace_usage.c[name]
            values[name] = case((used + change < 0, 0), else_=used + change)  # NULL stays NULL
    statement = (
        update(workspace_usage)
        .where(workspace_usage.c.workspace_id == key)
        .values(**values, generation=workspace_usage.c.generation + 1)
    )
    await connection.execute(statement)
