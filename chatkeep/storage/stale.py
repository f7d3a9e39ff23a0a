"""Stale file handles and fresh looks at a file, for a data directory on a distributed
filesystem (contract 1.1, "Replicas on a distributed filesystem"; decision record 017).

A client of NFS or GlusterFS answers `ESTALE` when a handle it holds (a directory or file
descriptor, a cached name) names an inode that another client removed or replaced: a
chat directory deleted and made again, a history or attachment renamed over. The name
still leads to the current version; only the handle is old. So a read is opened again
from the path and retried, a bounded number of times.

A version is looked at through a descriptor opened for the purpose, never through a
cached name alone: opening is what close-to-open consistency revalidates (NFS sends a
GETATTR at open; a GlusterFS mount as docs/deployment.md sets it has no attribute cache).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from typing import TypeVar

from chatkeep.storage.files import READ_FLAGS, lstat_entry, open_regular

T = TypeVar("T")

# Attempts of a read that meets ESTALE, and the pause before each retry, in seconds: a
# kernel refreshes a cached name within its entry timeout (1 s by default on FUSE).
STALE_ATTEMPTS = 6
STALE_PAUSES = (0.0, 0.01, 0.05, 0.2, 0.5)


def is_stale(error: BaseException) -> bool:
    """Whether `error` is ESTALE: a handle to an inode another client removed."""
    return isinstance(error, OSError) and error.errno == errno.ESTALE


def retry_stale(action: Callable[[], T]) -> T:
    """Blocking: run `action`, which opens what it reads from paths, again while it fails
    with ESTALE, up to STALE_ATTEMPTS times; then the last ESTALE is raised. Only for
    actions that change nothing (a read, a look at a version): a write is never retried."""
    for attempt in range(STALE_ATTEMPTS):
        try:
            return action()
        except OSError as error:
            if not is_stale(error) or attempt == STALE_ATTEMPTS - 1:
                raise
            time.sleep(STALE_PAUSES[min(attempt, len(STALE_PAUSES) - 1)])
    raise AssertionError("unreachable")


def fresh_stat(dir_fd: int, name: str) -> os.stat_result | None:
    """Blocking: what `name` in `dir_fd` is now, like an lstat (None: nothing there),
    with a regular file's attributes read from a descriptor opened now, so that on a
    close-to-open filesystem they are the version every client agrees on. A link,
    FIFO, socket or directory is never opened through: its lstat answers for it."""
    try:
        opened = open_regular(dir_fd, name, READ_FLAGS)
    except PermissionError:  # a sandbox took the read bit away: the name's own look
        return lstat_entry(dir_fd, name)
    if opened is None:  # not a regular file reached without a link: say what it is
        return lstat_entry(dir_fd, name)
    fd, info = opened
    os.close(fd)
    return info
