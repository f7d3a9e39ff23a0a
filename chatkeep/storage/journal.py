"""Append intents, so a crash in the middle of an append leaves only whole appends.

Before appending in place, the history's inode and size are recorded; once the
append is fsynced the record goes. At start-up, a record left behind means the
append may be torn, and the history is cut back to the recorded size.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Callable
from uuid import UUID

from chatkeep.domain.chat import HISTORY_FILE_NAME
from chatkeep.storage.files import NEW_FILE_FLAGS, fsync, write_all

OpenChatDir = Callable[[UUID, UUID], int | None]


class AppendJournal:
    def __init__(self, journal_dir_fd: int) -> None:
        self.dir_fd = journal_dir_fd

    def record(self, workspace_id: UUID, chat_id: UUID, history: os.stat_result) -> str:
        name = f"{chat_id}.append"
        entry = {
            "workspace_id": str(workspace_id),
            "chat_id": str(chat_id),
            "dev": history.st_dev,
            "ino": history.st_ino,
            "size": history.st_size,
        }
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self.dir_fd)
        fd = os.open(name, NEW_FILE_FLAGS, 0o600, dir_fd=self.dir_fd)
        try:
            try:
                write_all(fd, json.dumps(entry).encode())
            finally:
                os.close(fd)
        except BaseException:
            # Nothing was appended yet: an unwritten intent is only in the way.
            self.clear(name)
            raise
        return name

    def close(self) -> None:
        os.close(self.dir_fd)

    def clear(self, name: str) -> None:
        os.unlink(name, dir_fd=self.dir_fd)

    def recover(
        self, open_chat_dir: OpenChatDir, skip: Callable[[str], bool] = lambda name: False
    ) -> int:
        """Cut back every history with an unfinished append; return how many were cut.
        Entries for which `skip` is true are left alone."""
        cut = 0
        for name in os.listdir(self.dir_fd):
            if skip(name):
                continue
            try:
                with open(name, "rb", opener=self._opener) as handle:
                    entry = json.loads(handle.read())
                cut += _cut_back(open_chat_dir, entry)
            except (OSError, ValueError, KeyError):
                pass
            os.unlink(name, dir_fd=self.dir_fd)
        return cut

    def _opener(self, name: str, flags: int) -> int:
        return os.open(name, flags | os.O_NOFOLLOW, dir_fd=self.dir_fd)


def _cut_back(open_chat_dir: OpenChatDir, entry: dict[str, object]) -> int:
    chat_fd = open_chat_dir(UUID(str(entry["workspace_id"])), UUID(str(entry["chat_id"])))
    if chat_fd is None:
        return 0
    try:
        flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        fd = os.open(HISTORY_FILE_NAME, flags, dir_fd=chat_fd)
    except OSError:
        os.close(chat_fd)
        return 0
    try:
        info = os.fstat(fd)
        size = int(str(entry["size"]))
        same_file = (info.st_dev, info.st_ino) == (entry["dev"], entry["ino"])
        if not (stat.S_ISREG(info.st_mode) and same_file and info.st_size > size):
            return 0
        os.ftruncate(fd, size)
        fsync(fd)
        return 1
    finally:
        os.close(fd)
        os.close(chat_fd)
