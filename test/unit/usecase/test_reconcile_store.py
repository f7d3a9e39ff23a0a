from __future__ import annotations

import errno
import hashlib
import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chatkeep.domain.errors import InsufficientStorageError
from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.files.upload import upload_files
from chatkeep.usecase.ports import Ports, ScannedFile
from chatkeep.usecase.sandbox.session import start_sandbox
from chatkeep.usecase.store.startup import reconcile_store
from chatkeep.usecase.workspace.ensure import ensure_workspace
from test.conftest import FakeClock
from test.unit.usecase.test_attachments import file, incoming

LATER = timedelta(hours=2)


async def chat_with_files(ports: Ports, *names: str) -> tuple[uuid.UUID, uuid.UUID, Path]:
    """A user, a chat holding `names` (each 10 bytes), and the chat's directory."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    files = [file(name, b"0123456789") for name in names]
    await upload_files(ports, user, chat.chat_id, incoming(*files))
    assert isinstance(ports.storage, FileSystemChatStorage)
    return user, chat.chat_id, ports.storage.chat_dir(workspace.workspace_id, chat.chat_id)


async def names_in_metadata(ports: Ports, chat_id: uuid.UUID) -> dict[str, tuple[int, str]]:
    return {
        f.name.value: (f.size_bytes, f.sha256) for f in await ports.files.list_by_chat_id(chat_id)
    }


async def test_files_and_rows_are_made_to_agree(ports: Ports, clock: FakeClock) -> None:
    """A row whose file vanished goes; a file without a row is adopted with its hash; a
    file whose size moved is rehashed; an untouched file keeps its row."""
    _, chat_id, directory = await chat_with_files(ports, "gone.txt", "grown.txt", "same.txt")
    (directory / "gone.txt").unlink()
    (directory / "grown.txt").write_bytes(b"now longer than before")
    (directory / "orphan.csv").write_bytes(b"a,b\n")
    repairs = await reconcile_store(ports, clock.now())
    assert await names_in_metadata(ports, chat_id) == {
        "grown.txt": (22, hashlib.sha256(b"now longer than before").hexdigest()),
        "same.txt": (10, hashlib.sha256(b"0123456789").hexdigest()),
        "orphan.csv": (4, hashlib.sha256(b"a,b\n").hexdigest()),
    }
    assert (repairs.file_rows_dropped, repairs.files_rehashed, repairs.files_adopted) == (1, 1, 1)
    assert not await reconcile_store(ports, clock.now())  # a second pass finds nothing


async def test_a_chat_whose_directory_vanished_gets_an_empty_one(
    ports: Ports, clock: FakeClock
) -> None:
    """The chat stays, with an empty history and no attachments, and usage follows."""
    user, chat_id, directory = await chat_with_files(ports, "a.txt")
    shutil.rmtree(directory)
    repairs = await reconcile_store(ports, clock.now())
    assert repairs.chat_dirs_made == 1
    assert (directory / "history.md").read_bytes() == b""
    assert await names_in_metadata(ports, chat_id) == {}
    _, usage, _ = await ensure_workspace(ports, user, None)
    assert usage.used_bytes == 0


async def test_directories_without_rows_are_removed_once_old_enough(
    ports: Ports, clock: FakeClock
) -> None:
    """A chat or workspace directory with no row goes when it was last changed before
    the cut-off, and stays while it is younger (it may be being created)."""
    user, _, directory = await chat_with_files(ports, "a.txt")
    stray_chat = directory.parent / str(uuid.uuid4())
    stray_chat.mkdir()
    (stray_chat / "history.md").write_bytes(b"half made")
    workspaces = directory.parent.parent.parent
    stray_workspace = workspaces / str(uuid.uuid4()) / "chats"
    stray_workspace.mkdir(parents=True)
    not_ours = workspaces / "lost+found"
    not_ours.mkdir()
    # Directory times are the real clock's, not the fake one's.
    assert not await reconcile_store(ports, datetime.now(UTC) - LATER)
    assert stray_chat.exists()
    assert stray_workspace.exists()
    repairs = await reconcile_store(ports, datetime.now(UTC) + LATER)
    assert repairs.orphan_dirs_removed == 2
    assert not stray_chat.exists()
    assert not stray_workspace.parent.exists()
    assert not_ours.exists()
    assert directory.exists()
    _, usage, _ = await ensure_workspace(ports, user, None)
    assert usage.used_bytes == 10


async def test_a_workspace_whose_directory_vanished_gets_it_back(
    ports: Ports, clock: FakeClock
) -> None:
    """A workspace row without its directory: the directory is made again, so that
    chats can be created in it."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    assert isinstance(ports.storage, FileSystemChatStorage)
    workspace_dir = ports.storage.chat_dir(workspace.workspace_id, uuid.uuid4()).parent.parent
    shutil.rmtree(workspace_dir)
    repairs = await reconcile_store(ports, clock.now())
    assert repairs.workspace_dirs_made == 1
    assert (await create_chat(ports, user, "after")).title == "after"


async def test_a_chat_with_an_active_sandbox_is_left_to_the_session(
    ports: Ports, clock: FakeClock
) -> None:
    """While a sandbox may still be writing, the chat is not rescanned."""
    user, chat_id, directory = await chat_with_files(ports, "a.txt")
    await start_sandbox(ports, user, chat_id, "box", None)
    os.unlink(directory / "a.txt")
    (directory / "half-written.bin").write_bytes(b"x")
    assert not await reconcile_store(ports, clock.now())
    assert set(await names_in_metadata(ports, chat_id)) == {"a.txt"}


async def test_a_chat_directory_replaced_by_a_symlink_is_made_again(
    ports: Ports, clock: FakeClock, tmp_path: Path
) -> None:
    """The link is unlinked, never followed, and the chat gets a directory of its own
    with an empty history; the host directory it named is untouched (the start used
    to fail with ELOOP there)."""
    _, _, directory = await chat_with_files(ports, "a.txt")
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_bytes(b"host")
    shutil.rmtree(directory)
    directory.symlink_to(host)
    repairs = await reconcile_store(ports, clock.now())
    assert (repairs.chat_dirs_made, repairs.file_rows_dropped) == (1, 1)
    assert not directory.is_symlink()
    assert os.listdir(directory) == ["history.md"]
    assert os.listdir(host) == ["secret"]


async def test_a_workspace_that_cannot_be_reconciled_is_reported_and_passed_by(
    ports: Ports, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat directory the process may not read (a sandbox's mode, as a user other than
    root) fails its workspace's repairs: it is counted and reported, and the other
    workspaces are repaired all the same."""
    _, bad_chat, bad_directory = await chat_with_files(ports, "a.txt")
    _, good_chat, good_directory = await chat_with_files(ports, "b.txt")
    (bad_directory / "a.txt").unlink()
    (good_directory / "b.txt").unlink()
    scan_chat = ports.storage.scan_chat

    async def refusing(workspace_id: uuid.UUID, chat_id: uuid.UUID) -> list[ScannedFile]:
        if chat_id == bad_chat:
            raise PermissionError(errno.EACCES, "Permission denied")
        return await scan_chat(workspace_id, chat_id)

    monkeypatch.setattr(ports.storage, "scan_chat", refusing)
    repairs = await reconcile_store(ports, clock.now())
    assert (repairs.workspaces_failed, repairs.file_rows_dropped) == (1, 1)
    [failure] = repairs.failures
    assert "Permission denied" in failure
    assert str(repairs) == "1 file_rows_dropped, 1 workspaces_failed"
    assert await names_in_metadata(ports, good_chat) == {}


async def test_a_full_disk_fails_one_workspaces_repairs_not_the_start(
    ports: Ports, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repair that finds the disk full (507 insufficient_storage from the storage) is
    counted against its workspace and reported; reconciliation goes on, so the server
    still starts and serves what it can."""
    _, full_chat, full_directory = await chat_with_files(ports, "a.txt")
    _, good_chat, good_directory = await chat_with_files(ports, "b.txt")
    (full_directory / "a.txt").unlink()
    (good_directory / "b.txt").unlink()
    scan_chat = ports.storage.scan_chat

    async def full(workspace_id: uuid.UUID, chat_id: uuid.UUID) -> list[ScannedFile]:
        if chat_id == full_chat:
            raise InsufficientStorageError()
        return await scan_chat(workspace_id, chat_id)

    monkeypatch.setattr(ports.storage, "scan_chat", full)
    repairs = await reconcile_store(ports, clock.now())
    assert (repairs.workspaces_failed, repairs.file_rows_dropped) == (1, 1)
    assert await names_in_metadata(ports, good_chat) == {}
