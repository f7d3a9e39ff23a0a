"""A request body received before it is published: in memory while small, else a temp file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import TYPE_CHECKING

import anyio.to_thread

from chatkeep.storage.files import disk_full_is_domain_error, write_all

if TYPE_CHECKING:
    from chatkeep.usecase.ports.quota import Reservation

COPY_CHUNK = 1024 * 1024
# A body this small stays in memory until it is published.
MEMORY_SPOOL_BYTES = 1024 * 1024
FLUSH_BYTES = 1024 * 1024
TEMP_FILE_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Spool:
    def __init__(self, temp_dir_fd: int, memory_limit: int, *, hashed: bool = False) -> None:
        self._temp_dir_fd = temp_dir_fd
        self._hash = hashlib.sha256() if hashed else None
        self._memory_limit = memory_limit
        self._buffer = bytearray()
        self._pending = bytearray()
        self._fd: int | None = None
        self._name: str | None = None
        self.size = 0

    async def write(self, chunk: bytes) -> None:
        """Keep `chunk`: in memory up to the limit, then in the temp file. Raises
        InsufficientStorageError on a full disk."""
        self.size += len(chunk)
        if self._fd is None and self.size <= self._memory_limit:
            self._buffer += chunk
            if self._hash is not None:
                self._hash.update(chunk)
            return
        self._pending += chunk
        if len(self._pending) >= FLUSH_BYTES:
            await self.flush()

    async def flush(self) -> None:
        """Write what is pending to the temp file: one thread hop per FLUSH_BYTES, not per
        chunk the client happened to send."""
        if self._pending:
            pending, self._pending = self._pending, bytearray()
            await anyio.to_thread.run_sync(partial(self._write_to_file, pending))

    @property
    def on_disk(self) -> bool:
        """Whether the body went to a temp file (too large for memory)."""
        return self._fd is not None

    def sha256(self) -> str:
        """The hex sha256 of the bytes written, for a spool made to hash."""
        assert self._hash is not None
        return self._hash.hexdigest()

    def _write_to_file(self, chunk: bytes | bytearray) -> None:
        # Hashing here, off the event loop, overlaps it with receiving the next chunk.
        if self._hash is not None:
            self._hash.update(chunk)
        with disk_full_is_domain_error():
            if self._fd is None:
                self._fd, self._name = create_temp_file(self._temp_dir_fd)
                write_all(self._fd, self._buffer)
                self._buffer = bytearray()
            write_all(self._fd, chunk)

    def copy_to(self, fd: int) -> None:
        """Write every byte received to `fd` (blocking: run it in a worker thread)."""
        if self._fd is None:
            write_all(fd, self._buffer)
            return
        offset = 0
        while offset < self.size:
            # pread + write: copy_file_range refuses an O_APPEND destination.
            chunk = os.pread(self._fd, min(COPY_CHUNK, self.size - offset), offset)
            if not chunk:
                break
            write_all(fd, chunk)
            offset += len(chunk)

    def take_file(self) -> tuple[int, str] | None:
        """Hand over the temp file (fd, name in the temp dir), if the body went to disk."""
        if self._fd is None or self._name is None:
            return None
        taken = self._fd, self._name
        self._fd = self._name = None
        return taken

    def discard(self) -> None:
        """Remove the temp file, if any, and drop what is held."""
        if self._fd is not None and self._name is not None:
            discard_temp_file(self._temp_dir_fd, self._fd, self._name)
        self._fd = self._name = None
        self._buffer = bytearray()
        self._pending = bytearray()


def create_temp_file(temp_dir_fd: int) -> tuple[int, str]:
    """A new temp file, open for reading too: an append copies from it."""
    name = f"{uuid.uuid4().hex}.part"
    return os.open(name, TEMP_FILE_FLAGS, 0o666, dir_fd=temp_dir_fd), name


def discard_temp_file(temp_dir_fd: int, fd: int, name: str) -> None:
    """Blocking: close `fd` and remove the temp file `name`; a missing one is fine."""
    try:
        os.close(fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=temp_dir_fd)


async def receive(body: AsyncIterator[bytes], spool: Spool, reservation: Reservation) -> None:
    """Read `body` into `spool`, growing `reservation` before each chunk is kept. Raises
    WorkspaceQuotaExceededError, InsufficientStorageError, or what reading `body` raises;
    the caller discards the spool and releases the reservation then."""
    async for chunk in body:
        if chunk:
            await reservation.grow(len(chunk))
            await spool.write(chunk)
    await spool.flush()
