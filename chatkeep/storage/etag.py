from __future__ import annotations

import hashlib
import os
import threading
import time
from datetime import UTC, datetime

from chatkeep.domain.conditions import Representation

# The version of a history that is not a regular file: it reads as empty.
ABSENT_ETAG = '"absent"'


def etag_of(info: os.stat_result) -> str:
    """A strong ETag from the file's inode number, size and timestamps (not a content hash).

    Any change a sandbox makes moves at least one of these; writes through the
    API also stamp a unique mtime (see `MtimeStamper`), so two API versions of
    one inode never share an ETag even within one clock tick. No device number: two
    clients of one distributed filesystem give it different ones, while the inode
    number, size and times are the server's (decision record 017, "Replicas on a
    distributed filesystem"): every replica computes the same ETag for one version.
    """
    signature = f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"
    return '"' + hashlib.blake2b(signature.encode(), digest_size=10).hexdigest() + '"'


def last_modified_of(info: os.stat_result) -> datetime:
    """The file's modification time as its Last-Modified (RFC 9110 §8.8.2): UTC, whole
    seconds, never later than now (§8.8.2.1: a sandbox may date a file in the future) nor
    before 1970."""
    seconds = min(info.st_mtime_ns // 1_000_000_000, int(time.time()))
    return datetime.fromtimestamp(max(seconds, 0), UTC)


def representation_of(info: os.stat_result) -> Representation:
    """The file as preconditions see it: its ETag and Last-Modified."""
    return Representation(etag_of(info), last_modified_of(info))


class MtimeStamper:
    """Stamps files with strictly increasing nanosecond mtimes."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def stamp(self, fd: int) -> None:
        """Blocking: set the open file's mtime (and atime) to now, later than any it stamped before,
        so that every write gives a new ETag. Raises OSError."""
        with self._lock:
            now = max(time.time_ns(), self._last + 1)
            self._last = now
        os.utime(fd, ns=(now, now))
