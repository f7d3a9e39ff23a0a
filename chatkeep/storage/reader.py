from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial

import anyio.to_thread

from chatkeep.storage.etag import etag_of, last_modified_of
from chatkeep.storage.files import READ_FLAGS, open_regular

READ_CHUNK_BYTES = 1024 * 1024
# Files up to this size are read whole at open: one thread hop, then from memory.
HEAD_BYTES = 256 * 1024


class FileReader:
    """A regular file opened without following links; size, ETag and Last-Modified come
    from the same descriptor as the bytes. A small file is read whole at once and closed."""

    def __init__(
        self,
        fd: int | None,
        size: int,
        etag: str,
        head: bytes | None = None,
        last_modified: datetime | None = None,
    ) -> None:
        self._fd = fd
        self._head = head
        self.size_bytes = size
        self.etag = etag
        self.last_modified = last_modified

    async def chunks(self, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        end = self.size_bytes if length is None else min(self.size_bytes, offset + length)
        if self._head is not None:
            if offset < end:
                yield self._head[offset:end]
            return
        while self._fd is not None and offset < end:
            size = min(READ_CHUNK_BYTES, end - offset)
            chunk = await anyio.to_thread.run_sync(partial(os.pread, self._fd, size, offset))
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    def fileno(self) -> int | None:
        return self._fd

    async def aclose(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def open_reader(dir_fd: int, name: str) -> FileReader | None:
    """Blocking: open `name` in `dir_fd` if it is a regular file reached without a link."""
    opened = open_regular(dir_fd, name, READ_FLAGS)
    if opened is None:
        return None
    fd, info = opened
    if info.st_size > HEAD_BYTES:
        return FileReader(fd, info.st_size, etag_of(info), last_modified=last_modified_of(info))
    try:
        head = os.pread(fd, info.st_size, 0)
    finally:
        os.close(fd)
    return FileReader(None, len(head), etag_of(info), head, last_modified_of(info))
