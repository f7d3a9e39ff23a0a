"""Time of tree walks and removals on the shapes a sandbox can leave, and the descriptors
that walks side by side hold.

Builds, in a throwaway directory, a flat directory of 100,000 empty files and a chain
5,000 directories deep; times `measure` (the usage walk of a rescan) and a counted
`remove_entry` (what DELETE of a chat does after moving it to tmp/), each on a fresh
tree, the median of `--rounds`; then runs 8 walks of 2,040-level chains at once in a
budget of three walks' grants and reports the most descriptors open at once above
those open before: at most the budget plus the one each caller holds (the directory it
hands the walk, opened before the walk waits for its grant).

    python -m bench.trees [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from chatkeep.storage.descriptors import WALK_DESCRIPTORS, DescriptorBudget
from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.removal import remove_entry
from chatkeep.storage.tree import measure

FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def chain(path: Path, depth: int) -> None:
    path.mkdir()
    fd = os.open(path, DIR_FLAGS)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", DIR_FLAGS, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(os.open("leaf", FILE_FLAGS, 0o644, dir_fd=fd))
    os.close(fd)


def flat(path: Path, count: int) -> None:
    path.mkdir()
    fd = os.open(path, DIR_FLAGS)
    for index in range(count):
        os.close(os.open(f"f{index}", FILE_FLAGS, 0o644, dir_fd=fd))
    os.close(fd)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def walk_and_remove(path: Path) -> tuple[float, float]:
    fd = os.open(path, DIR_FLAGS)
    try:
        walk = timed(lambda: measure(fd))
    finally:
        os.close(fd)
    parent = os.open(path.parent, DIR_FLAGS)
    try:
        removal = timed(lambda: remove_entry(parent, path.name, counted=True))
    finally:
        os.close(parent)
    return walk, removal


def concurrent_peak(base: Path, walks: int = 8, depth: int = 2040) -> tuple[int, int, float]:
    """Open descriptors at most (above those open before) while `walks` threads each
    measure then remove a chain, in a budget of three grants; and the budget."""
    trees = [base / f"c{index}" for index in range(walks)]
    for tree in trees:
        chain(tree, depth)
    budget = DescriptorBudget(3 * WALK_DESCRIPTORS)
    before = len(os.listdir("/proc/self/fd"))
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], len(os.listdir("/proc/self/fd")) - 1 - before)
            time.sleep(0.0005)

    def work(tree: Path) -> None:
        fd = os.open(tree, DIR_FLAGS)
        try:
            measure(fd, budget=budget)
        finally:
            os.close(fd)
        parent = os.open(tree.parent, DIR_FLAGS)
        try:
            remove_entry(parent, tree.name, budget=budget)
        finally:
            os.close(parent)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(tree,)) for tree in trees]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return peak[0], budget.size, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        shapes: list[tuple[str, Callable[[Path], None]]] = [
            ("flat, 100,000 files", lambda path: flat(path, 100_000)),
            ("chain, 5,000 levels", lambda path: chain(path, 5000)),
        ]
        for label, build in shapes:
            walks: list[float] = []
            removals: list[float] = []
            for index in range(args.rounds):
                path = base / f"tree{index}"
                build(path)
                walk, removal = walk_and_remove(path)
                walks.append(walk)
                removals.append(removal)
            print(
                f"{label}: usage walk {statistics.median(walks) * 1000:.0f} ms, "
                f"counted removal {statistics.median(removals) * 1000:.0f} ms "
                f"(medians of {args.rounds})"
            )
        peak, size, elapsed = concurrent_peak(base)
        print(
            f"8 walks of 2,040-level chains at once: {peak} descriptors open at most "
            f"(budget {size}), {elapsed:.1f} s"
        )


if __name__ == "__main__":
    main()
