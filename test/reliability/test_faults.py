"""Fail the Nth write, fsync, rename or close of a storage operation, for every N until no
fault fires; after each: a clear error (never success), nothing partial, the old version
intact, no claim left, usage equal to the bytes on disk."""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.domain.errors import InsufficientStorageError
from chatkeep.local.locks import LocalKeyedLocks
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.disk import regular_file_bytes
from test.reliability.faults import faulty_os

FUNCTIONS = ["write", "fsync", "rename", "close"]
CODES = [errno.ENOSPC, errno.EIO]
OLD_HISTORY = b"# old history\n" * 100
OLD_FILE = b"old attachment bytes"
BIG = os.urandom(3 * 1024 * 1024 + 5)  # past the in-memory spool: temp file and flushes


async def chunks(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


Scenario = Callable[[FileSystemChatStorage, tuple[uuid.UUID, uuid.UUID]], Awaitable[object]]


async def replace_history(
    storage: FileSystemChatStorage, chat: tuple[uuid.UUID, uuid.UUID]
) -> object:
    return await storage.replace_history(*chat, chunks(BIG), quota_bytes=10**9, preconditions=None)


async def append_history(
    storage: FileSystemChatStorage, chat: tuple[uuid.UUID, uuid.UUID]
) -> object:
    return await storage.append_history(*chat, chunks(BIG), quota_bytes=10**9, preconditions=None)


async def small_append(storage: FileSystemChatStorage, chat: tuple[uuid.UUID, uuid.UUID]) -> object:
    return await storage.append_history(
        *chat, chunks(b"one line\n"), quota_bytes=10**9, preconditions=None
    )


async def upload(storage: FileSystemChatStorage, chat: tuple[uuid.UUID, uuid.UUID]) -> object:
    name = ChatAttachmentName("file.bin")
    staged = await storage.stage_attachment(
        *chat, name, chunks(BIG), quota_bytes=10**9, expected_size=None
    )
    try:
        return await storage.publish_attachments(*chat, [staged])
    finally:
        await storage.discard_staged([staged])


NEW_STATE = {
    "replace_history": (BIG, OLD_FILE),
    "append_history": (OLD_HISTORY + BIG, OLD_FILE),
    "small_append": (OLD_HISTORY + b"one line\n", OLD_FILE),
    "upload": (OLD_HISTORY, BIG),
}
SCENARIOS: dict[str, Scenario] = {
    "replace_history": replace_history,
    "append_history": append_history,
    "small_append": small_append,
    "upload": upload,
}


async def fresh(data_dir: Path) -> tuple[FileSystemChatStorage, tuple[uuid.UUID, uuid.UUID]]:
    storage = FileSystemChatStorage(data_dir, locks=LocalKeyedLocks())
    await storage.start()
    chat = uuid.uuid4(), uuid.uuid4()
    await storage.create_workspace(chat[0])
    await storage.create_chat(*chat)
    await storage.replace_history(*chat, chunks(OLD_HISTORY), quota_bytes=10**9, preconditions=None)
    name = ChatAttachmentName("file.bin")
    staged = await storage.stage_attachment(
        *chat, name, chunks(OLD_FILE), quota_bytes=10**9, expected_size=None
    )
    await storage.publish_attachments(*chat, [staged])
    await storage.discard_staged([staged])
    return storage, chat


@pytest.mark.parametrize("code", CODES, ids=["ENOSPC", "EIO"])
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_fault_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str, function: str, code: int
) -> None:
    """Sweep N: the Nth call of `function` fails with `code` during `scenario`."""
    fired_points = 0
    for nth in range(1, 200):
        storage, chat = await fresh(tmp_path / f"n{nth}")
        directory = storage.chat_dir(*chat)
        with faulty_os(monkeypatch, function, nth, code) as proxy:
            try:
                await SCENARIOS[scenario](storage, chat)
                outcome: BaseException | None = None
            except (OSError, InsufficientStorageError) as error:
                outcome = error
        if not proxy.fired:
            assert outcome is None
            break
        fired_points += 1
        history = (directory / "history.md").read_bytes()
        attachment = (directory / "file.bin").read_bytes()
        if outcome is None:
            # Only a close may fail unnoticed: one of a temp file being discarded after the
            # write was already durable. Then the write must be there, whole.
            assert function == "close", f"{scenario}: success after a failed {function} #{nth}"
            assert (history, attachment) == NEW_STATE[scenario]
        else:
            if code == errno.ENOSPC and function != "close":
                assert isinstance(outcome, InsufficientStorageError), outcome
            assert history == OLD_HISTORY, f"{function} #{nth}: history changed"
            assert attachment == OLD_FILE, f"{function} #{nth}: attachment changed"
        assert sorted(os.listdir(directory)) == ["file.bin", "history.md"]
        assert os.listdir(storage._layout.tmp) == [], f"{function} #{nth}: temp file left"
        assert os.listdir(storage._layout.journal) == [], f"{function} #{nth}: intent left"
        assert storage._usage.ledger.claimed_bytes(chat[0]) == 0
        recounted = await storage.recount_usage(chat[0])
        assert recounted.bytes == regular_file_bytes(directory.parent)
        await storage.close()
    else:
        pytest.fail("the sweep did not end")
    appends_in_place = function == "rename" and "append" in scenario  # no rename there
    assert (fired_points == 0) == appends_in_place, (
        f"{fired_points} {function} faults in {scenario}"
    )
