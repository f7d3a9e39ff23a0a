"""Measuring trees a sandbox may plant: every byte at any depth, entries counted once,
no link followed, a fixed number of descriptors."""

from __future__ import annotations

import os
import random
import resource
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatkeep.storage.descriptors import WALK_DESCRIPTORS, DescriptorBudget
from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.tree import TreeSize, measure
from chatkeep.storage.walk import Walk
from test.disk import built_chains, make_chain, make_wide, on_disk, remove_tree

DEPTHS = [1, 2047, 2048, 2049, 5000]
LEAF = b"leaf bytes"


def size_of(path: Path, **options: int) -> TreeSize:
    fd = os.open(path, DIR_FLAGS)
    try:
        return measure(fd, **options)  # type: ignore[arg-type]
    finally:
        os.close(fd)


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Path]]:
    """One chain of directories per depth, a 10-byte file at its bottom; built once."""
    with built_chains(tmp_path_factory.mktemp("chains"), DEPTHS, LEAF) as built:
        yield built


@pytest.mark.parametrize("depth", DEPTHS)
def test_every_byte_counts_at_any_depth(chains: dict[int, Path], depth: int) -> None:
    """The file at the bottom of a chain counts, however deep (at 2,048 and past it the
    old walk stopped descending and skipped it); every directory is an entry."""
    assert size_of(chains[depth]) == TreeSize(len(LEAF), depth + 1)


def test_counts_each_inode_once_and_never_follows_links(tmp_path: Path) -> None:
    """Hard links count once, symlinks, FIFOs and sockets as entries without bytes,
    subdirectories fully, a sparse file at its apparent size."""
    outside = tmp_path / "outside"
    make_wide(outside, 3, 1000)
    top = tmp_path / "top"
    (top / "a" / "b").mkdir(parents=True)
    (top / "one").write_bytes(b"1" * 10)
    os.link(top / "one", top / "a" / "one-again")
    (top / "a" / "b" / "deep").write_bytes(b"d" * 5)
    (top / "to-outside").symlink_to(outside)
    (top / "to-big").symlink_to(outside / "f0")
    os.mkfifo(top / "fifo")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(top / "sock"))
    with open(top / "sparse", "wb") as sparse:
        sparse.truncate(1 << 30)
    # a, b; one, deep, to-outside, to-big, fifo, sock, sparse
    assert size_of(top) == TreeSize(10 + 5 + (1 << 30), 2 + 7)


def random_tree(top: Path, seed: int) -> None:
    """A spine 30 directories deep with up to 200 more directories branching off it at
    random, files and hard links scattered in them."""
    chooser = random.Random(seed)
    stack = [(top, 0)]
    made: list[Path] = []
    room = 200
    while stack:
        directory, depth = stack.pop()
        directory.mkdir()
        for index in range(chooser.randint(0, 3)):
            made.append(directory / f"f{index}")
            made[-1].write_bytes(b"x" * chooser.randint(0, 50))
        if made and chooser.random() < 0.2:
            os.link(chooser.choice(made), directory / "link")
        if (directory.name == "spine" or directory == top) and depth < 30:
            stack.append((directory / "spine", depth + 1))
        branches = min(room, chooser.choice([0, 0, 1, 2, 3]))
        room -= branches
        stack.extend((directory / f"d{index}", depth + 1) for index in range(branches))


@pytest.mark.parametrize("window", [1, 2, 8])
@pytest.mark.parametrize("seed", range(4))
def test_a_small_window_counts_what_a_plain_walk_counts(
    tmp_path: Path, window: int, seed: int
) -> None:
    """Branching trees deeper than the window of open levels: parking levels and
    opening them again as `..` loses nothing and counts nothing twice."""
    random_tree(tmp_path / "tree", seed)
    expected = on_disk(tmp_path / "tree")
    assert expected.depth > window
    assert size_of(tmp_path / "tree", window=window) == TreeSize(expected.bytes, expected.entries)


class MovingOnce(Walk):
    """Lists subdirectories only; before opening the `nth` one, runs `move`."""

    def __init__(self, root_fd: int, nth: int, move: Callable[[], None], window: int) -> None:
        self.nth, self.move = nth, move
        self.visited: list[str] = []
        super().__init__(root_fd, window=window)

    def listing(self, fd: int) -> Iterator[str]:
        with os.scandir(fd) as listing:
            names = sorted(e.name for e in listing if e.is_dir(follow_symlinks=False))
        yield from names

    def open_dir(self, parent_fd: int, name: str) -> int | None:
        self.visited.append(name)
        if len(self.visited) == self.nth:
            self.move()
        return super().open_dir(parent_fd, name)


def test_a_directory_replaced_during_the_walk_is_not_taken_for_the_old_one(
    tmp_path: Path,
) -> None:
    """Four levels down in top/a/d/d/d/d/d/d, with the upper levels parked, `a` is
    swapped for a new directory and `a/d` moved elsewhere (as a sandbox may): coming
    back up, neither `..` nor the name `a` leads to the directory that was walked, so
    the walk gives that part up and goes on with the rest (b), without an error."""
    top = tmp_path / "top"
    make_chain(top / "a", 6)
    (top / "b").mkdir()

    def swap() -> None:
        os.rename(top / "a", tmp_path / "old-a")
        (top / "a").mkdir()
        os.rename(tmp_path / "old-a" / "d", tmp_path / "moved")

    open_before = len(os.listdir("/proc/self/fd"))
    fd = os.open(top, DIR_FLAGS)
    try:
        untouched = MovingOnce(fd, 0, swap, window=2)
        untouched.run()
        walk = MovingOnce(fd, 5, swap, window=2)
        walk.run()
    finally:
        os.close(fd)
    assert not untouched.incomplete
    assert untouched.visited == ["a", "d", "d", "d", "d", "d", "d", "b"]
    assert walk.incomplete
    assert walk.visited == ["a", "d", "d", "d", "d", "d", "d", "b"]
    assert len(os.listdir("/proc/self/fd")) == open_before  # nothing left open


def test_a_deep_tree_takes_no_more_than_one_walks_grant(tmp_path: Path) -> None:
    """With descriptors for exactly one walk left, a 5,000-level tree is counted (the
    old walk held two descriptors a level and failed with EMFILE)."""
    make_chain(tmp_path / "deep", 5000, LEAF)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    already_open = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (already_open + WALK_DESCRIPTORS + 1, hard))
    try:
        size = size_of(tmp_path / "deep", budget=DescriptorBudget(WALK_DESCRIPTORS))  # type: ignore[arg-type]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        remove_tree(tmp_path / "deep")
    assert size == TreeSize(len(LEAF), 5001)
