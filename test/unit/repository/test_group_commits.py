from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatkeep.domain.chat import Chat
from chatkeep.repository.sql.chat import SqlChatRepository
from chatkeep.repository.sql.commits import GroupCommits
from chatkeep.repository.sql.engine import open_database, sqlite_url
from chatkeep.repository.sql.schema import chats

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await open_database(sqlite_url(tmp_path / "metadata.sqlite3"))
    yield engine
    await engine.dispose()


def new_chat() -> Chat:
    return Chat(uuid.uuid4(), uuid.uuid4(), None, T0, T0)


async def stored_ids(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return {row.chat_id for row in await connection.execute(select(chats.c.chat_id))}


async def test_concurrent_writes_share_transactions(engine: AsyncEngine) -> None:
    """Writes issued together commit in fewer transactions than there are writes, and
    every one of them is in the database when its call returns."""
    commits = GroupCommits(engine)
    repo = SqlChatRepository(engine, commits)
    batch = [new_chat() for _ in range(50)]
    await asyncio.gather(*(repo.save(chat) for chat in batch))
    assert await stored_ids(engine) == {str(chat.chat_id) for chat in batch}
    # All 50 are pending before the flush task first runs: one transaction holds them.
    assert commits.transactions == 1


async def test_writes_one_after_another_commit_one_by_one(engine: AsyncEngine) -> None:
    """A write awaited before the next is issued has no neighbour: each is committed in
    a transaction of its own before its call returns."""
    commits = GroupCommits(engine)
    repo = SqlChatRepository(engine, commits)
    for expected in range(1, 4):
        chat = new_chat()
        await repo.save(chat)
        assert str(chat.chat_id) in await stored_ids(engine)
        assert commits.transactions == expected


async def test_a_failing_write_fails_alone(engine: AsyncEngine) -> None:
    """A write that violates a constraint raises for its caller only; the writes that
    shared its transaction are committed all the same."""
    commits = GroupCommits(engine)
    repo = SqlChatRepository(engine, commits)
    taken = new_chat()
    await repo.save(taken)

    async def duplicate(connection: AsyncConnection) -> None:
        await connection.execute(
            chats.insert().values(
                chat_id=str(taken.chat_id),
                workspace_id=str(taken.workspace_id),
                title=None,
                status="active",
                created_at=0,
                updated_at=0,
            )
        )

    others = [new_chat() for _ in range(5)]
    outcomes = await asyncio.gather(
        *(repo.save(chat) for chat in others[:2]),
        commits.run(duplicate),
        *(repo.save(chat) for chat in others[2:]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[2], IntegrityError)
    assert [o for i, o in enumerate(outcomes) if i != 2] == [None] * 5
    assert await stored_ids(engine) == {str(c.chat_id) for c in [taken, *others]}


async def test_a_cancelled_caller_still_commits(engine: AsyncEngine) -> None:
    """Cancelling the request that issued a write does not undo the write: the caller
    may already have changed the mirror or the disk on the strength of it."""
    commits = GroupCommits(engine)
    repo = SqlChatRepository(engine, commits)
    chat = new_chat()
    task = asyncio.create_task(repo.save(chat))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if str(chat.chat_id) in await stored_ids(engine):
            break
        await asyncio.sleep(0.01)
    assert str(chat.chat_id) in await stored_ids(engine)
