from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from chatkeep.local.locks import LocalKeyedLocks
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.disk import remove_tree

QUOTA = 1_000_000


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[FileSystemChatStorage]:
    storage = FileSystemChatStorage(tmp_path / "data", locks=LocalKeyedLocks())
    await storage.start()
    yield storage
    await storage.close()
    remove_tree(tmp_path / "data")  # trees deeper than shutil.rmtree goes: see remove_tree


@pytest.fixture
async def chat(storage: FileSystemChatStorage) -> tuple[uuid.UUID, uuid.UUID]:
    workspace_id, chat_id = uuid.uuid4(), uuid.uuid4()
    await storage.create_workspace(workspace_id)
    await storage.create_chat(workspace_id, chat_id)
    return workspace_id, chat_id


async def body(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def read_all(storage: FileSystemChatStorage, chat: tuple[uuid.UUID, uuid.UUID]) -> bytes:
    async with aclosing(await storage.open_history(*chat)) as reader:
        return b"".join([chunk async for chunk in reader.chunks()])
