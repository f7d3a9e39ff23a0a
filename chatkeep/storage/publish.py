"""Publishing a finished temp file under a name in a chat directory, all or nothing.

The temp file is complete, fsynced and closed before it is renamed; the rename is
made durable by an fsync of the directory. Should that fsync fail, the name is put
back as it was (the old file from a hard-linked backup, or no file), so a write that
answers an error has changed nothing that a reader can see.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from collections.abc import Callable, Sequence

from chatkeep.storage.files import fsync_dir, lstat_entry

# Renames temp name (in the temp directory) to name (in the chat directory).
Install = Callable[[str, str], None]


def publish_all(
    temp_dir_fd: int, chat_fd: int, files: Sequence[tuple[str, str]], install: Install
) -> None:
    """Rename each (temp name, name) into place, then fsync the chat directory once."""
    done: list[tuple[str, str | None]] = []  # (name, backup of what it replaced)
    try:
        for temp_name, name in files:
            backup = _backup(temp_dir_fd, chat_fd, name)
            try:
                install(temp_name, name)
            except BaseException:
                _drop(temp_dir_fd, backup)
                raise
            done.append((name, backup))
        fsync_dir(chat_fd)
    except BaseException:
        for name, backup in reversed(done):
            _restore(temp_dir_fd, chat_fd, name, backup)
        raise
    for _, backup in done:
        _drop(temp_dir_fd, backup)


def _backup(temp_dir_fd: int, chat_fd: int, name: str) -> str | None:
    """Hard-link the regular file at `name` into the temp directory, if there is one."""
    info = lstat_entry(chat_fd, name)
    if info is None or not stat.S_ISREG(info.st_mode):
        return None
    backup = f"{uuid.uuid4().hex}.old"
    try:
        os.link(name, backup, src_dir_fd=chat_fd, dst_dir_fd=temp_dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return backup


def _restore(temp_dir_fd: int, chat_fd: int, name: str, backup: str | None) -> None:
    with contextlib.suppress(OSError):
        if backup is None:
            os.unlink(name, dir_fd=chat_fd)
        else:
            os.rename(backup, name, src_dir_fd=temp_dir_fd, dst_dir_fd=chat_fd)
        fsync_dir(chat_fd)


def _drop(temp_dir_fd: int, backup: str | None) -> None:
    if backup is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(backup, dir_fd=temp_dir_fd)
