from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.domain.errors import NameConflictError, WorkspaceQuotaExceededError
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.unit.storage.conftest import QUOTA, body

Chat = tuple[uuid.UUID, uuid.UUID]


def name(value: str) -> ChatAttachmentName:
    return ChatAttachmentName(value)


async def test_staged_file_is_invisible_until_published(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """Staging receives, sizes and hashes the bytes outside the chat directory;
    publishing makes them appear under the name and counts them."""
    data = os.urandom(3 * 1024 * 1024)  # larger than the in-memory spool
    staged = await storage.stage_attachment(
        *chat,
        name("a.bin"),
        body(data[:1000], data[1000:]),
        quota_bytes=QUOTA * 10,
        expected_size=None,
    )
    assert staged.size_bytes == len(data)
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert sorted(os.listdir(storage.chat_dir(*chat))) == ["history.md"]
    await storage.publish_attachments(*chat, [staged])
    await storage.discard_staged([staged])
    assert (storage.chat_dir(*chat) / "a.bin").read_bytes() == data
    assert (await storage.workspace_usage(chat[0])).bytes == len(data)
    assert os.listdir(storage._layout.tmp) == []


async def test_discarded_stage_leaves_nothing(storage: FileSystemChatStorage, chat: Chat) -> None:
    """Discarding a staged upload removes its temp file and its reservation."""
    staged = await storage.stage_attachment(
        *chat,
        name("x"),
        body(os.urandom(2 * 1024 * 1024)),
        quota_bytes=QUOTA * 10,
        expected_size=None,
    )
    assert os.listdir(storage._layout.tmp) != []
    await storage.discard_staged([staged])
    assert os.listdir(storage._layout.tmp) == []
    assert storage._usage.ledger.claimed_bytes(chat[0]) == 0


async def test_declared_size_is_refused_before_reading(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """A declared size over the quota is refused before the body is touched."""

    async def never_read() -> object:
        raise AssertionError("the body was read")
        yield b""

    with pytest.raises(WorkspaceQuotaExceededError):
        await storage.stage_attachment(
            *chat, name("big"), never_read(), quota_bytes=100, expected_size=101
        )
    assert storage._usage.ledger.claimed_bytes(chat[0]) == 0


async def test_name_taken_by_a_directory_conflicts(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """A name held by a directory is a name_conflict, at staging and at publishing."""
    directory = storage.chat_dir(*chat) / "taken"
    directory.mkdir()
    with pytest.raises(NameConflictError):
        await storage.stage_attachment(
            *chat, name("taken"), body(b"x"), quota_bytes=QUOTA, expected_size=None
        )
    directory.rmdir()
    staged = await storage.stage_attachment(
        *chat, name("taken"), body(b"x"), quota_bytes=QUOTA, expected_size=None
    )
    directory.mkdir()
    with pytest.raises(NameConflictError):
        await storage.publish_attachments(*chat, [staged])
    await storage.discard_staged([staged])
    assert directory.is_dir()
    assert (await storage.workspace_usage(chat[0])).bytes == 0


async def test_replacing_a_hard_linked_file_frees_nothing(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """A replaced file whose bytes another hard link still holds counts as not freed."""
    path = storage.chat_dir(*chat) / "f"
    staged = await storage.stage_attachment(
        *chat, name("f"), body(b"a" * 60), quota_bytes=100, expected_size=None
    )
    await storage.publish_attachments(*chat, [staged])
    os.link(path, storage.chat_dir(*chat) / "twin")
    with pytest.raises(WorkspaceQuotaExceededError):
        await storage.stage_attachment(
            *chat, name("f"), body(b"b" * 60), quota_bytes=100, expected_size=None
        )
    assert path.read_bytes() == b"a" * 60


async def test_delete_unlinks_files_and_leaves_directories(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """Deleting an attachment unlinks a file or link; a directory of that name stays."""
    staged = await storage.stage_attachment(
        *chat, name("gone"), body(b"12345"), quota_bytes=QUOTA, expected_size=None
    )
    await storage.publish_attachments(*chat, [staged])
    await storage.delete_attachment(*chat, name("gone"))
    assert not (storage.chat_dir(*chat) / "gone").exists()
    assert (await storage.workspace_usage(chat[0])).bytes == 0
    (storage.chat_dir(*chat) / "dir").mkdir()
    await storage.delete_attachment(*chat, name("dir"))
    assert (storage.chat_dir(*chat) / "dir").is_dir()


async def test_open_attachment_only_reads_regular_files(
    storage: FileSystemChatStorage, chat: Chat, tmp_path: object
) -> None:
    """A symlink, FIFO or missing entry opens as None; a regular file opens with its size."""
    directory = storage.chat_dir(*chat)
    (directory / "file").write_bytes(b"data")
    (directory / "link").symlink_to(directory / "file")
    os.mkfifo(directory / "fifo")
    reader = await storage.open_attachment(*chat, name("file"))
    assert reader is not None
    assert reader.size_bytes == 4
    assert b"".join([c async for c in reader.chunks()]) == b"data"
    await reader.aclose()
    for other in ("link", "fifo", "missing"):
        assert await storage.open_attachment(*chat, name(other)) is None


async def test_hash_attachments_answers_each_name_in_order(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """Hashing many names at once answers one result per name, in the order asked, and
    None for what is not a regular file reached without a link."""
    directory = storage.chat_dir(*chat)
    contents = {f"f{i}.txt": bytes([65 + i]) * (i + 1) for i in range(9)}
    for file_name, data in contents.items():
        (directory / file_name).write_bytes(data)
    os.mkfifo(directory / "pipe")
    os.symlink("/etc/hostname", directory / "link")
    (directory / "dir").mkdir()
    asked = ["f8.txt", "pipe", "f0.txt", "missing", "link", *contents, "dir"]
    hashed = await storage.hash_attachments(*chat, [name(value) for value in asked])
    expected = [
        hashlib.sha256(contents[value]).hexdigest() if value in contents else None
        for value in asked
    ]
    assert [found and found.sha256 for found in hashed] == expected
    assert [found and found.size_bytes for found in hashed][:3] == [9, None, 1]
    assert await storage.hash_attachments(*chat, []) == []
