"""What is on disk, for start-up reconciliation: the workspace and chat directories, and
a chat directory made again when its metadata outlived it."""

from __future__ import annotations

import contextlib
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from chatkeep.domain.chat import HISTORY_FILE_NAME
from chatkeep.storage import attachments
from chatkeep.storage.descriptors import LISTING_DESCRIPTORS, shared_budget
from chatkeep.storage.files import DIR_FLAGS, NEW_FILE_FLAGS
from chatkeep.usecase.ports import ScannedFile, StoredDir


def subdirs(path: Path, *, with_files: bool = False) -> list[StoredDir]:
    """Directories named by a UUID directly in `path` (links not followed), each with
    the regular files at its top when `with_files` (decision record 018). Each listing
    draws its descriptors from the process's budget, one after the other."""
    found = []
    for entry_id, modified_at in _uuid_dirs(path):
        files = _files(path / str(entry_id)) if with_files else ()
        found.append(StoredDir(entry_id, modified_at, files))
    return found


def _uuid_dirs(path: Path) -> list[tuple[UUID, datetime]]:
    found = []
    with shared_budget().take(LISTING_DESCRIPTORS):
        try:
            listing = os.scandir(path)
        except FileNotFoundError:
            return []
        with listing:
            for item in listing:
                try:
                    entry_id = UUID(item.name)
                    info = item.stat(follow_symlinks=False)
                except (ValueError, FileNotFoundError):
                    continue
                if stat.S_ISDIR(info.st_mode) and str(entry_id) == item.name:
                    found.append((entry_id, datetime.fromtimestamp(info.st_mtime, UTC)))
    return found


def _files(path: Path) -> tuple[ScannedFile, ...]:
    try:
        fd = os.open(path, DIR_FLAGS)
    except OSError:
        return ()
    try:
        return tuple(attachments.scan(fd))
    except OSError:
        return ()  # not ours to read (a sandbox's mode): the chat is looked at again
    finally:
        os.close(fd)


def restore_chat(path: Path) -> bool:
    """Make the chat directory and an empty history where they are missing; answer
    whether anything was made. Something else in the directory's place (a symlink, a
    file, a FIFO: no directory) is unlinked first, never followed."""
    made = False
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISDIR(path.lstat().st_mode):
            path.unlink()
    try:
        path.mkdir(parents=True)
        made = True
    except FileExistsError:
        pass
    chat_fd = os.open(path, DIR_FLAGS)
    try:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(HISTORY_FILE_NAME, NEW_FILE_FLAGS, 0o666, dir_fd=chat_fd))
            made = True
    finally:
        os.close(chat_fd)
    return made


def create_chat_dir(path: Path) -> None:
    """Make a new chat's directory and its empty history (CHAT_INODES: two entries).
    Raises FileNotFoundError when the workspace directory is gone, FileExistsError when
    the chat directory exists."""
    # No fsync: durable metadata is the record of a chat's existence, and start-up
    # reconciliation makes a chat directory or a history that did not survive again.
    path.mkdir()
    chat_fd = os.open(path, DIR_FLAGS)
    try:
        os.close(os.open(HISTORY_FILE_NAME, NEW_FILE_FLAGS, 0o666, dir_fd=chat_fd))
    finally:
        os.close(chat_fd)
