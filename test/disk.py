"""What is on disk, counted the way the contract counts usage, for tests to compare; and
trees of any depth or width, built the way a sandbox would leave them.

The counting here is deliberately not the service's walk: one descriptor per level,
whole listings read at once, no window. Paths are never joined, so depth is no limit
(a path 5,000 levels deep is past PATH_MAX, and os.walk silently skips what it cannot
reach).
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class OnDisk:
    bytes: int  # of regular files, each inode once
    entries: int  # files of every kind and directories below the top, each inode once
    depth: int  # directories on the longest path below the top


def on_disk(directory: Path) -> OnDisk:
    """What is below `directory`, links not followed, each inode once."""
    files: dict[tuple[int, int], int] = {}  # inode: bytes if a regular file, else 0
    directories = depth = 0
    stack = [os.open(directory, DIR_FLAGS)]
    pending: list[list[str]] = []
    try:
        pending.append(_subdirs_after_noting_files(stack[0], files))
        while stack:
            if not pending[-1]:
                os.close(stack.pop())
                pending.pop()
                continue
            stack.append(os.open(pending[-1].pop(), DIR_FLAGS, dir_fd=stack[-1]))
            directories += 1
            depth = max(depth, len(stack) - 1)
            pending.append(_subdirs_after_noting_files(stack[-1], files))
    finally:
        for fd in stack:
            os.close(fd)
    return OnDisk(sum(files.values()), directories + len(files), depth)


def _subdirs_after_noting_files(fd: int, files: dict[tuple[int, int], int]) -> list[str]:
    subdirs = []
    with os.scandir(fd) as listing:
        for entry in listing:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                subdirs.append(entry.name)
            else:
                size = info.st_size if stat.S_ISREG(info.st_mode) else 0
                files[(info.st_dev, info.st_ino)] = size
    return subdirs


def regular_file_bytes(directory: Path) -> int:
    """Bytes of the regular files under `directory`, links not followed, each inode once."""
    return on_disk(directory).bytes


def make_chain(directory: Path, depth: int, leaf: bytes = b"", name: str = "d") -> None:
    """`depth` directories nested in `directory` (made if missing), each named `name`,
    and a file `leaf` holding `leaf` in the deepest."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, DIR_FLAGS)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        write_file(fd, "leaf", leaf)
    finally:
        os.close(fd)


def make_wide(directory: Path, count: int, size: int = 0) -> None:
    """`count` files f0 … in `directory` (made if missing), each `size` bytes long but
    sparse: no data block to write back or free, so that a wide tree is quick to make
    and to remove on a busy disk, while usage still counts its bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, DIR_FLAGS)
    try:
        for index in range(count):
            file = os.open(f"f{index}", FILE_FLAGS, 0o644, dir_fd=fd)
            try:
                if size:
                    os.ftruncate(file, size)
            finally:
                os.close(file)
    finally:
        os.close(fd)


def write_file(dir_fd: int, name: str, content: bytes) -> None:
    fd = os.open(name, FILE_FLAGS, 0o644, dir_fd=dir_fd)
    try:
        if content:
            os.write(fd, content)
    finally:
        os.close(fd)


def remove_tree(path: Path) -> None:
    """Remove `path` whatever its depth, for a test's clean-up. shutil.rmtree recurses
    (RecursionError past ~1,000 levels), and pytest removes old temporary directories
    with it: a deep tree left in one would break a later test session's start."""
    subprocess.run(["rm", "-rf", "--", str(path)], check=True)


def remove_deep_trees(directory: Path, depth: int = 500) -> None:
    """remove_tree each entry of `directory` that holds anything `depth` levels down."""
    for entry in directory.iterdir():
        deep = subprocess.run(
            ["find", str(entry), "-mindepth", str(depth), "-print", "-quit"],
            capture_output=True,
            text=True,
        )
        if deep.stdout:
            remove_tree(entry)


@contextmanager
def built_chains(base: Path, depths: list[int], leaf: bytes) -> Iterator[dict[int, Path]]:
    """One chain of directories per depth under `base`, `leaf` in a file at its bottom, by
    depth; whatever is left of them is removed afterwards."""
    for depth in depths:
        make_chain(base / str(depth), depth, leaf)
    try:
        yield {depth: base / str(depth) for depth in depths}
    finally:
        remove_tree(base)


class FailingRmdir:
    """`os`, except that rmdir of `name` fails with EPERM (as for an immutable one)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(os, attribute)

    def rmdir(self, path: str, *, dir_fd: int | None = None) -> None:
        if path == self.name:
            raise OSError(errno.EPERM, "injected", path)
        os.rmdir(path, dir_fd=dir_fd)
