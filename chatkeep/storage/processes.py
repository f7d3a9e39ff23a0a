"""Scratch directories of one process, for several processes sharing a data directory.

    <data>/tmp/proc-<id>/             this process's bodies being received, trees being deleted
    <data>/journal/proc-<id>/         this process's append intents
    <data>/processes/proc-<id>.lock   flock'ed for the life of the process

A process never touches another live process's directories. At start-up, a process
whose lock can be taken is dead: its journal is recovered and its directories go.
Start-up itself is serialised by `processes/startup.lock`, so that no process can see
another's directories half made.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.removal import remove_leftover

PREFIX = "proc-"
STARTUP_LOCK = "startup.lock"
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class ProcessDirs:
    """Descriptors of this process's directories; the lock's is held until closed."""

    tmp_fd: int
    journal_fd: int
    lock_fd: int


@contextlib.contextmanager
def startup_lock(locks_fd: int) -> Iterator[None]:
    """Blocking: held while a process starts (recovers dead processes' leftovers), one at a time."""
    fd = os.open(STARTUP_LOCK, _LOCK_FLAGS, 0o600, dir_fd=locks_fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def is_process_entry(name: str) -> bool:
    """Whether `name` is a directory of one process's own (below tmp/ and journal/ of a
    shared storage)."""
    return name.startswith(PREFIX)


def recover_dead(
    locks_fd: int, tmp_root_fd: int, journal_root_fd: int, recover: Callable[[int], None]
) -> int:
    """Recover the journal of every dead process (`recover` gets its journal directory)
    and remove its directories; answer how many there were. Call under startup_lock."""
    dead = 0
    for name in os.listdir(locks_fd):
        if not (name.startswith(PREFIX) and name.endswith(".lock")):
            continue
        lock_fd = os.open(name, _LOCK_FLAGS, 0o600, dir_fd=locks_fd)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            continue  # alive
        try:
            process = name.removesuffix(".lock")
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                journal_fd = os.open(process, DIR_FLAGS, dir_fd=journal_root_fd)
                try:
                    recover(journal_fd)
                finally:
                    os.close(journal_fd)
            # What a dead process left is logged and kept if it cannot go: the start goes on.
            remove_leftover(journal_root_fd, process, "journal")
            remove_leftover(tmp_root_fd, process, "tmp")
            os.unlink(name, dir_fd=locks_fd)
            dead += 1
        finally:
            os.close(lock_fd)
    return dead


def claim(locks_fd: int, tmp_root_fd: int, journal_root_fd: int) -> ProcessDirs:
    """Make and lock this process's directories. Call under startup_lock."""
    process = f"{PREFIX}{uuid.uuid4().hex}"
    lock_fd = os.open(f"{process}.lock", _LOCK_FLAGS | os.O_EXCL, 0o600, dir_fd=locks_fd)
    fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.mkdir(process, 0o700, dir_fd=tmp_root_fd)
    os.mkdir(process, 0o700, dir_fd=journal_root_fd)
    return ProcessDirs(
        os.open(process, DIR_FLAGS, dir_fd=tmp_root_fd),
        os.open(process, DIR_FLAGS, dir_fd=journal_root_fd),
        lock_fd,
    )
