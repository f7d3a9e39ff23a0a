"""The quota ledger in PostgreSQL, as several processes share it: each SqlUsageLedger
below stands for one process (its own holder and engine) on one database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from chatkeep.domain.errors import WorkspaceQuotaExceededError
from chatkeep.domain.workspace import Usage
from chatkeep.repository.sql import usage
from chatkeep.repository.sql.engine import open_database
from chatkeep.repository.sql.schema import usage_claims, usage_holders
from chatkeep.repository.sql.usage import SqlUsageLedger

WS = uuid.uuid4()
Counter = Callable[[uuid.UUID], Awaitable[Usage]]


def counting(value: int, inodes: int = 0) -> Counter:
    async def count(workspace_id: uuid.UUID) -> Usage:
        return Usage(value, inodes)

    return count


@pytest.fixture
async def processes(postgres_url: str) -> AsyncIterator[Callable[..., Awaitable[SqlUsageLedger]]]:
    """Start ledgers that share the database, each on its own engine; closed at the end."""
    async with AsyncExitStack() as stack:

        async def start(count: Counter | None = None) -> SqlUsageLedger:
            engine = await open_database(postgres_url)
            stack.push_async_callback(engine.dispose)
            ledger = SqlUsageLedger(engine, count or counting(0))
            await ledger.start()
            stack.push_async_callback(ledger.close)
            return ledger

        yield start


async def claimed(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        query = select(func.coalesce(func.sum(usage_claims.c.bytes), 0))
        return int((await connection.execute(query)).scalar() or 0)


async def test_parallel_uploads_across_processes_never_exceed_the_quota(
    processes: Callable[..., Awaitable[SqlUsageLedger]],
) -> None:
    """40 writes of 1,000 declared bytes through two processes against a quota of
    10,000: exactly 10 are granted, and usage ends at the quota, not over it."""
    first, second = await processes(), await processes()
    quota = 10_000

    async def upload(ledger: SqlUsageLedger) -> bool:
        reservation = await ledger.reserve(WS, quota)
        try:
            await reservation.expect(1_000)
            await asyncio.sleep(0.01)  # the body arrives
            await reservation.commit(1_000)
            return True
        except WorkspaceQuotaExceededError:
            return False
        finally:
            await reservation.release()

    results = await asyncio.gather(*(upload(first if i % 2 else second) for i in range(40)))
    assert results.count(True) == 10
    assert await first.used_bytes(WS) == await second.used_bytes(WS) == quota
    assert await claimed(first._engine) == 0


async def test_a_stream_claims_ahead_but_not_past_what_fits(
    processes: Callable[..., Awaitable[SqlUsageLedger]],
) -> None:
    """A body of unknown length claims ahead of its bytes; near the quota it falls back
    to exactly what arrived, and past the quota it is refused."""
    ledger = await processes(counting(0))
    reservation = await ledger.reserve(WS, quota_bytes=1_500)
    await reservation.grow(500)
    assert await claimed(ledger._engine) == 1_000  # 500 received, 500 ahead
    await reservation.grow(800)  # 1,300: the step ahead does not fit, the bytes do
    assert await claimed(ledger._engine) == 1_300
    with pytest.raises(WorkspaceQuotaExceededError):
        await reservation.grow(201)
    await reservation.release()
    assert await claimed(ledger._engine) == 0


async def test_the_claims_of_a_dead_process_stop_counting(
    processes: Callable[..., Awaitable[SqlUsageLedger]],
) -> None:
    """A process that stops being seen for the holder timeout no longer holds quota:
    the others may use it, and their next heartbeat deletes its claims."""
    dead, alive = await processes(), await processes()
    held = await dead.reserve(WS, quota_bytes=1_000)
    await held.expect(900)
    refused = await alive.reserve(WS, quota_bytes=1_000)
    with pytest.raises(WorkspaceQuotaExceededError):
        await refused.expect(200)
    long_ago = usage._micros() - int(2 * usage.HOLDER_TIMEOUT_SECONDS * 1e6)
    async with dead._engine.begin() as connection:
        seen = update(usage_holders).where(usage_holders.c.holder == dead.holder)
        await connection.execute(seen.values(seen_at=long_ago))
    await refused.expect(200)
    await alive.beat()
    assert await claimed(alive._engine) == 200


async def test_a_count_that_raced_a_write_is_counted_again(
    processes: Callable[..., Awaitable[SqlUsageLedger]],
) -> None:
    """Usage is counted from disk once and then kept; a write published while the disk
    was being counted makes the count start over instead of being lost."""
    walks: list[int] = []
    ledger: SqlUsageLedger | None = None

    async def count(workspace_id: uuid.UUID) -> Usage:
        walks.append(1)
        if len(walks) == 1:
            assert ledger is not None
            await ledger.add(workspace_id, 5, 1)  # published during the first walk
            return Usage(100, 2)
        return Usage(105, 3)

    ledger = await processes(count)
    assert await ledger.usage(WS) == Usage(105, 3)
    await ledger.add(WS, 10, 2)
    assert await ledger.usage(WS) == Usage(115, 5)
    assert len(walks) == 2
    await ledger.forget(WS)
    assert await ledger.used_bytes(WS) == 105


async def test_a_cancelled_release_still_drops_the_claim(
    processes: Callable[..., Awaitable[SqlUsageLedger]],
) -> None:
    """A request cancelled while it releases its claim does not leave quota held."""
    ledger = await processes()
    reservation = await ledger.reserve(WS, quota_bytes=1_000)
    await reservation.expect(600)
    task = asyncio.create_task(reservation.release())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if await claimed(ledger._engine) == 0:
            break
        await asyncio.sleep(0.01)
    assert await claimed(ledger._engine) == 0


async def test_replicas_starting_together_migrate_one_at_a_time(postgres_url: str) -> None:
    """Four processes opening a new database at once all start: the migrations run
    once, under a lock, instead of racing to create the same tables."""
    opening = asyncio.gather(*(open_database(postgres_url) for _ in range(4)))
    engines = await asyncio.wait_for(opening, timeout=30)  # racing migrations hang
    for engine in engines:
        async with engine.connect() as connection:
            assert (
                await connection.execute(select(func.count()).select_from(usage_holders))
            ).scalar() == 0
        await engine.dispose()


async def test_parallel_creations_across_processes_never_exceed_the_inode_quota(
    processes: Callable[..., Awaitable[SqlUsageLedger]],
) -> None:
    """40 creations of two entries each (a chat) through two processes against an inode
    quota of 21 with 1 used: exactly 10 are granted, and usage ends at the quota."""
    first, second = await processes(counting(0, 1)), await processes(counting(0, 1))

    async def create(ledger: SqlUsageLedger) -> bool:
        reservation = await ledger.reserve(WS, quota_bytes=0, quota_inodes=21)
        try:
            await reservation.require_inodes(2)
        except WorkspaceQuotaExceededError:
            await reservation.release()
            return False
        await asyncio.sleep(0.001)
        await reservation.commit(0, 2)
        return True

    granted = await asyncio.gather(*(create((first, second)[i % 2]) for i in range(40)))
    assert sum(granted) == 10
    assert await first.usage(WS) == await second.usage(WS) == Usage(0, 21)


async def test_a_byte_claim_over_the_inode_quota_is_still_granted(
    processes: Callable[..., Awaitable[SqlUsageLedger]],
) -> None:
    """Past its inode quota (a sandbox's files), a write that adds bytes but no entry
    fits; one more entry does not."""
    ledger = await processes(counting(0, 50))
    replacement = await ledger.reserve(WS, quota_bytes=100, quota_inodes=20)
    await replacement.expect(60)
    await replacement.commit(60)
    creation = await ledger.reserve(WS, quota_bytes=100, quota_inodes=20)
    with pytest.raises(WorkspaceQuotaExceededError):
        await creation.require_inodes(1)
    await creation.release()
    assert await ledger.usage(WS) == Usage(60, 50)
