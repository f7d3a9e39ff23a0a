"""Group commit: the writes that arrive while one commit is on its way to disk go to the
database together, in one transaction, so that a burst of concurrent requests pays for
one synchronous flush instead of one each. Every write still returns only once its
transaction is committed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]
_Pending = tuple[Work[Any], "asyncio.Future[Any]"]


class GroupCommits:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pending: list[_Pending] = []
        self._flushing: asyncio.Task[None] | None = None
        self.transactions = 0

    async def run(self, work: Work[T]) -> T:
        """Run `work` in a transaction shared with the writes pending beside it; answer
        its result once that transaction is committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        # A caller that goes away does not take the write with it: it commits all the same.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        batch: list[_Pending] = []
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                await self._commit(batch)
        except BaseException as error:
            for _, future in batch + self._pending:
                if not future.done():
                    future.set_exception(error)
            self._pending = []
            raise
        finally:
            self._flushing = None

    async def _commit(self, batch: list[_Pending]) -> None:
        results = []
        try:
            self.transactions += 1
            async with self._engine.begin() as connection:
                for work, _ in batch:
                    results.append(await work(connection))
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0][1], error=error)
                return
            # One write failed and rolled its neighbours back with it: each on its own now.
            for pending in batch:
                await self._commit([pending])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[Any], *, result: object = None, error: Exception | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def executing(statement: Executable, parameters: dict[str, Any] | None = None) -> Work[None]:
    """The work of running one statement whose result nobody needs."""

    async def work(connection: AsyncConnection) -> None:
        await connection.execute(statement, parameters)

    return work
