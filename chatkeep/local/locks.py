"""Process-local keyed locks; a shared database provides its own behind the same port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Entry:
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    owner: asyncio.Task[object] | None = None  # the exclusive holder
    sharers: set[asyncio.Task[object] | None] = field(default_factory=set)
    writers_waiting: int = 0
    users: int = 0


class LocalKeyedLocks:
    """Readers-writer locks by key, for one process, dropped when nobody needs them.

    `hold` is exclusive, `hold_shared` admits other shared holders. Both are reentrant
    within one task (a task holding a key exclusively may hold it again either way),
    which lets a use case that holds a chat's lock call another that takes it again
    (ending an expired sandbox session rescans the chat, for one). A task holding a key
    shared may not then take it exclusively: that would wait for itself.

    Waiting exclusive holders go first: a shared holder arriving while one waits
    queues behind it, so a stream of overlapping writes cannot starve a deletion.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold `key` alone. Raises RuntimeError when this task holds it shared."""
        task = asyncio.current_task()
        entry = self._entries.setdefault(key, _Entry())
        if entry.owner is task and task is not None:
            yield
            return
        if task in entry.sharers:
            raise RuntimeError(f"lock {key!r} is held shared by this task")
        entry.users += 1
        try:
            async with entry.changed:
                entry.writers_waiting += 1
                try:
                    await entry.changed.wait_for(lambda: entry.owner is None and not entry.sharers)
                finally:
                    entry.writers_waiting -= 1
                    entry.changed.notify_all()
                entry.owner = task
            try:
                yield
            finally:
                async with entry.changed:
                    entry.owner = None
                    entry.changed.notify_all()
        finally:
            self._let_go(key, entry)

    @asynccontextmanager
    async def hold_shared(self, key: str) -> AsyncIterator[None]:
        """Hold `key` beside other shared holders, never beside an exclusive one."""
        task = asyncio.current_task()
        entry = self._entries.setdefault(key, _Entry())
        if (entry.owner is task and task is not None) or task in entry.sharers:
            yield
            return
        entry.users += 1
        try:
            async with entry.changed:
                await entry.changed.wait_for(
                    lambda: entry.owner is None and not entry.writers_waiting
                )
                entry.sharers.add(task)
            try:
                yield
            finally:
                async with entry.changed:
                    entry.sharers.discard(task)
                    entry.changed.notify_all()
        finally:
            self._let_go(key, entry)

    def _let_go(self, key: str, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._entries[key]

    def __len__(self) -> int:
        """How many keys are held or awaited."""
        return len(self._entries)
