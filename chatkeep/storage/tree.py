"""Walking and removing directory trees a sandbox may have planted.

Every directory is opened relative to its parent with O_NOFOLLOW | O_DIRECTORY |
O_NONBLOCK, so a symlink is never followed and a FIFO swapped in for a directory
fails to open instead of blocking. The walks are iterative: a hostile tree may be
deeper than Python's recursion limit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# Entries that vanished or changed kind between listing and opening: skip them.
_RACED = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})
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


def regular_file_bytes(dir_fd: int) -> int:
    """Bytes of the regular files below `dir_fd`, links not followed, each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    pending = [os.dup(dir_fd)]
    while pending:
        fd = pending.pop()
        try:
            for name, info in _entries(fd):
                if stat.S_ISREG(info.st_mode):
                    if (info.st_dev, info.st_ino) not in seen:
                        seen.add((info.st_dev, info.st_ino))
                        total += info.st_size
                elif stat.S_ISDIR(info.st_mode):
                    child = open_subdir(fd, name)
                    if child is not None:
                        pending.append(child)
        finally:
            os.close(fd)
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
    # (parent fd, directory name, fd of that directory)
    stack: list[tuple[int, str, int]] = []
    top = open_subdir(parent_fd, name)
    if top is None:
        return
    stack.append((os.dup(parent_fd), name, top))
    try:
        _remove_stacked(stack)
    finally:
        for parent, _, fd in stack:
            os.close(fd)
            os.close(parent)


def _remove_stacked(stack: list[tuple[int, str, int]]) -> None:
    emptied = 0
    while stack:
        parent, dir_name, fd = stack[-1]
        child_dir = _empty_files(fd)
        if child_dir is not None:
            child = open_subdir(fd, child_dir)
            if child is not None:
                stack.append((os.dup(fd), child_dir, child))
            continue
        try:
            os.rmdir(dir_name, dir_fd=parent)
        except FileNotFoundError:
            pass
        except NotADirectoryError:
            # Swapped for a file after it was opened: that file is what is there now.
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(dir_name, dir_fd=parent)
        except OSError as error:
            # Something is still writing into it: empty it again, a bounded number of times.
            emptied += 1
            if error.errno == errno.ENOTEMPTY and emptied < MAX_EMPTYING_ROUNDS:
                continue
            raise
        stack.pop()
        os.close(fd)
        os.close(parent)


def _empty_files(dir_fd: int) -> str | None:
    """Unlink every non-directory in `dir_fd`; return a subdirectory left, if any."""
    for name, info in _entries(dir_fd):
        if stat.S_ISDIR(info.st_mode):
            return name
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            return name  # became a directory since it was listed
    return None
