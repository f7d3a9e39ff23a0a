"""Depth-first walks of a directory tree of any depth in a fixed number of descriptors.

A walk keeps the path from its root to the directory it is in as a stack of levels.
Only the root and the `window` deepest levels hold a descriptor (and, while it is being
read, a listing); going deeper parks the shallowest open level: what is left of its
listing is read into memory (the names of its subdirectories; its other entries are
dealt with then) and its descriptor closed. Coming back up to a parked level opens it
again as `..` of the level below it, and uses it only if it is the same directory as
before, by (st_dev, st_ino); otherwise (a sandbox moved a directory meanwhile) it is
reached again by name from the root, every step checked the same way, and the levels
that cannot be reached are given up (`incomplete`).

Every directory is opened relative to an open ancestor with O_NOFOLLOW | O_DIRECTORY |
O_NONBLOCK (`..` is never a link), so no link is followed and no FIFO blocks; the walk
is a loop, so depth meets no recursion limit. A walk holds at most 2 * (window + 1) + 1
descriptors at once, whatever the tree: see descriptors.py for the budget they come
from.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

from chatkeep.storage.descriptors import WALK_WINDOW
from chatkeep.storage.files import DIR_FLAGS

# What opening a listed directory can meet when it vanished or changed kind meanwhile.
RACED = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})

Identity = tuple[int, int]


class Level:
    """One directory on the walk's path."""

    __slots__ = ("fd", "ident", "name", "pending", "rounds")

    def __init__(self, name: str, ident: Identity, fd: int, pending: Iterator[str]) -> None:
        self.name = name  # in its parent
        self.ident = ident
        self.fd = fd  # -1 while parked
        self.pending = pending  # names of the subdirectories still to visit
        self.rounds = 0  # times it was listed again (removal.py)

    def park(self) -> None:
        """Read the rest of the listing (handling its entries now), then close."""
        self.pending = iter(list(self.pending))
        os.close(self.fd)
        self.fd = -1

    def relist(self, pending: Iterator[str]) -> None:
        """List the (open) directory again from `pending`."""
        _stop(self.pending)
        self.pending = pending

    def close(self) -> None:
        """Close its listing and descriptor, if open."""
        _stop(self.pending)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Walk:
    """A depth-first walk from `root_fd` (not closed; the walk works on a duplicate).

    Subclasses define `listing` (deal with a directory's entries, yield the names of its
    subdirectories) and may act on opening (`open_dir`), entering (`entered`) and
    leaving (`leaving`) a directory. `run` raises what those raise, with every
    descriptor of the walk closed.
    """

    def __init__(self, root_fd: int, *, window: int = WALK_WINDOW) -> None:
        self.incomplete = False
        self._window = window
        top = os.dup(root_fd)
        try:
            info = os.fstat(top)
            self._levels = [Level("", (info.st_dev, info.st_ino), top, self.top_listing(top))]
        except BaseException:
            os.close(top)
            raise
        self._lowest = 1  # the shallowest open level but the root; len(levels) if none

    # What subclasses define

    def listing(self, fd: int) -> Iterator[str]:
        """Deal with the entries of the open directory `fd` that are not directories;
        yield the names of its subdirectories, to be visited in that order."""
        raise NotImplementedError

    def top_listing(self, fd: int) -> Iterator[str]:
        """The root's listing (`fd` is the walk's duplicate of the root)."""
        return self.listing(fd)

    def open_dir(self, parent_fd: int, name: str) -> int | None:
        """The directory `name` opened, or None to pass it by."""
        return open_subdir(parent_fd, name)

    def entered(self, fd: int, info: os.stat_result) -> None:
        """Called once per directory opened below the root, with its fstat."""

    def leaving(self, parent_fd: int, level: Level) -> bool:
        """Called once the level's listing is done; False keeps it (listed again)."""
        return True

    # The walk

    def run(self) -> None:
        """Walk the whole tree, once; every descriptor of the walk is closed after."""
        levels = self._levels
        try:
            while True:
                level = levels[-1]
                name = next(level.pending, None)
                if name is not None:
                    self._descend(level.fd, name)
                elif len(levels) == 1:
                    return
                else:
                    self._ascend()
        finally:
            for level in reversed(levels):
                level.close()
            levels.clear()

    def _descend(self, parent_fd: int, name: str) -> None:
        fd = self.open_dir(parent_fd, name)
        if fd is None:
            return
        try:
            info = os.fstat(fd)
            self.entered(fd, info)
        except BaseException:
            os.close(fd)
            raise
        levels = self._levels
        levels.append(Level(name, (info.st_dev, info.st_ino), fd, self.listing(fd)))
        if len(levels) - self._lowest > self._window:
            levels[self._lowest].park()
            self._lowest += 1

    def _ascend(self) -> None:
        levels = self._levels
        parent = len(levels) - 2
        if 0 < parent < self._lowest and not self._reopen(parent):
            return
        if self.leaving(levels[parent].fd, levels[-1]):
            levels.pop().close()
            self._lowest = min(self._lowest, len(levels))

    def _reopen(self, index: int) -> bool:
        """Open the parked level `index` again; False when the tree changed so that it
        could not be (the levels given up are gone from the stack)."""
        levels = self._levels
        try:
            fd = os.open("..", DIR_FLAGS, dir_fd=levels[index + 1].fd)
        except OSError:
            fd = -1  # its child was removed or moved meanwhile
        if fd >= 0 and _identity(fd) == levels[index].ident:
            levels[index].fd = fd
            self._lowest = index
            return True
        if fd >= 0:
            os.close(fd)
        return self._reach(index)

    def _reach(self, index: int) -> bool:
        """Open level `index` by the names from the root down, each step the directory
        it was before; else give up the levels from the first that is not."""
        levels = self._levels
        parent_fd = levels[0].fd
        for depth in range(1, index + 1):
            child = _open_same(parent_fd, levels[depth])
            if child < 0:
                self._give_up(depth, parent_fd)
                return False
            if depth > 1:
                os.close(parent_fd)
            parent_fd = child
        levels[index].fd = parent_fd
        self._lowest = index
        return True

    def _give_up(self, depth: int, parent_fd: int) -> None:
        levels = self._levels
        self.incomplete = True
        for level in reversed(levels[depth:]):
            level.close()
        del levels[depth:]
        if depth > 1:
            levels[depth - 1].fd = parent_fd
        self._lowest = max(1, depth - 1)


def open_subdir(parent_fd: int, name: str) -> int | None:
    """`name` in `parent_fd` opened as a directory, never through a link; None when it
    is gone or is not a directory (any more). Raises other OSErrors."""
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except OSError as error:
        if error.errno in RACED:
            return None
        raise


def _identity(fd: int) -> Identity:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _open_same(parent_fd: int, level: Level) -> int:
    """The level's directory opened by its name, if that is still it; else -1."""
    try:
        fd = os.open(level.name, DIR_FLAGS, dir_fd=parent_fd)
    except OSError:
        return -1
    if _identity(fd) != level.ident:
        os.close(fd)
        return -1
    return fd


def _stop(pending: Iterator[str]) -> None:
    close = getattr(pending, "close", None)  # a generator's listing holds a descriptor
    if close is not None:
        close()
