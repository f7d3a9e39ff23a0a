"""Readers-writer locks across processes on PostgreSQL: each AdvisoryKeyedLocks below
stands for one process (its own engine and lock session) on one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chatkeep.local.locks import LocalKeyedLocks
from chatkeep.repository.sql.engine import open_database
from chatkeep.repository.sql.locks import AdvisoryKeyedLocks


@pytest.fixture
async def processes(postgres_url: str) -> AsyncIterator[list[AdvisoryKeyedLocks]]:
    engines = [await open_database(postgres_url) for _ in range(2)]
    locks = [AdvisoryKeyedLocks(engine, LocalKeyedLocks()) for engine in engines]
    yield locks
    for process, engine in zip(locks, engines, strict=True):
        await process.close()
        await engine.dispose()


async def test_shared_holders_in_two_processes_run_together(
    processes: list[AdvisoryKeyedLocks],
) -> None:
    """Both processes hold the key shared at once; neither waits for the other."""
    first, second = processes
    async with asyncio.timeout(5), first.hold_shared("k"), second.hold_shared("k"):
        pass


async def test_an_exclusive_holder_waits_for_shared_ones_in_any_process(
    processes: list[AdvisoryKeyedLocks],
) -> None:
    """While one process holds the key shared, the other's exclusive hold waits; and
    while it holds it alone, the first's shared hold waits in turn."""
    first, second = processes
    events: list[str] = []
    release = asyncio.Event()

    async def share() -> None:
        async with first.hold_shared("k"):
            events.append("shared in")
            await release.wait()
            events.append("shared out")

    async def alone() -> None:
        async with second.hold("k"):
            events.append("alone in")
            await asyncio.sleep(0.1)
            events.append("alone out")

    sharing = asyncio.create_task(share())
    await asyncio.sleep(0.05)
    exclusive = asyncio.create_task(alone())
    await asyncio.sleep(0.2)
    assert events == ["shared in"]
    release.set()
    await exclusive
    async with first.hold_shared("k"):
        events.append("shared again")
    await sharing
    assert events == ["shared in", "shared out", "alone in", "alone out", "shared again"]


async def test_a_task_holding_the_key_alone_may_hold_it_shared(
    processes: list[AdvisoryKeyedLocks],
) -> None:
    """Reentry: shared within exclusive in one task passes, and the key is free after."""
    first, second = processes
    async with asyncio.timeout(5):
        async with first.hold("k"), first.hold_shared("k"):
            pass
        async with second.hold("k"):
            pass
