"""What a sandbox can plant as history.md, and what chatkeep does with it."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from chatkeep.storage.etag import ABSENT_ETAG
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.unit.storage.conftest import QUOTA, body, read_all

Chat = tuple[uuid.UUID, uuid.UUID]


@pytest.fixture
def host_file(tmp_path: Path) -> Path:
    secret = tmp_path / "host-secret.txt"
    secret.write_bytes(b"host secret")
    return secret


def plant_symlink(storage: FileSystemChatStorage, chat: Chat, target: Path) -> Path:
    history = storage.chat_dir(*chat) / "history.md"
    history.unlink()
    history.symlink_to(target)
    return history


async def test_symlinked_history_reads_empty_and_is_replaced(
    storage: FileSystemChatStorage, chat: Chat, host_file: Path
) -> None:
    """A history.md symlink to a host file is never read or written through."""
    history = plant_symlink(storage, chat, host_file)
    assert await read_all(storage, chat) == b""
    await storage.append_history(*chat, body(b"mine"), quota_bytes=QUOTA, preconditions=None)
    assert host_file.read_bytes() == b"host secret"
    assert not history.is_symlink()
    assert history.read_bytes() == b"mine"


async def test_replace_over_symlink_leaves_the_target(
    storage: FileSystemChatStorage, chat: Chat, host_file: Path
) -> None:
    """PUT over a planted symlink replaces the link, not its target."""
    history = plant_symlink(storage, chat, host_file)
    await storage.replace_history(*chat, body(b"new"), quota_bytes=QUOTA, preconditions=None)
    assert host_file.read_bytes() == b"host secret"
    assert not history.is_symlink()
    assert history.read_bytes() == b"new"


async def test_fifo_history_neither_blocks_nor_is_written(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """A FIFO as history.md reads as empty at once and is replaced by an append."""
    history = storage.chat_dir(*chat) / "history.md"
    history.unlink()
    os.mkfifo(history)
    assert await read_all(storage, chat) == b""
    await storage.append_history(*chat, body(b"after fifo"), quota_bytes=QUOTA, preconditions=None)
    assert history.is_file()
    assert history.read_bytes() == b"after fifo"


async def test_fifo_with_a_reader_is_not_written_into(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """Even with a reader on the FIFO, an append replaces it instead of feeding it."""
    history = storage.chat_dir(*chat) / "history.md"
    history.unlink()
    os.mkfifo(history)
    reader_fd = os.open(history, os.O_RDONLY | os.O_NONBLOCK)
    try:
        await storage.append_history(*chat, body(b"data"), quota_bytes=QUOTA, preconditions=None)
        assert os.read(reader_fd, 100) == b""
    finally:
        os.close(reader_fd)
    assert history.read_bytes() == b"data"


async def test_planted_directory_history_is_removed_by_a_write(
    storage: FileSystemChatStorage, chat: Chat, tmp_path: Path
) -> None:
    """A directory as history.md reads empty; a write removes it and a link inside it
    is unlinked without touching its target."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"keep")
    history = storage.chat_dir(*chat) / "history.md"
    history.unlink()
    (history / "deep" / "deeper").mkdir(parents=True)
    (history / "deep" / "file").write_bytes(b"x")
    (history / "escape").symlink_to(outside)
    reader = await storage.open_history(*chat)
    assert reader.etag == ABSENT_ETAG
    await reader.aclose()
    await storage.replace_history(*chat, body(b"file now"), quota_bytes=QUOTA, preconditions=None)
    assert history.read_bytes() == b"file now"
    assert (outside / "keep.txt").read_bytes() == b"keep"


async def test_socket_history_reads_empty(
    storage: FileSystemChatStorage, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unix socket as history.md reads as empty and is replaced by a write."""
    history = storage.chat_dir(*chat) / "history.md"
    history.unlink()
    server = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(history.parent)  # a socket path is limited to 108 bytes
    try:
        server.bind("history.md")
        assert await read_all(storage, chat) == b""
        await storage.append_history(*chat, body(b"ok"), quota_bytes=QUOTA, preconditions=None)
    finally:
        server.close()
    assert history.read_bytes() == b"ok"


async def test_hard_linked_history_is_copied_not_appended_through(
    storage: FileSystemChatStorage, chat: Chat
) -> None:
    """An append to a hard-linked history leaves the other link's content unchanged."""
    await storage.replace_history(*chat, body(b"base"), quota_bytes=QUOTA, preconditions=None)
    history = storage.chat_dir(*chat) / "history.md"
    twin = storage.chat_dir(*chat) / "twin"
    os.link(history, twin)
    await storage.append_history(*chat, body(b"+more"), quota_bytes=QUOTA, preconditions=None)
    assert history.read_bytes() == b"base+more"
    assert twin.read_bytes() == b"base"


async def test_delete_chat_unlinks_a_symlink_to_a_host_directory(
    storage: FileSystemChatStorage, chat: Chat, tmp_path: Path
) -> None:
    """Deleting a chat removes what is inside it and never what a link points to."""
    outside = tmp_path / "host-dir"
    outside.mkdir()
    (outside / "precious").write_bytes(b"precious")
    chat_dir = storage.chat_dir(*chat)
    (chat_dir / "link").symlink_to(outside)
    (chat_dir / "sub" / "sub").mkdir(parents=True)
    os.mkfifo(chat_dir / "sub" / "fifo")
    await storage.delete_chat(*chat)
    assert not chat_dir.exists()
    assert (outside / "precious").read_bytes() == b"precious"
    assert os.listdir(storage._layout.tmp) == []
