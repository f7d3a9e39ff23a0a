from __future__ import annotations

import asyncio

import pytest

from chatkeep.local.locks import LocalKeyedLocks


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


async def test_shared_holders_run_together_and_exclude_an_exclusive_one() -> None:
    """Two shared holders are inside at once; an exclusive holder waits for both."""
    locks = LocalKeyedLocks()
    inside: list[str] = []
    release = asyncio.Event()

    async def share(name: str) -> None:
        async with locks.hold_shared("k"):
            inside.append(name)
            await release.wait()
            inside.remove(name)

    async def alone() -> None:
        async with locks.hold("k"):
            assert inside == []
            inside.append("alone")

    sharers = [asyncio.create_task(share(name)) for name in ("a", "b")]
    await asyncio.sleep(0.01)
    exclusive = asyncio.create_task(alone())
    await asyncio.sleep(0.01)
    assert sorted(inside) == ["a", "b"]
    release.set()
    await asyncio.gather(*sharers, exclusive)
    assert inside == ["alone"]
    assert len(locks) == 0


async def test_a_waiting_exclusive_holder_goes_before_new_shared_ones() -> None:
    """A shared holder arriving after an exclusive one started waiting enters after it:
    a stream of writes cannot starve a deletion."""
    locks = LocalKeyedLocks()
    order: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold_shared("k"):
            await release.wait()
            order.append("first shared")

    async def exclusive() -> None:
        async with locks.hold("k"):
            order.append("exclusive")

    async def late() -> None:
        async with locks.hold_shared("k"):
            order.append("late shared")

    tasks = [asyncio.create_task(first())]
    await asyncio.sleep(0.01)
    tasks.append(asyncio.create_task(exclusive()))
    await asyncio.sleep(0.01)
    tasks.append(asyncio.create_task(late()))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first shared", "exclusive", "late shared"]


async def test_a_cancelled_exclusive_waiter_lets_shared_holders_in() -> None:
    """An exclusive waiter that gives up does not keep later shared holders out."""
    locks = LocalKeyedLocks()
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold_shared("k"):
            await release.wait()

    async def exclusive() -> None:
        async with locks.hold("k"):
            pass

    holder = asyncio.create_task(first())
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(exclusive())
    await asyncio.sleep(0.01)
    waiter.cancel()
    async with asyncio.timeout(1), locks.hold_shared("k"):
        pass
    release.set()
    await holder
    assert waiter.cancelled()
    assert len(locks) == 0


async def test_reentry_in_one_task() -> None:
    """An exclusive holder may hold the key again either way; a shared holder may hold it
    shared again, but asking for it alone is refused rather than waiting for itself."""
    locks = LocalKeyedLocks()
    async with locks.hold("k"), locks.hold_shared("k"), locks.hold("k"):
        pass
    async with locks.hold_shared("k"), locks.hold_shared("k"):
        with pytest.raises(RuntimeError):
            async with locks.hold("k"):
                pass
    assert len(locks) == 0
