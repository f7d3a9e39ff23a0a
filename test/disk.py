"""What is on disk, counted the way the contract counts usage, for tests to compare."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def regular_file_bytes(directory: Path) -> int:
    """Bytes of the regular files under `directory`, links not followed, each inode once."""
    seen, total = set(), 0
    for root, _, names in os.walk(directory):
        for name in names:
            info = os.lstat(os.path.join(root, name))
            if stat.S_ISREG(info.st_mode) and info.st_ino not in seen:
                seen.add(info.st_ino)
                total += info.st_size
    return total
