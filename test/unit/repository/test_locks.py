from __future__ import annotations

import asyncio

from chatkeep.locks import LocalKeyedLocks


async def test_same_key_is_exclusive_and_other_keys_are_not() -> None:
    """Holders of one key run one at a time; another key does not wait for them."""
    locks = LocalKeyedLocks()
    events: list[str] = []
    release = asyncio.Event()

    async def hold(key: str, name: str) -> None:
        async with locks.hold(key):
            events.append(f"{name} in")
            if name == "first":
                await release.wait()
            events.append(f"{name} out")

    first = asyncio.create_task(hold("a", "first"))
    second = asyncio.create_task(hold("a", "second"))
    other = asyncio.create_task(hold("b", "other"))
    await asyncio.sleep(0.01)
    assert events == ["first in", "other in", "other out"]
    release.set()
    await asyncio.gather(first, second, other)
    assert events[3:] == ["first out", "second in", "second out"]


async def test_unused_keys_are_dropped() -> None:
    """A key nobody holds or awaits leaves no lock behind."""
    locks = LocalKeyedLocks()
    async with locks.hold("k"):
        pass
    assert len(locks) == 0


async def test_a_task_may_take_a_lock_it_holds() -> None:
    """Holding a key again from the same task does not deadlock; other tasks still wait."""
    locks = LocalKeyedLocks()
    order: list[str] = []

    async def other() -> None:
        async with locks.hold("k"):
            order.append("other")

    async with locks.hold("k"):
        waiting = asyncio.create_task(other())
        async with locks.hold("k"):
            await asyncio.sleep(0.01)
            order.append("inner")
        await asyncio.sleep(0.01)
        order.append("outer")
    await waiting
    assert order == ["inner", "outer", "other"]
    assert len(locks) == 0
