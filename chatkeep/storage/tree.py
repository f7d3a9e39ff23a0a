"""Measuring a directory tree a sandbox may have planted: its bytes and its entries.

Links are never followed and FIFOs never opened (walk.py); every regular file counts,
at any depth (contract v1 "Workspace": `used_bytes`; Version 1.1, "Hostile trees and
resource limits"). The walk holds a fixed number of descriptors, drawn from the
process's budget (descriptors.py).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from chatkeep.storage.descriptors import (
    WALK_DESCRIPTORS,
    WALK_WINDOW,
    DescriptorBudget,
    shared_budget,
)
from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.walk import RACED, Walk


@dataclass(frozen=True, slots=True)
class TreeSize:
    """What a tree holds below its root (the root itself not counted)."""

    bytes: int  # of its regular files, each inode once, a sparse file at its apparent size
    entries: int  # its files of every kind and its directories, each inode once


class Tally:
    """Adds up entries as a walk meets them, a hard-linked inode once."""

    __slots__ = ("_seen", "bytes", "entries")

    def __init__(self) -> None:
        self.bytes = 0
        self.entries = 0
        # Only inodes with several links can be met again; a removal unlinks as it goes,
        # so the last link of a pair has one link left when met, and is looked up too.
        self._seen: set[tuple[int, int]] = set()

    def add(self, info: os.stat_result) -> None:
        """Count a non-directory, unless its inode was counted already."""
        if self._seen or info.st_nlink > 1:
            key = (info.st_dev, info.st_ino)
            if key in self._seen:
                return
            if info.st_nlink > 1:
                self._seen.add(key)
        self.entries += 1
        if stat.S_ISREG(info.st_mode):
            self.bytes += info.st_size

    def size(self) -> TreeSize:
        """What was counted so far."""
        return TreeSize(self.bytes, self.entries)


class _Measure(Walk):
    def __init__(self, root_fd: int, window: int) -> None:
        self.tally = Tally()
        super().__init__(root_fd, window=window)

    def listing(self, fd: int) -> Iterator[str]:
        add = self.tally.add
        with os.scandir(fd) as listing:
            for entry in listing:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        yield entry.name
                    else:
                        add(entry.stat(follow_symlinks=False))
                except OSError:
                    continue  # gone since it was listed, or not ours to look at

    def open_dir(self, parent_fd: int, name: str) -> int | None:
        try:
            return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
        except OSError as error:
            if error.errno in _UNREADABLE:
                self.tally.entries += 1  # a directory all the same; what it holds is hidden
            elif error.errno not in RACED:
                raise
            return None

    def entered(self, fd: int, info: os.stat_result) -> None:
        self.tally.entries += 1


def measure(
    dir_fd: int, *, budget: DescriptorBudget | None = None, window: int = WALK_WINDOW
) -> TreeSize:
    """Bytes and entries below the open directory `dir_fd`, at any depth.

    Directories the process may not read (EACCES, EPERM: modes, when not running as
    root) count as entries, their content not at all. Blocks until the budget (the
    process's by default) grants a walk's descriptors; raises OSError only for failures
    of the filesystem itself (EIO, ENOMEM, ...). `window` is for tests.
    """
    with (budget or shared_budget()).take(WALK_DESCRIPTORS):
        walk = _Measure(dir_fd, window)
        walk.run()
    return walk.tally.size()


_UNREADABLE = frozenset({errno.EACCES, errno.EPERM})
