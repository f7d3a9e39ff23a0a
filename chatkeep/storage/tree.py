"""Walking and removing directory trees a sandbox may have planted.

Every directory is opened relative to its parent with O_NOFOLLOW | O_DIRECTORY |
O_NONBLOCK, so a symlink is never followed and a FIFO swapped in for a directory
fails to open instead of blocking. The walks are iterative depth-first, holding
open only the directories on the current path (about two descriptors a level),
never all the children of a wide directory; a tree deeper than MAX_DEPTH is not
descended further.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# Entries that vanished or changed kind between listing and opening: skip them.
_RACED = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})
MAX_DEPTH = 2048
MAX_EMPTYING_ROUNDS = 10


def open_subdir(parent_fd: int, name: str) -> int | None:
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except OSError as error:
        if error.errno in _RACED:
            return None
        raise


def _entries(dir_fd: int) -> Iterator[tuple[str, os.stat_result]]:
    with os.scandir(dir_fd) as listing:
        for entry in listing:
            try:
                yield entry.name, entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue


@dataclass
class _Level:
    fd: int
    name: str
    entries: Iterator[tuple[str, os.stat_result]]
    rounds: int = 0


def _close(levels: list[_Level]) -> None:
    for level in levels:
        close = getattr(level.entries, "close", None)
        if close is not None:
            close()
        os.close(level.fd)


def regular_file_bytes(dir_fd: int) -> int:
    """Bytes of the regular files below `dir_fd`, links not followed, each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    top = os.dup(dir_fd)
    levels = [_Level(top, "", _entries(top))]
    try:
        while levels:
            level = levels[-1]
            for name, info in level.entries:
                if stat.S_ISREG(info.st_mode):
                    if (info.st_dev, info.st_ino) not in seen:
                        seen.add((info.st_dev, info.st_ino))
                        total += info.st_size
                elif stat.S_ISDIR(info.st_mode) and len(levels) < MAX_DEPTH:
                    child = open_subdir(level.fd, name)
                    if child is not None:
                        levels.append(_Level(child, name, _entries(child)))
                        break
            else:
                _close([levels.pop()])
    finally:
        _close(levels)
    return total


def remove_entry(parent_fd: int, name: str) -> None:
    """Remove `name` in `parent_fd` and, if it is a directory, all below it; never follow links."""
    try:
        os.unlink(name, dir_fd=parent_fd)
        return
    except FileNotFoundError:
        return
    except IsADirectoryError:
        pass
    top = open_subdir(parent_fd, name)
    if top is None:
        return
    levels = [_Level(top, name, _entries(top))]
    try:
        _remove_levels(parent_fd, levels)
    finally:
        _close(levels)


def _remove_levels(parent_fd: int, levels: list[_Level]) -> None:
    while levels:
        level = levels[-1]
        if _descend_or_unlink(level, levels):
            continue
        parent = levels[-2].fd if len(levels) > 1 else parent_fd
        try:
            os.rmdir(level.name, dir_fd=parent)
        except FileNotFoundError:
            pass
        except NotADirectoryError:
            # Swapped for a file after it was opened: that file is what is there now.
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(level.name, dir_fd=parent)
        except OSError as error:
            # Something is still writing into it: list it again, a bounded number of times.
            if error.errno == errno.ENOTEMPTY and level.rounds < MAX_EMPTYING_ROUNDS:
                level.rounds += 1
                level.entries = _entries(level.fd)
                continue
            raise
        _close([levels.pop()])


def _descend_or_unlink(level: _Level, levels: list[_Level]) -> bool:
    """Unlink the level's non-directories; True once it has opened a subdirectory."""
    for name, info in level.entries:
        if not stat.S_ISDIR(info.st_mode):
            try:
                os.unlink(name, dir_fd=level.fd)
                continue
            except FileNotFoundError:
                continue
            except IsADirectoryError:
                pass  # became a directory since it was listed
        if len(levels) >= MAX_DEPTH:
            raise OSError(errno.ELOOP, f"directory tree deeper than {MAX_DEPTH} levels")
        child = open_subdir(level.fd, name)
        if child is not None:
            levels.append(_Level(child, name, _entries(child)))
            return True
    return False
