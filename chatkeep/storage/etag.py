from __future__ import annotations

import hashlib
import os
import threading
import time

# The version of a history that is not a regular file: it reads as empty.
ABSENT_ETAG = '"absent"'


def etag_of(info: os.stat_result) -> str:
    """A strong ETag from the file's identity, size and timestamps (not a content hash).

    Any change a sandbox makes moves at least one of these; writes through the
    API also stamp a unique mtime (see `MtimeStamper`), so two API versions of
    one inode never share an ETag even within one clock tick.
    """
    signature = f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"
    return '"' + hashlib.blake2b(signature.encode(), digest_size=10).hexdigest() + '"'


class MtimeStamper:
    """Stamps files with strictly increasing nanosecond mtimes."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def stamp(self, fd: int) -> None:
        with self._lock:
            now = max(time.time_ns(), self._last + 1)
            self._last = now
        os.utime(fd, ns=(now, now))
