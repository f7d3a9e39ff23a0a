"""Blocking history operations on an open chat directory; run them in a worker thread."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass
from functools import partial

from chatkeep.domain.chat import HISTORY_FILE_NAME
from chatkeep.domain.errors import NameConflictError
from chatkeep.domain.history import HistoryVersion
from chatkeep.storage.etag import ABSENT_ETAG, MtimeStamper, etag_of, last_modified_of
from chatkeep.storage.files import READ_FLAGS, fsync, open_regular
from chatkeep.storage.publish import publish_all
from chatkeep.storage.reader import FileReader, open_reader
from chatkeep.storage.removal import remove_entry
from chatkeep.storage.spool import Spool, create_temp_file, discard_temp_file
from chatkeep.storage.stale import fresh_stat

ABSENT = HistoryVersion(0, ABSENT_ETAG)
INSTALL_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class HistoryState:
    """The history as a write finds it."""

    version: HistoryVersion
    regular: bool
    # Bytes that replacing the file frees: none while another hard link holds them.
    freed: int
    # Inodes that replacing it adds: one where nothing is, or where another link keeps
    # the old one. (A planted directory's entries, which a write removes, are not
    # subtracted: usage over-counts them until the next recount.)
    new_inodes: int = 0

    @property
    def appendable(self) -> bool:
        """Whether an append may go in place: a regular file whose bytes no other link shares."""
        return self.regular and self.freed == self.version.size_bytes


def history_state(chat_fd: int) -> HistoryState:
    """The history as a write finds it, from a descriptor opened now (stale.fresh_stat):
    called under the chat's lock, it is the version every replica agrees on."""
    info = fresh_stat(chat_fd, HISTORY_FILE_NAME)
    if info is None:
        return HistoryState(ABSENT, regular=False, freed=0, new_inodes=1)
    kept = 1 if info.st_nlink > 1 and not stat.S_ISDIR(info.st_mode) else 0
    if not stat.S_ISREG(info.st_mode):
        return HistoryState(ABSENT, regular=False, freed=0, new_inodes=kept)
    freed = info.st_size if info.st_nlink == 1 else 0
    return HistoryState(version_of(info), regular=True, freed=freed, new_inodes=kept)


def version_of(info: os.stat_result) -> HistoryVersion:
    """The history's version (size in bytes, ETag, Last-Modified) from its status."""
    return HistoryVersion(info.st_size, etag_of(info), last_modified_of(info))


def write_new_history(
    chat_fd: int, temp_dir_fd: int, spool: Spool, stamper: MtimeStamper, *, keep_old: bool
) -> os.stat_result:
    """Publish a new history file: the old content first if `keep_old`, then the spool."""
    taken = None if keep_old else spool.take_file()
    fd, name = taken if taken is not None else create_temp_file(temp_dir_fd)
    try:
        if taken is None:
            if keep_old:
                _copy_old_history(chat_fd, fd)
            spool.copy_to(fd)
        stamper.stamp(fd)
        fsync(fd)
        written = os.fstat(fd)
    except BaseException:
        discard_temp_file(temp_dir_fd, fd, name)
        raise
    try:
        os.close(fd)
        publish_all(
            temp_dir_fd,
            chat_fd,
            [(name, HISTORY_FILE_NAME)],
            partial(_install, temp_dir_fd, chat_fd=chat_fd),
        )
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=temp_dir_fd)
        raise
    # The rename changed the inode's ctime: report the file as it is now.
    return fresh_stat(chat_fd, HISTORY_FILE_NAME) or written


def _copy_old_history(chat_fd: int, fd: int) -> None:
    opened = open_regular(chat_fd, HISTORY_FILE_NAME, READ_FLAGS)
    if opened is None:
        return
    old_fd, info = opened
    try:
        offset = 0
        while offset < info.st_size:
            sent = os.copy_file_range(old_fd, fd, info.st_size - offset, offset)
            if sent == 0:
                break
            offset += sent
    finally:
        os.close(old_fd)


def _install(temp_dir_fd: int, name: str, _history: str, *, chat_fd: int) -> None:
    """Rename the temp file over history.md; a planted directory there is removed first.

    A sandbox may plant a new directory between the removal and the rename; after
    a few rounds of that the write is refused rather than retried forever.
    """
    for _ in range(INSTALL_ATTEMPTS):
        try:
            os.rename(name, HISTORY_FILE_NAME, src_dir_fd=temp_dir_fd, dst_dir_fd=chat_fd)
            return
        except OSError as error:
            if error.errno not in {errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST}:
                raise
        with contextlib.suppress(OSError):  # the sandbox may be racing the removal too
            remove_entry(chat_fd, HISTORY_FILE_NAME)
    raise NameConflictError(f"{HISTORY_FILE_NAME} keeps being replaced by a directory")


def open_history_reader(chat_fd: int) -> FileReader:
    """The history as a reader; anything but a regular file reads as empty."""
    return open_reader(chat_fd, HISTORY_FILE_NAME) or FileReader(None, 0, ABSENT_ETAG, b"")
