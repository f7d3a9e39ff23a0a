"""Keyed locks that hold across every process on one PostgreSQL database: session
advisory locks, all taken on one connection of this process's own. A process that dies
loses its connection, and with it its locks.

`pg_advisory_lock` would block the connection while it waits, so a waiter polls with
`pg_try_advisory_lock` (or its `_shared` form) instead, backing off up to
MAX_POLL_SECONDS; contenders in this process queue on a local readers-writer lock
first, so only another process makes anyone poll. PostgreSQL never makes a session wait
for its own locks, so the local lock is what keeps this process's shared and exclusive
holders apart; the advisory lock keeps processes apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.usecase.ports import KeyedLocks

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")
_TRY_LOCK_SHARED = text("SELECT pg_try_advisory_lock_shared(hashtextextended(:key, 0))")
_UNLOCK_SHARED = text("SELECT pg_advisory_unlock_shared(hashtextextended(:key, 0))")
MAX_POLL_SECONDS = 0.05


class AdvisoryKeyedLocks:
    """Reentrant within one task, like LocalKeyedLocks."""

    def __init__(self, engine: AsyncEngine, local: KeyedLocks) -> None:
        """Locks on `engine`'s database, taken after `local` (this process's own keyed
        locks) so that the tasks of one process queue in memory, not on the database."""
        self._engine = engine
        self._local = local
        self._owners: dict[str, asyncio.Task[object] | None] = {}
        self._connection: AsyncConnection | None = None
        self._talking = asyncio.Lock()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold `key` alone across every process on the database."""
        task = asyncio.current_task()
        if key in self._owners and self._owners[key] is task:
            yield
            return
        async with self._local.hold(key):
            await self._take(_TRY_LOCK, key)
            self._owners[key] = task
            try:
                yield
            finally:
                del self._owners[key]
                # Shielded: a cancelled holder must still give the lock back.
                await asyncio.shield(self._ask(_UNLOCK, key))

    @asynccontextmanager
    async def hold_shared(self, key: str) -> AsyncIterator[None]:
        """Hold `key` beside other shared holders in any process, never beside an
        exclusive one. Each shared holder takes its own advisory lock: PostgreSQL counts
        them per session, so the last one out lets go."""
        if self._owners.get(key) is asyncio.current_task():
            yield  # held exclusively by this task already
            return
        async with self._local.hold_shared(key):
            await self._take(_TRY_LOCK_SHARED, key)
            try:
                yield
            finally:
                await asyncio.shield(self._ask(_UNLOCK_SHARED, key))

    async def close(self) -> None:
        """Give back every lock this process holds, with the session that holds them."""
        async with self._talking:
            await self._drop_connection()

    async def _take(self, statement: TextClause, key: str) -> None:
        delay = 0.001
        while not await self._ask(statement, key):
            await asyncio.sleep(delay)
            delay = min(2 * delay, MAX_POLL_SECONDS)

    async def _ask(self, statement: TextClause, key: str) -> bool:
        async with self._talking:
            try:
                if self._connection is None:
                    connection = await self._engine.connect()
                    self._connection = await connection.execution_options(
                        isolation_level="AUTOCOMMIT"
                    )
                result = await self._connection.execute(statement, {"key": key})
                return bool(result.scalar())
            except Exception:
                # Its locks went with the session; the next call opens a new one.
                await self._drop_connection()
                raise

    async def _drop_connection(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.invalidate()
            await connection.close()
