from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest

from chatkeep.domain.conditions import EntityTags, Preconditions
from chatkeep.domain.errors import (
    ChatNotFoundError,
    PreconditionFailedError,
    WorkspaceQuotaExceededError,
)
from chatkeep.storage.etag import ABSENT_ETAG
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.unit.storage.conftest import QUOTA, body, read_all

Chat = tuple[uuid.UUID, uuid.UUID]


def history_path(storage: FileSystemChatStorage, chat: Chat) -> Path:
    return storage.chat_dir(*chat) / "history.md"


async def test_new_chat_has_an_empty_regular_history(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """create_chat makes the directory with an empty history.md."""
    path = history_path(storage, chat)
    assert path.is_file()
    assert not path.is_symlink()
    assert path.read_bytes() == b""
    assert await read_all(storage, chat) == b""


async def test_replace_then_append_round_trip(storage: FileSystemChatStorage, chat: Chat) -> None:
    """Replace sets the whole content; append adds to its end; reads see exactly that."""
    replaced = await storage.replace_history(
        *chat, body(b"# one\n", b"two\n"), quota_bytes=QUOTA, preconditions=None
    )
    assert replaced.size_bytes == 10
    appended = await storage.append_history(
        *chat, body(b"three\n"), quota_bytes=QUOTA, preconditions=None
    )
    assert appended.size_bytes == 16
    assert await read_all(storage, chat) == b"# one\ntwo\nthree\n"
    assert history_path(storage, chat).read_bytes() == b"# one\ntwo\nthree\n"


async def test_large_history_streams_in_chunks(storage: FileSystemChatStorage, chat: Chat) -> None:
    """A history larger than one read chunk comes back whole, in several chunks."""
    content = os.urandom(3 * 1024 * 1024 + 17)
    await storage.replace_history(*chat, body(content), quota_bytes=10**9, preconditions=None)
    reader = await storage.open_history(*chat)
    chunks = [chunk async for chunk in reader.chunks()]
    await reader.aclose()
    assert len(chunks) > 1
    assert b"".join(chunks) == content


async def test_etag_changes_with_every_write_and_matches_reads(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """Each write yields a new ETag, and a read right after reports the same one."""
    seen = set()
    for round_ in range(5):
        version = await storage.replace_history(
            *chat, body(b"same size"), quota_bytes=QUOTA, preconditions=None
        )
        reader = await storage.open_history(*chat)
        await reader.aclose()
        assert (reader.size_bytes, reader.etag) == (version.size_bytes, version.etag)
        seen.add(version.etag)
        assert len(seen) == round_ + 1


async def test_stale_if_match_writes_nothing(storage: FileSystemChatStorage, chat: Chat) -> None:
    """A write whose If-Match names an old ETag is refused and the history stays."""
    old = await storage.replace_history(*chat, body(b"v1"), quota_bytes=QUOTA, preconditions=None)
    current = await storage.append_history(
        *chat,
        body(b"+v2"),
        quota_bytes=QUOTA,
        preconditions=Preconditions(if_match=EntityTags.of(old.etag)),
    )
    for write in (storage.replace_history, storage.append_history):
        with pytest.raises(PreconditionFailedError) as refused:
            await write(
                *chat,
                body(b"lost"),
                quota_bytes=QUOTA,
                preconditions=Preconditions(if_match=EntityTags.of(old.etag)),
            )
        assert refused.value.current_etag == current.etag
    assert await read_all(storage, chat) == b"v1+v2"


async def test_write_over_quota_is_refused_and_changes_nothing(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """A write that would exceed the quota raises and leaves history and usage as they were."""
    workspace_id = chat[0]
    await storage.replace_history(*chat, body(b"x" * 60), quota_bytes=100, preconditions=None)
    with pytest.raises(WorkspaceQuotaExceededError):
        await storage.append_history(*chat, body(b"y" * 41), quota_bytes=100, preconditions=None)
    with pytest.raises(WorkspaceQuotaExceededError):
        await storage.replace_history(*chat, body(b"z" * 101), quota_bytes=100, preconditions=None)
    assert await read_all(storage, chat) == b"x" * 60
    assert (await storage.workspace_usage(workspace_id)).bytes == 60
    assert os.listdir(storage._layout.tmp) == []


async def test_replace_counts_the_old_history_as_freed(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """Replacing 90 bytes by 95 in a 100-byte quota fits: only 5 bytes are new."""
    await storage.replace_history(*chat, body(b"a" * 90), quota_bytes=100, preconditions=None)
    version = await storage.replace_history(
        *chat, body(b"b" * 95), quota_bytes=100, preconditions=None
    )
    assert version.size_bytes == 95
    assert (await storage.workspace_usage(chat[0])).bytes == 95


async def test_shrinking_write_is_allowed_over_quota(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """A write that does not increase usage succeeds even when the workspace is over quota."""
    await storage.replace_history(*chat, body(b"a" * 90), quota_bytes=100, preconditions=None)
    version = await storage.replace_history(
        *chat, body(b"b" * 10), quota_bytes=5, preconditions=None
    )
    assert version.size_bytes == 10
    assert (await storage.workspace_usage(chat[0])).bytes == 10


async def test_concurrent_appends_land_whole(storage: FileSystemChatStorage, chat: Chat) -> None:
    """200 concurrent appends, each in several chunks, all land, none interleaved."""

    async def append(index: int) -> None:
        line = f"<{index:03d}:" + "x" * 50 + ">\n"
        parts = [line[i : i + 7].encode() for i in range(0, len(line), 7)]

        async def slow() -> object:
            for part in parts:
                await asyncio.sleep(0)
                yield part

        await storage.append_history(*chat, slow(), quota_bytes=QUOTA, preconditions=None)

    await asyncio.gather(*(append(i) for i in range(200)))
    lines = (await read_all(storage, chat)).decode().splitlines()
    assert sorted(lines) == [f"<{i:03d}:" + "x" * 50 + ">" for i in range(200)]
    assert (await storage.workspace_usage(chat[0])).bytes == 200 * 57


async def test_missing_chat_directory_is_chat_not_found(storage: FileSystemChatStorage) -> None:
    """Reading the history of a chat with no directory raises chat_not_found."""
    with pytest.raises(ChatNotFoundError):
        await storage.open_history(uuid.uuid4(), uuid.uuid4())


async def test_absent_history_reads_empty(storage: FileSystemChatStorage, chat: Chat) -> None:
    """A history.md that a sandbox removed reads as empty with the absent ETag."""
    history_path(storage, chat).unlink()
    reader = await storage.open_history(*chat)
    assert reader.size_bytes == 0
    assert reader.etag == ABSENT_ETAG
    await reader.aclose()
    version = await storage.append_history(
        *chat, body(b"back"), quota_bytes=QUOTA, preconditions=None
    )
    assert version.size_bytes == 4
    assert history_path(storage, chat).read_bytes() == b"back"
