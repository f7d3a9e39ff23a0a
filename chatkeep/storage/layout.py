"""Where the storage keeps what, and how a chat directory is entered:

    <data>/workspaces/<workspace_id>/chats/<chat_id>/history.md   what a sandbox sees
    <data>/tmp/        bodies being received, trees being deleted
    <data>/journal/    append intents (journal.py)
    <data>/processes/  each replica's own tmp/ and journal/ (processes.py)

tmp/ is on the same filesystem as workspaces/, so a rename publishes a file. A chat
directory is opened once per operation, without following a link, and every blocking step
runs in a worker thread with a full disk made a domain error (507)."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import anyio.to_thread

from chatkeep.domain.errors import ChatNotFoundError
from chatkeep.storage.files import DIR_FLAGS, disk_full_is_domain_error
from chatkeep.storage.stale import retry_stale

T = TypeVar("T")
# The directories of the data directory the storage writes in: chat directories, temp
# files, append intents, and each process's own (replicas).
SUBDIRECTORIES = ("workspaces", "tmp", "journal", "processes")


def written_directories(data_dir: Path) -> list[Path]:
    """The data directory and every directory in it that the storage writes in."""
    return [data_dir, *(data_dir / name for name in SUBDIRECTORIES)]


class Layout:
    """The paths of one data directory, and the descriptor of the temp directory this
    process writes scratch files in (`tmp_fd`, -1 until the storage has started)."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir.resolve()
        self.workspaces, self.tmp, self.journal, self.processes = (
            self.root / name for name in SUBDIRECTORIES
        )
        self.tmp_fd = -1

    def chats_of(self, workspace_id: UUID) -> Path:
        """The directory holding the workspace's chat directories."""
        return self.workspaces / str(workspace_id) / "chats"

    def chat_dir(self, workspace_id: UUID, chat_id: UUID) -> Path:
        """The chat's directory: what its sandbox mounts."""
        return self.chats_of(workspace_id) / str(chat_id)

    def try_open_chat_dir(self, workspace_id: UUID, chat_id: UUID) -> int | None:
        """Blocking: a descriptor of the chat directory, None when it is missing or not a
        directory reached without a link (a sandbox may have replaced it). Raises OSError
        for anything else."""
        try:
            return os.open(self.chat_dir(workspace_id, chat_id), DIR_FLAGS)
        except OSError as error:
            if error.errno in {errno.ENOENT, errno.ENOTDIR, errno.ELOOP}:
                return None
            raise

    def in_chat_dir(self, workspace_id: UUID, chat_id: UUID, action: Callable[[int], T]) -> T:
        """Blocking: `action(chat_fd)` on the chat directory, opened for it and closed
        after. Raises ChatNotFoundError when there is no such directory."""
        chat_fd = self.try_open_chat_dir(workspace_id, chat_id)
        if chat_fd is None:
            raise ChatNotFoundError(str(chat_id))
        try:
            return action(chat_fd)
        finally:
            os.close(chat_fd)

    def reading(self, workspace_id: UUID, chat_id: UUID, action: Callable[[int], T]) -> T:
        """Blocking: `in_chat_dir` for an `action` that changes nothing: opened again from
        the path and retried when a handle went stale (another replica replaced it)."""
        return retry_stale(partial(self.in_chat_dir, workspace_id, chat_id, action))

    async def run(self, action: Callable[[], T]) -> T:
        """`action()` in a worker thread; a full disk raises InsufficientStorageError."""
        with disk_full_is_domain_error():
            return await anyio.to_thread.run_sync(action)
