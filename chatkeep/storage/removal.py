"""Removing a directory tree a sandbox may have planted, whatever its depth, its size,
the kinds of its entries and their modes (contract, Version 1.1, "Hostile trees and
resource limits": deleting a chat succeeds and leaves nothing).

Entries are unlinked and directories removed one by one relative to open descriptors
(walk.py): a symlink is unlinked, its target untouched; a FIFO or socket is unlinked,
never opened. A directory whose mode keeps its owner out (000, 0500, ...) is given
0700 first, on the directory opened without a link (an O_PATH descriptor, changed
through /proc/self/fd), so a name swapped for a link never lends its target's mode.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

from chatkeep.storage.descriptors import (
    WALK_DESCRIPTORS,
    WALK_WINDOW,
    DescriptorBudget,
    shared_budget,
)
from chatkeep.storage.files import DIR_FLAGS, lstat_entry
from chatkeep.storage.tree import Tally, TreeSize
from chatkeep.storage.walk import Level, Walk

log = logging.getLogger("chatkeep.storage")

# Times a directory is listed again when something keeps writing into it.
MAX_EMPTYING_ROUNDS = 10
# Walks of one removal, when a sandbox moves directories under it.
MAX_WALKS = 3
_PATH_ONLY = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OWNER_ALL = stat.S_IRWXU


class _Removal(Walk):
    """Removes as much as it can: what fails is passed by, the first failure kept."""

    def __init__(self, parent_fd: int, name: str, tally: Tally | None, window: int) -> None:
        self._name = name
        self.tally = tally
        self.failure: OSError | None = None
        super().__init__(parent_fd, window=window)

    def top_listing(self, fd: int) -> Iterator[str]:
        if not self._unlink(fd, self._name):
            yield self._name

    def listing(self, fd: int) -> Iterator[str]:
        with os.scandir(fd) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False) or not self._unlink(fd, entry.name):
                    yield entry.name

    def open_dir(self, parent_fd: int, name: str) -> int | None:
        for attempt in range(2):
            try:
                if attempt:
                    _give_owner_all(parent_fd, name)
                return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
            except OSError as error:
                if error.errno in {errno.ENOTDIR, errno.ELOOP}:
                    self._unlink(parent_fd, name)  # no longer a directory: what is there goes
                    return None
                if error.errno == errno.ENOENT:
                    return None
                if attempt or error.errno not in {errno.EACCES, errno.EPERM}:
                    self._failed(error)
                    return None
        raise AssertionError("unreachable")

    def entered(self, fd: int, info: os.stat_result) -> None:
        if info.st_mode & _OWNER_ALL != _OWNER_ALL:
            try:
                os.fchmod(fd, _OWNER_ALL)  # to list it and unlink what it holds
            except OSError as error:
                self._failed(error)  # not its owner: what it holds may not go
        if self.tally is not None:
            self.tally.entries += 1

    def leaving(self, parent_fd: int, level: Level) -> bool:
        try:
            os.rmdir(level.name, dir_fd=parent_fd)
        except FileNotFoundError:
            pass
        except NotADirectoryError:
            self._unlink(parent_fd, level.name)  # swapped for a file after it was opened
        except OSError as error:
            if error.errno != errno.ENOTEMPTY or level.rounds >= MAX_EMPTYING_ROUNDS:
                self._failed(error)
            elif self.failure is None:
                # Something is still writing into it: list it again, a bounded number of
                # times. (After a failure below it, it cannot be emptied: pass it by.)
                level.rounds += 1
                level.relist(self.listing(level.fd))
                return False
        return True

    def _unlink(self, dir_fd: int, name: str) -> bool:
        """Unlink `name` unless it is a directory (then False), counting it."""
        info = None
        if self.tally is not None:
            info = lstat_entry(dir_fd, name)
            if info is None:
                return True
            if stat.S_ISDIR(info.st_mode):
                return False
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            return True
        except IsADirectoryError:
            return False
        except OSError as error:
            self._failed(error)
            return True
        # Counted only as its last link goes: a file also linked from outside the tree
        # (another chat) frees nothing, and a pair inside it is counted once.
        if info is not None and self.tally is not None and info.st_nlink <= 1:
            self.tally.add(info)
        return True

    def _failed(self, error: OSError) -> None:
        if self.failure is None:
            self.failure = error


def remove_entry(
    parent_fd: int,
    name: str,
    *,
    counted: bool = False,
    budget: DescriptorBudget | None = None,
    window: int = WALK_WINDOW,
) -> TreeSize:
    """Remove `name` in the open directory `parent_fd` and, if it is a directory,
    everything below it, at any depth; a missing `name` is fine.

    With `counted`, answers what was freed (TreeSize: bytes of regular files and
    entries, each inode once, `name` included; a file that a link outside the tree still
    holds frees nothing); else TreeSize(0, 0). Blocks until the
    budget (the process's by default) grants a walk's descriptors. When something cannot
    be removed, removes all else it can, then raises the first OSError met: EPERM or
    EACCES where a mode cannot be changed (not the owner, not root) or for an immutable
    file, ENOTEMPTY when a writer keeps filling a directory, EBUSY for a mount point.
    `window` is for tests.
    """
    tally = Tally() if counted else None
    with (budget or shared_budget()).take(WALK_DESCRIPTORS):
        for _ in range(MAX_WALKS):
            walk = _Removal(parent_fd, name, tally, window)
            walk.run()
            if walk.failure is not None:
                raise walk.failure
            if not walk.incomplete or lstat_entry(parent_fd, name) is None:
                return TreeSize(0, 0) if tally is None else tally.size()
    raise OSError(errno.ENOTEMPTY, f"{name} kept changing while it was removed")


def remove_leftover(parent_fd: int, name: str, where: str) -> bool:
    """remove_entry for what start-up cleans: a failure is logged (`where` names the
    directory, for the log) and left in place, so that the start goes on; answers
    whether `name` is gone."""
    try:
        remove_entry(parent_fd, name)
    except OSError as error:
        log.warning("could not remove %s/%s, left in place: %s", where, name, error)
        return False
    return True


def _give_owner_all(parent_fd: int, name: str) -> None:
    """chmod 0700 the directory `name`, never through a link."""
    fd = os.open(name, _PATH_ONLY, dir_fd=parent_fd)
    try:
        os.chmod(f"/proc/self/fd/{fd}", _OWNER_ALL)
    finally:
        os.close(fd)


def trash(parent: Path, name: str, tmp_fd: int, *, counted: bool) -> TreeSize | None:
    """Move `parent/name` (a chat or workspace directory, or whatever took its place)
    into the directory `tmp_fd`, where no sandbox and no reader finds it, then remove
    it there (decision record 004).

    Answers what was removed as remove_entry does (TreeSize(0, 0) when it was missing);
    None when part of it could not be removed: that part stays in tmp/ (logged) for the
    next start to remove, and the caller counts its usage again. Raises OSError only
    when it cannot be moved.
    """
    try:
        parent_fd = os.open(parent, DIR_FLAGS)
    except FileNotFoundError:
        return TreeSize(0, 0)
    trash_name = f"{uuid.uuid4().hex}.trash"
    try:
        os.rename(name, trash_name, src_dir_fd=parent_fd, dst_dir_fd=tmp_fd)
    except FileNotFoundError:
        return TreeSize(0, 0)
    finally:
        os.close(parent_fd)
    try:
        return remove_entry(tmp_fd, trash_name, counted=counted)
    except OSError as error:
        log.warning("could not remove tmp/%s (was %s), left in place: %s", trash_name, name, error)
        return None
