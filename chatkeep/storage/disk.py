"""The data directory's filesystem as a whole: whether the server can write in it, and how
much room is left. Used at start-up (cli.py) and by the readiness checks (readiness.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def unwritable(directory: Path, *, create: bool = False) -> str | None:
    """None when a file can be created in `directory` (and is removed again), else the
    reason in a few words. Tried for real: permission bits do not stop root, and a
    read-only mount or a full inode table show only when writing. With `create`, the
    directory and its parents are made first if missing. Blocking."""
    try:
        if create:
            directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        if directory.exists() and not directory.is_dir():
            return "it is not a directory"
        return error.strerror or str(error)
    return None


def free_bytes(directory: Path) -> int:
    """Bytes an unprivileged process may still write on the filesystem of `directory`
    (statvfs: available blocks times the fragment size). Blocking; raises OSError."""
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize
