"""What a sandbox can leave in (or in place of) a chat directory, and the storage's
deletion, usage and start-up in front of it (contract, Version 1.1, "Hostile trees and
resource limits")."""

from __future__ import annotations

import logging
import os
import stat
import uuid
from pathlib import Path

import pytest

from chatkeep.local.locks import LocalKeyedLocks
from chatkeep.storage import removal
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.disk import FailingRmdir, make_chain, make_wide, on_disk, remove_tree

Chat = tuple[uuid.UUID, uuid.UUID]


async def new_chat(storage: FileSystemChatStorage, workspace_id: uuid.UUID | None = None) -> Chat:
    chat = workspace_id or uuid.uuid4(), uuid.uuid4()
    await storage.create_workspace(chat[0])
    await storage.create_chat(*chat)
    return chat


def plant_everything(directory: Path, host: Path) -> None:
    """A tree past the old walks' 2,048 levels with bytes at the bottom, FIFOs, a
    socket, links out, directories of mode 000, 0500 and 0100, a hard link (the
    end-to-end sweep goes to 5,000 levels)."""
    make_chain(directory / "deep", 2100, b"b" * 1000)
    make_wide(directory / "wide", 50, 1)
    os.mkfifo(directory / "fifo")
    os.mkfifo(directory / "wide" / "fifo")
    os.mknod(directory / "sock", stat.S_IFSOCK | 0o600)  # a socket's inode, path unbounded
    (directory / "to-host").symlink_to(host)
    (directory / "to-host-file").symlink_to(host / "secret")
    os.link(directory / "wide" / "f0", directory / "again")
    for mode in (0o000, 0o500, 0o100):
        make_chain(directory / f"mode{mode:o}", 2, b"m")
        os.chmod(directory / f"mode{mode:o}", mode)


@pytest.fixture
def host(tmp_path: Path) -> Path:
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_bytes(b"host secret")
    return host


def untouched(host: Path) -> tuple[list[str], bytes, int]:
    return sorted(os.listdir(host)), (host / "secret").read_bytes(), host.stat().st_mtime_ns


async def test_usage_counts_every_byte_at_any_depth(
    storage: FileSystemChatStorage, host: Path
) -> None:
    """Usage is what is on disk: the bytes and entries 2,100 levels down included (the old
    walk stopped at 2,048 levels)."""
    chat = await new_chat(storage)
    plant_everything(storage.chat_dir(*chat), host)
    used = await storage.recount_usage(chat[0])
    there = on_disk(storage.chat_dir(*chat).parent)
    assert (used.bytes, used.inodes) == (there.bytes, there.entries)
    assert used.bytes >= 1000 + 50 + 3
    assert used.inodes > 2100


async def test_deleting_a_chat_leaves_nothing_whatever_it_holds(
    storage: FileSystemChatStorage, host: Path
) -> None:
    """The chat's directory and its trash go, nothing is left in tmp/, the usage drops
    by what went, and the host paths its links named are untouched."""
    chat = await new_chat(storage)
    kept = await new_chat(storage, chat[0])
    (storage.chat_dir(*kept) / "kept.txt").write_bytes(b"kept")
    before = untouched(host)
    plant_everything(storage.chat_dir(*chat), host)
    await storage.recount_usage(chat[0])
    await storage.delete_chat(*chat)
    assert not os.path.lexists(storage.chat_dir(*chat))
    assert os.listdir(storage._layout.tmp) == []
    assert (await storage.workspace_usage(chat[0])).bytes == 4
    assert untouched(host) == before


@pytest.mark.parametrize("target", ["another chat", "a host directory"])
async def test_a_chat_directory_replaced_by_a_symlink_is_deleted_not_its_target(
    storage: FileSystemChatStorage, host: Path, target: str
) -> None:
    """The link goes (the old deletion failed with ENOTDIR and left it in tmp/); the
    directory it names, and what is in it, stay."""
    chat = await new_chat(storage)
    other = await new_chat(storage)
    (storage.chat_dir(*other) / "theirs.txt").write_bytes(b"theirs")
    pointed = storage.chat_dir(*other) if target == "another chat" else host
    before = untouched(host), sorted(os.listdir(storage.chat_dir(*other)))
    directory = storage.chat_dir(*chat)
    remove_tree(directory)
    directory.symlink_to(pointed)
    await storage.delete_chat(*chat)
    assert not os.path.lexists(directory)
    assert os.listdir(storage._layout.tmp) == []
    assert (untouched(host), sorted(os.listdir(storage.chat_dir(*other)))) == before
    assert (storage.chat_dir(*other) / "theirs.txt").read_bytes() == b"theirs"


@pytest.mark.parametrize("kind", ["fifo", "file", "socket"])
async def test_a_chat_directory_replaced_by_a_special_file_is_deleted(
    storage: FileSystemChatStorage, kind: str
) -> None:
    """A FIFO, a regular file or a socket where the chat directory was: it goes, and
    the usage drops by its bytes."""
    chat = await new_chat(storage)
    directory = storage.chat_dir(*chat)
    remove_tree(directory)
    if kind == "fifo":
        os.mkfifo(directory)
    elif kind == "file":
        directory.write_bytes(b"f" * 10)
    else:
        os.mknod(directory, stat.S_IFSOCK | 0o600)
    await storage.recount_usage(chat[0])
    await storage.delete_chat(*chat)
    assert not os.path.lexists(directory)
    assert os.listdir(storage._layout.tmp) == []
    assert (await storage.workspace_usage(chat[0])).bytes == 0


async def test_deleting_a_workspace_leaves_nothing(
    storage: FileSystemChatStorage, host: Path
) -> None:
    """Chats with hostile trees and a chat directory that is a symlink to the host: the
    workspace's directory goes whole; the host is untouched."""
    chat = await new_chat(storage)
    plant_everything(storage.chat_dir(*chat), host)
    linked = await new_chat(storage, chat[0])
    remove_tree(storage.chat_dir(*linked))
    storage.chat_dir(*linked).symlink_to(host)
    before = untouched(host)
    await storage.delete_workspace(chat[0])
    assert os.listdir(storage._layout.workspaces) == []
    assert os.listdir(storage._layout.tmp) == []
    assert untouched(host) == before


async def test_a_deletion_that_cannot_finish_still_deletes_the_chat(
    storage: FileSystemChatStorage,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What cannot be removed stays in tmp/ (logged) for the next start; the chat is
    gone from its workspace and the usage is what is left there."""
    chat = await new_chat(storage)
    kept = await new_chat(storage, chat[0])
    (storage.chat_dir(*kept) / "kept.txt").write_bytes(b"kept")
    (storage.chat_dir(*chat) / "stuck").mkdir()
    (storage.chat_dir(*chat) / "bytes").write_bytes(b"x" * 100)
    await storage.recount_usage(chat[0])
    monkeypatch.setattr(removal, "os", FailingRmdir("stuck"))
    with caplog.at_level(logging.WARNING, "chatkeep.storage"):
        await storage.delete_chat(*chat)
    monkeypatch.undo()
    assert not os.path.lexists(storage.chat_dir(*chat))
    [left] = os.listdir(storage._layout.tmp)
    assert f"could not remove tmp/{left}" in caplog.text
    assert (await storage.workspace_usage(chat[0])).bytes == 4
    await storage.close()
    restarted = FileSystemChatStorage(storage._root, locks=LocalKeyedLocks())
    await restarted.start()  # the next start removes it
    assert os.listdir(storage._layout.tmp) == []
    await restarted.close()
    await storage.start()


async def test_start_up_removes_hostile_trees_from_tmp(tmp_path: Path, host: Path) -> None:
    """Trees a crash left in tmp/ mid-deletion (2,100 levels, FIFOs, sockets, links,
    closed modes) are removed at start (the old start failed: 'deeper than 2048')."""
    data = tmp_path / "data"
    plant_everything(data / "tmp" / "a.trash", host)
    make_chain(data / "tmp" / "b.trash", 2049)
    before = untouched(host)
    storage = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await storage.start()
    assert os.listdir(data / "tmp") == []
    assert untouched(host) == before
    await storage.close()


async def test_start_up_goes_on_past_what_it_cannot_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry of tmp/ that cannot be removed is logged and left; the rest of tmp/ is
    cleaned and the storage starts."""
    data = tmp_path / "data"
    (data / "tmp" / "a.trash" / "stuck").mkdir(parents=True)
    make_chain(data / "tmp" / "b.trash", 3000)
    monkeypatch.setattr(removal, "os", FailingRmdir("stuck"))
    storage = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    with caplog.at_level(logging.WARNING, "chatkeep.storage"):
        await storage.start()
    assert "could not remove tmp/a.trash, left in place" in caplog.text
    assert os.listdir(data / "tmp") == ["a.trash"]
    await storage.close()
