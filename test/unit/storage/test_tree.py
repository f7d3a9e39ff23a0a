from __future__ import annotations

import os
from pathlib import Path

from chatkeep.storage.tree import DIR_FLAGS, regular_file_bytes, remove_entry


def count(path: Path) -> int:
    fd = os.open(path, DIR_FLAGS)
    try:
        return regular_file_bytes(fd)
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    parent = os.open(path.parent, DIR_FLAGS)
    try:
        remove_entry(parent, path.name)
    finally:
        os.close(parent)


def test_counts_regular_files_once_and_never_follows_links(tmp_path: Path) -> None:
    """Hard links count once, symlinks and FIFOs not at all, subdirectories fully."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big").write_bytes(b"x" * 1000)
    top = tmp_path / "top"
    (top / "a" / "b").mkdir(parents=True)
    (top / "one").write_bytes(b"1" * 10)
    os.link(top / "one", top / "a" / "one-again")
    (top / "a" / "b" / "deep").write_bytes(b"d" * 5)
    (top / "to-outside").symlink_to(outside)
    (top / "to-big").symlink_to(outside / "big")
    os.mkfifo(top / "fifo")
    with open(top / "sparse", "wb") as sparse:
        sparse.truncate(1 << 30)
    assert count(top) == 10 + 5 + (1 << 30)


def test_deep_tree_is_counted_and_removed_without_recursion_limits(tmp_path: Path) -> None:
    """A tree deeper than Python's recursion limit is still counted and removed."""
    top = tmp_path / "top"
    top.mkdir()
    fd = os.open(top, DIR_FLAGS)
    try:
        for _ in range(1100):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("leaf", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "wb") as leaf:
            leaf.write(b"leaf")
    finally:
        os.close(fd)
    assert count(top) == 4
    remove(top)
    assert not top.exists()


def test_remove_entry_unlinks_links_and_keeps_their_targets(tmp_path: Path) -> None:
    """Removing a tree unlinks symlinks inside it; what they point to survives."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_bytes(b"keep")
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "link").symlink_to(outside)
    (top / "file-link").symlink_to(outside / "keep")
    os.mkfifo(top / "sub" / "fifo")
    remove(top)
    remove(tmp_path / "missing")  # absent entries are fine
    assert not top.exists()
    assert (outside / "keep").read_bytes() == b"keep"


def test_wide_directory_holds_few_descriptors(tmp_path: Path) -> None:
    """Thousands of sibling directories are counted and removed without opening them
    all at once (the process allows fewer descriptors than there are siblings)."""
    import resource

    top = tmp_path / "wide"
    top.mkdir()
    for index in range(3000):
        (top / f"d{index}").mkdir()
        (top / f"d{index}" / "f").write_bytes(b"x")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    already_open = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (already_open + 200, hard))
    try:
        assert count(top) == 3000
        remove(top)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert not top.exists()
