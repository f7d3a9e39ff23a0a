"""Append intents, so a crash in the middle of an append leaves only whole appends.

Before appending in place, the history's inode, its size and the size the batch will
make it (`end`) are recorded; once the append is fsynced the record goes. A record left
behind means the append may be torn: the history is cut back to the recorded size, but
only while its size lies within what this batch alone could have written (more than
`size`, at most `end`). A history past `end` holds bytes written after the batch: on
shared storage, another replica's appends, acknowledged after the dead process lost its
lock; cutting would erase them, so the torn bytes stay and the cut is logged as refused.
The same rule guards a recorded size that was stale (an attribute cache that had not seen
another replica's last append): the cut never reaches below bytes that were there.

Recovery that can race live writers (a dead replica's intents, while others serve) runs
under the chat's cross-replica lock, with the history opened after the lock is taken.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import uuid
from collections.abc import Callable
from uuid import UUID

from chatkeep.domain.chat import HISTORY_FILE_NAME
from chatkeep.storage.files import NEW_FILE_FLAGS, fsync, write_all

OpenChatDir = Callable[[UUID, UUID], int | None]
Intent = dict[str, object]
logger = logging.getLogger("chatkeep.journal")
# Intents taken over from a dead process, waiting for their chat's lock.
ADOPTED = "adopted-"


class AppendJournal:
    def __init__(self, journal_dir_fd: int) -> None:
        self.dir_fd = journal_dir_fd

    def record(
        self, workspace_id: UUID, chat_id: UUID, history: os.stat_result, appended: int
    ) -> str:
        """Record an append of `appended` bytes to `history` (as fstat found it through a
        descriptor opened under the chat's lock); answer the intent's name."""
        name = f"{chat_id}.append"
        entry = {
            "workspace_id": str(workspace_id),
            "chat_id": str(chat_id),
            "ino": history.st_ino,
            "size": history.st_size,
            "end": history.st_size + appended,
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
        """Close the journal's directory."""
        os.close(self.dir_fd)

    def clear(self, name: str) -> None:
        """Blocking: remove an intent named `name`; its append is done. Raises OSError."""
        os.unlink(name, dir_fd=self.dir_fd)

    def recover(
        self, open_chat_dir: OpenChatDir, skip: Callable[[str], bool] = lambda name: False
    ) -> int:
        """Cut back every history with an unfinished append; return how many were cut.
        Entries for which `skip` is true are left alone. Only where no other process
        can be writing (one process, at its start)."""
        cut = 0
        for name in os.listdir(self.dir_fd):
            if not skip(name):
                cut += self.recover_one(open_chat_dir, name)
        return cut

    def recover_one(self, open_chat_dir: OpenChatDir, name: str) -> int:
        """Cut back the history of intent `name` as the module says, then drop the
        intent; 1 when it cut. On shared storage, call under the chat's lock."""
        entry = self.read(name)
        cut = 0
        if entry is not None:
            with contextlib.suppress(OSError, ValueError, KeyError):
                cut = _cut_back(open_chat_dir, entry)
        os.unlink(name, dir_fd=self.dir_fd)
        return cut

    def read(self, name: str) -> Intent | None:
        """The intent `name` records, or None when it cannot be read."""
        try:
            with open(name, "rb", opener=self._opener) as handle:
                entry = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) else None

    def adopt(self, dead_journal_fd: int) -> None:
        """Move a dead process's intents into this journal (renamed ADOPTED…), so that
        they outlive its directory until `recover_one` settles each under its lock."""
        for name in os.listdir(dead_journal_fd):
            target = f"{ADOPTED}{uuid.uuid4().hex}.append"
            with contextlib.suppress(FileNotFoundError):
                os.rename(name, target, src_dir_fd=dead_journal_fd, dst_dir_fd=self.dir_fd)

    def adopted(self) -> list[tuple[str, UUID | None]]:
        """The adopted intents waiting, each with its chat id (None: unreadable)."""
        waiting = []
        for name in os.listdir(self.dir_fd):
            if name.startswith(ADOPTED):
                entry = self.read(name)
                try:
                    chat_id = None if entry is None else UUID(str(entry["chat_id"]))
                except (KeyError, ValueError):
                    chat_id = None
                waiting.append((name, chat_id))
        return waiting

    def _opener(self, name: str, flags: int) -> int:
        return os.open(name, flags | os.O_NOFOLLOW, dir_fd=self.dir_fd)


def _cut_back(open_chat_dir: OpenChatDir, entry: Intent) -> int:
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
        if "end" not in entry:  # an intent of an older release: its bound is unknown
            logger.warning("append intent without its end left as is: %s", entry)
            return 0
        ino, size, end = (int(str(entry[key])) for key in ("ino", "size", "end"))
        return 1 if cut_torn(fd, ino, size, end) else 0
    finally:
        os.close(fd)
        os.close(chat_fd)


def cut_torn(fd: int, ino: int, size: int, end: int) -> bool:
    """Blocking: cut the history open as `fd` back to `size` when it is still inode `ino`
    and its size is more than `size` and at most `end` (what one batch could have made
    it); answer whether it cut. A size past `end` is logged and left as it is."""
    info = os.fstat(fd)
    if not (stat.S_ISREG(info.st_mode) and info.st_ino == ino and info.st_size > size):
        return False
    if info.st_size > end:
        logger.warning(
            "torn append not cut back: the history grew past it (%d > %d bytes); "
            "later writes are kept",
            info.st_size,
            end,
        )
        return False
    os.ftruncate(fd, size)
    fsync(fd)
    return True
