"""The process's budget of file descriptors for walking directories.

A sandbox decides how deep and how wide its tree is; the descriptors that walking it
takes must not depend on that, and walks running side by side must not together take
the descriptors that connections, downloads and the database need (contract, Version
1.1, "Hostile trees and resource limits"). Every walk therefore takes a fixed grant
from one budget per process before it opens anything, and holds at most that many
descriptors until it gives the grant back. A grant is taken whole, in the order asked
(first come, first served), so walks neither deadlock on each other nor starve a
larger grant behind smaller ones.
"""

from __future__ import annotations

import resource
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

# Open directory levels a walk keeps below its root; deeper levels are closed and opened
# again on the way back up (walk.py). Trees up to this deep cost no reopening.
WALK_WINDOW = 8
# A walk's grant: its root and each open level hold a directory descriptor and the
# listing's own (os.scandir duplicates the descriptor it is given), plus one opened
# for a moment while stepping down, up or changing a mode.
WALK_DESCRIPTORS = 2 * (WALK_WINDOW + 1) + 2
# Listing one directory without descending into it.
LISTING_DESCRIPTORS = 2
# Walks get this share of the process's limit; the rest is for connections, files being
# served and received, and the metadata store.
LIMIT_SHARE = 4
# Past this, a limit is as good as unlimited: no machine runs that many walks at once.
_LARGEST_BUDGET = 1 << 16


class DescriptorBudget:
    """Descriptors that walks may hold at once, shared by every thread of the process."""

    def __init__(self, size: int) -> None:
        if size < WALK_DESCRIPTORS:
            raise ValueError(f"a budget needs room for one walk ({WALK_DESCRIPTORS})")
        self.size = size
        self._free = size
        self._peak = 0
        self._queue: deque[object] = deque()
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        """Descriptors granted now."""
        with self._changed:
            return self.size - self._free

    @property
    def peak(self) -> int:
        """The most descriptors granted at once since this budget was made."""
        with self._changed:
            return self._peak

    @contextmanager
    def take(self, count: int) -> Iterator[None]:
        """Hold `count` descriptors (at most the whole budget) for the `with` block,
        blocking the calling thread until they are free and every earlier request was
        served. Never take a second grant while holding one: that can deadlock."""
        count = min(count, self.size)
        turn = object()
        with self._changed:
            self._queue.append(turn)
            while self._queue[0] is not turn or self._free < count:
                self._changed.wait()
            self._queue.popleft()
            self._free -= count
            self._peak = max(self._peak, self.size - self._free)
            self._changed.notify_all()  # the next in line may fit too
        try:
            yield
        finally:
            with self._changed:
                self._free += count
                self._changed.notify_all()


def size_for_limit(soft_limit: int) -> int:
    """The budget, in descriptors, for a process allowed `soft_limit` of them (the soft
    RLIMIT_NOFILE; RLIM_INFINITY for none): a quarter, at least one walk's grant, at
    most 65,536."""
    if soft_limit == resource.RLIM_INFINITY or soft_limit > _LARGEST_BUDGET * LIMIT_SHARE:
        return _LARGEST_BUDGET
    return max(WALK_DESCRIPTORS, soft_limit // LIMIT_SHARE)


_shared: DescriptorBudget | None = None
_making = threading.Lock()


def shared_budget() -> DescriptorBudget:
    """The process's budget, sized from RLIMIT_NOFILE when first asked for (after the
    server has raised its soft limit to the hard one: cli.py)."""
    global _shared
    with _making:
        if _shared is None:
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            _shared = DescriptorBudget(size_for_limit(soft))
        return _shared
