"""Blocking attachment operations on an open chat directory; run them in a worker thread."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from chatkeep.domain.chat import HISTORY_FILE_NAME
from chatkeep.domain.conditions import Representation
from chatkeep.domain.errors import NameConflictError
from chatkeep.storage.descriptors import LISTING_DESCRIPTORS, shared_budget
from chatkeep.storage.etag import MtimeStamper, etag_of, representation_of
from chatkeep.storage.files import READ_FLAGS, fsync, fsync_dir, open_regular
from chatkeep.storage.publish import Install, publish_all
from chatkeep.storage.spool import Spool, create_temp_file, discard_temp_file
from chatkeep.storage.stale import fresh_stat
from chatkeep.usecase.ports import HashedFile, ScannedFile

HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    """What a name in a chat directory holds, as far as a write is concerned."""

    exists: bool
    regular: bool
    # Bytes that replacing or removing it frees: none while another hard link holds them.
    freed: int
    # Inodes that removing it frees: one, unless it is a directory (never removed as an
    # attachment) or another hard link holds it.
    freed_inodes: int = 0
    # The regular file's validators, for an upload's preconditions; None for anything else.
    version: Representation | None = None

    def require_replaceable(self, name: str) -> None:
        """Raises NameConflictError when `name` is taken by something an upload may not replace
        (a directory, a link, a FIFO: no regular file)."""
        if self.exists and not self.regular:
            raise NameConflictError(
                f"'{name}' is taken in the chat directory by something that is not a file"
            )


def entry(chat_fd: int, name: str) -> Entry:
    """What `name` holds now, from a descriptor opened now (stale.fresh_stat): under the
    chat's lock, the version every replica agrees on."""
    info = fresh_stat(chat_fd, name)
    if info is None:
        return Entry(exists=False, regular=False, freed=0)
    last = 1 if info.st_nlink == 1 and not stat.S_ISDIR(info.st_mode) else 0
    if not stat.S_ISREG(info.st_mode):
        return Entry(exists=True, regular=False, freed=0, freed_inodes=last)
    freed = info.st_size if info.st_nlink == 1 else 0
    return Entry(True, True, freed, last, representation_of(info))


def new_inodes(current: Entry) -> int:
    """Inodes that publishing a file over `current` (missing, or a regular file) adds."""
    return 1 - current.freed_inodes


def publish(
    chat_fd: int, temp_dir_fd: int, files: Sequence[tuple[str, Spool]], stamper: MtimeStamper
) -> list[str]:
    """Rename every spool into the chat directory under its name, then fsync the directory;
    answer each file's ETag. On any failure no name is left changed."""
    temps: list[tuple[str, str]] = []
    try:
        for name, spool in files:
            temps.append((_finish(temp_dir_fd, spool, stamper), name))
        publish_all(temp_dir_fd, chat_fd, temps, _rename_or_conflict(temp_dir_fd, chat_fd))
    except BaseException:
        for temp_name, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name, dir_fd=temp_dir_fd)
        raise
    etags = []
    for _, name in temps:
        info = fresh_stat(chat_fd, name)
        etags.append("" if info is None else etag_of(info))
    return etags


def _finish(temp_dir_fd: int, spool: Spool, stamper: MtimeStamper) -> str:
    """The spool as a complete, fsynced, closed temp file: its name in the temp directory."""
    taken = spool.take_file()
    fd, temp_name = taken if taken is not None else create_temp_file(temp_dir_fd)
    try:
        if taken is None:
            spool.copy_to(fd)
        stamper.stamp(fd)
        fsync(fd)
    except BaseException:
        discard_temp_file(temp_dir_fd, fd, temp_name)
        raise
    try:
        os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name, dir_fd=temp_dir_fd)
        raise
    return temp_name


def _rename_or_conflict(temp_dir_fd: int, chat_fd: int) -> Install:
    def install(temp_name: str, name: str) -> None:
        try:
            os.rename(temp_name, name, src_dir_fd=temp_dir_fd, dst_dir_fd=chat_fd)
        except OSError as error:
            if error.errno in {errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST}:
                Entry(exists=True, regular=False, freed=0).require_replaceable(name)
            raise

    return install


def scan(chat_fd: int) -> list[ScannedFile]:
    """The regular files at the top of the chat directory but its history (no link
    followed, nothing below it listed), with a listing's descriptors drawn from the
    process's budget."""
    found = []
    with shared_budget().take(LISTING_DESCRIPTORS), os.scandir(chat_fd) as listing:
        for item in listing:
            if item.name == HISTORY_FILE_NAME:
                continue
            try:
                info = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):
                found.append(ScannedFile(item.name, info.st_size, etag_of(info)))
    return found


def hash_file(chat_fd: int, name: str) -> HashedFile | None:
    """Blocking: size, sha256 and ETag of `name` in the open chat directory; None unless it is
    a regular file reached without a link."""
    opened = open_regular(chat_fd, name, READ_FLAGS)
    if opened is None:
        return None
    fd, info = opened
    digest = hashlib.sha256()
    try:
        while chunk := os.read(fd, HASH_CHUNK):
            digest.update(chunk)
    finally:
        os.close(fd)
    return HashedFile(info.st_size, digest.hexdigest(), etag_of(info))


def hash_files(chat_fd: int, names: list[str]) -> list[HashedFile | None]:
    """Blocking: hash_file for each of `names`, in order."""
    return [hash_file(chat_fd, name) for name in names]


def remove(chat_fd: int, name: str) -> tuple[int, int]:
    """Unlink `name` unless it is a directory (a sandbox's, not an attachment); answer the
    bytes and the inodes freed."""
    found = entry(chat_fd, name)
    if not found.exists:
        return 0, 0
    try:
        os.unlink(name, dir_fd=chat_fd)
    except (IsADirectoryError, FileNotFoundError):
        return 0, 0
    fsync_dir(chat_fd)
    return found.freed, found.freed_inodes
