from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from chatkeep.domain.conditions import EntityTags, Preconditions
from chatkeep.domain.errors import PreconditionFailedError
from chatkeep.local.locks import LocalKeyedLocks
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.unit.storage.conftest import QUOTA, body, read_all

Chat = tuple[uuid.UUID, uuid.UUID]


async def test_concurrent_appends_share_fsyncs(storage: FileSystemChatStorage, chat: Chat) -> None:
    """Appends that arrive together are written as batches: all land, and they report
    fewer versions than there were appends (one per batch, each the state after it)."""
    versions = await asyncio.gather(
        *(
            storage.append_history(
                *chat, body(f"{i:03d}\n".encode()), quota_bytes=QUOTA, preconditions=None
            )
            for i in range(50)
        )
    )
    lines = (await read_all(storage, chat)).decode().splitlines()
    assert sorted(lines) == [f"{i:03d}" for i in range(50)]
    assert len({v.etag for v in versions}) < 50
    final = max(versions, key=lambda v: v.size_bytes)
    assert final.size_bytes == 200
    reader = await storage.open_history(*chat)
    await reader.aclose()
    assert reader.etag == final.etag


async def test_stale_if_match_in_a_crowd_fails_alone(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """An append whose If-Match went stale while others were queued fails with 412;
    the appends around it land."""
    old = await storage.append_history(
        *chat, body(b"base\n"), quota_bytes=QUOTA, preconditions=None
    )

    async def plain(index: int) -> object:
        return await storage.append_history(
            *chat, body(f"plain {index}\n".encode()), quota_bytes=QUOTA, preconditions=None
        )

    async def conditional() -> object:
        await asyncio.sleep(0)  # let the plain appends move the version first
        return await storage.append_history(
            *chat,
            body(b"conditional\n"),
            quota_bytes=QUOTA,
            preconditions=Preconditions(if_match=EntityTags.of(old.etag)),
        )

    results = await asyncio.gather(
        *(plain(i) for i in range(10)), conditional(), return_exceptions=True
    )
    assert isinstance(results[-1], PreconditionFailedError)
    assert not any(isinstance(r, BaseException) for r in results[:-1])
    content = (await read_all(storage, chat)).decode()
    assert "conditional" not in content
    assert sorted(content.splitlines()) == sorted(["base", *(f"plain {i}" for i in range(10))])
    assert (await storage.workspace_usage(chat[0])).bytes == len(content)


async def test_current_if_match_heads_its_own_batch(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """An append with a matching If-Match lands even while plain appends crowd in."""
    current = await storage.append_history(
        *chat, body(b"a\n"), quota_bytes=QUOTA, preconditions=None
    )
    matched = asyncio.create_task(
        storage.append_history(
            *chat,
            body(b"checked\n"),
            quota_bytes=QUOTA,
            preconditions=Preconditions(if_match=EntityTags.of(current.etag)),
        )
    )
    await asyncio.sleep(0.01)  # queued (and being written) before the plain one arrives
    plain = storage.append_history(*chat, body(b"plain\n"), quota_bytes=QUOTA, preconditions=None)
    results = await asyncio.gather(matched, plain)
    assert all(r.size_bytes >= 8 for r in results)
    assert sorted((await read_all(storage, chat)).decode().splitlines()) == [
        "a",
        "checked",
        "plain",
    ]


@pytest.mark.parametrize("size", [10, 3 * 1024 * 1024])
async def test_appends_from_memory_and_from_disk(
    storage: FileSystemChatStorage, chat: Chat, size: int
) -> None:
    """Small bodies stay in memory, large ones spill to a temp file; both append whole."""
    data = b"z" * size
    version = await storage.append_history(*chat, body(data), quota_bytes=10**9, preconditions=None)
    assert version.size_bytes == size
    assert await read_all(storage, chat) == data


class SlowReleaseLocks:
    """Keyed locks whose release takes a round trip, as PostgreSQL's advisory locks do."""

    def __init__(self) -> None:
        self._local = LocalKeyedLocks()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._local.hold(key):
            yield
            await asyncio.sleep(0.05)

    @asynccontextmanager
    async def hold_shared(self, key: str) -> AsyncIterator[None]:
        async with self._local.hold_shared(key):
            yield
            await asyncio.sleep(0.05)


async def test_an_append_that_arrives_while_the_drain_lets_go_still_lands(
    tmp_path: Path,
) -> None:
    """An append queued after the last batch is written but before the drain has let go of
    the chat's lock (a database round trip with replicas) is written by a drain of its own:
    it answered 500, 'the append was not written' (seen once among sequential appends on
    PostgreSQL)."""
    storage = FileSystemChatStorage(tmp_path / "data", locks=SlowReleaseLocks(), shared=True)
    await storage.start()
    try:
        workspace_id, chat_id = uuid.uuid4(), uuid.uuid4()
        await storage.create_workspace(workspace_id)
        await storage.create_chat(workspace_id, chat_id)
        for line in (b"first\n", b"second\n", b"third\n"):
            await storage.append_history(
                workspace_id, chat_id, body(line), quota_bytes=QUOTA, preconditions=None
            )
        assert await read_all(storage, (workspace_id, chat_id)) == b"first\nsecond\nthird\n"
    finally:
        await storage.close()
