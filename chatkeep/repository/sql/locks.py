"""Keyed locks that hold across every process on one PostgreSQL database: session
advisory locks, all taken on one connection of this process's own. A process that dies
loses its connection, and with it its locks.

`pg_advisory_lock` would block the connection while it waits, so a waiter polls with
`pg_try_advisory_lock` instead, backing off up to MAX_POLL_SECONDS; contenders in this
process queue on a local lock first, so only another process makes anyone poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.locks import LocalKeyedLocks

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")
MAX_POLL_SECONDS = 0.05


class AdvisoryKeyedLocks:
    """Reentrant within one task, like LocalKeyedLocks."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._local = LocalKeyedLocks()
        self._owners: dict[str, asyncio.Task[object] | None] = {}
        self._connection: AsyncConnection | None = None
        self._talking = asyncio.Lock()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if key in self._owners and self._owners[key] is task:
            yield
            return
        async with self._local.hold(key):
            delay = 0.001
            while not await self._ask(_TRY_LOCK, key):
                await asyncio.sleep(delay)
                delay = min(2 * delay, MAX_POLL_SECONDS)
            self._owners[key] = task
            try:
                yield
            finally:
                del self._owners[key]
                # Shielded: a cancelled holder must still give the lock back.
                await asyncio.shield(self._ask(_UNLOCK, key))

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
