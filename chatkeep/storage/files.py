"""Opening and writing files inside a chat directory without trusting what is there."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter

from chatkeep.domain.errors import InsufficientStorageError

READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# A directory, never through a link; a FIFO swapped in fails (O_DIRECTORY) and never blocks.
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# What opening a planted entry can answer: missing, a symlink, a socket or
# reader-less FIFO, a directory opened for writing.
_NOT_A_FILE = frozenset({errno.ENOENT, errno.ELOOP, errno.ENXIO, errno.EISDIR, errno.EOPNOTSUPP})
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def open_regular(dir_fd: int, name: str, flags: int) -> tuple[int, os.stat_result] | None:
    """Open `name` if it is a regular file reached without a link; None otherwise.

    O_NONBLOCK keeps a FIFO from blocking the open; fstat on the descriptor then
    rejects whatever is not a regular file.
    """
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as error:
        if error.errno in _NOT_A_FILE:
            return None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return fd, info


def lstat_entry(dir_fd: int, name: str) -> os.stat_result | None:
    """Blocking: the entry's own status (a link not followed); None if it is missing."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    """Blocking: write all of `data` to `fd`, however short each write. Raises OSError."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


FsyncObserver = Callable[[float], None]
# Who wants to know how long each fsync takes (the metrics): fsync durations are the
# disk's, the same for every storage of the process, and the blocking functions below run
# in worker threads far from any storage object, so the observers are the process's.
_fsync_observers: list[FsyncObserver] = []


def observe_fsyncs(observer: FsyncObserver) -> None:
    """Calls `observer(seconds)` after every fsync of the storage, from the thread that
    made it, until `stop_observing_fsyncs(observer)`."""
    _fsync_observers.append(observer)


def stop_observing_fsyncs(observer: FsyncObserver) -> None:
    """Stops calling `observer`; nothing happens when it was not observing."""
    if observer in _fsync_observers:
        _fsync_observers.remove(observer)


def fsync(fd: int) -> None:
    """os.fsync(fd), its duration reported to the observers. Raises OSError."""
    started = perf_counter()
    os.fsync(fd)
    if _fsync_observers:
        elapsed = perf_counter() - started
        for observer in tuple(_fsync_observers):
            observer(elapsed)


def fsync_dir(dir_fd: int) -> None:
    """Blocking: fsync the open directory, so that the entries made in it are durable."""
    fsync(dir_fd)


@contextmanager
def disk_full_is_domain_error() -> Iterator[None]:
    """Turn ENOSPC / EDQUOT into the domain's insufficient_storage error."""
    try:
        yield
    except OSError as error:
        if error.errno in _DISK_FULL:
            raise InsufficientStorageError() from error
        raise
