"""Reading a regular file of a chat directory for a response: size, ETag, Last-Modified
and bytes from one open descriptor, and, for attachments, a guard against serving bytes of
two versions when a sandbox rewrites the file in place (decision record 023)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial

import anyio.to_thread

from chatkeep.domain.errors import ContentChangedError
from chatkeep.storage.etag import etag_of, last_modified_of
from chatkeep.storage.files import READ_FLAGS, open_regular
from chatkeep.storage.stale import is_stale

READ_CHUNK_BYTES = 1024 * 1024
# Files up to this size are read whole at open: one thread hop, then from memory.
HEAD_BYTES = 256 * 1024
# Reads of a small file that keeps changing under them before it is served from a
# descriptor instead, where the last read is checked.
HEAD_ATTEMPTS = 3

# What the ETag is made of: a file whose signature is unchanged has the version opened.
Signature = tuple[int, int, int, int]


def signature_of(info: os.stat_result) -> Signature:
    """The version of a file as `etag_of` sees it: inode, size, mtime, ctime."""
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def same_version(signature: Signature, fd: int) -> bool:
    """Blocking: whether the file open as `fd` still has the version `signature` names;
    False when the handle went stale (another client replaced or removed the file)."""
    try:
        return signature_of(os.fstat(fd)) == signature
    except OSError as error:
        if is_stale(error):
            return False
        raise


class FileReader:
    """A regular file opened without following links; size, ETag and Last-Modified come
    from the same descriptor as the bytes. A small file is read whole at once and closed.

    A `guarded` reader (an attachment's) never yields its last bytes when the file moved
    since it was opened: `chunks` raises ContentChangedError instead, and `version_check`
    lets a zero-copy sender make the same check. A history is not guarded: appends move
    its validator without touching the bytes served."""

    def __init__(
        self,
        fd: int | None,
        size: int,
        etag: str,
        head: bytes | None = None,
        last_modified: datetime | None = None,
        signature: Signature | None = None,
    ) -> None:
        self._fd = fd
        self._head = head
        self._signature = signature
        self.size_bytes = size
        self.etag = etag
        self.last_modified = last_modified

    async def chunks(self, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """See FileReader.chunks (the port); reads run in a worker thread."""
        end = self.size_bytes if length is None else min(self.size_bytes, offset + length)
        if self._head is not None:
            if offset < end:
                yield self._head[offset:end]
            return
        while self._fd is not None and offset < end:
            size = min(READ_CHUNK_BYTES, end - offset)
            read = partial(_read, self._fd, size, offset, offset + size >= end, self._signature)
            chunk = await anyio.to_thread.run_sync(read)
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    def fileno(self) -> int | None:
        """The open descriptor; None once closed or when the bytes are held in memory."""
        return self._fd

    def version_check(self) -> Callable[[int], bool] | None:
        """The port's: `same_version` bound to the version opened, for a guarded reader
        serving from its descriptor; else None."""
        if self._fd is None or self._signature is None:
            return None
        return partial(same_version, self._signature)

    async def aclose(self) -> None:
        """Close the descriptor; safe to call again."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _read(fd: int, size: int, offset: int, last: bool, signature: Signature | None) -> bytes:
    """Blocking: `size` bytes at `offset`. For a guarded reader, a short read, or a last
    read after which the file is no longer the version opened, raises ContentChangedError:
    every byte served was read before that check, so none is of a later version."""
    try:
        chunk = os.pread(fd, size, offset)
    except OSError as error:
        if is_stale(error):  # another client replaced or removed the file being served
            raise ContentChangedError("the file was replaced while it was being read") from error
        raise
    if signature is not None and (len(chunk) < size or (last and not same_version(signature, fd))):
        raise ContentChangedError("the file changed while it was being read")
    return chunk


def open_reader(dir_fd: int, name: str, *, guarded: bool = False) -> FileReader | None:
    """Blocking: open `name` in `dir_fd` if it is a regular file reached without a link.

    A small file is read whole now; `guarded`, it is read again while it changes under
    the read (HEAD_ATTEMPTS times, then it is served from its descriptor like a large
    one), so that its bytes, size and ETag are of one version."""
    opened = open_regular(dir_fd, name, READ_FLAGS)
    if opened is None:
        return None
    fd, info = opened
    try:
        for _ in range(HEAD_ATTEMPTS):
            if info.st_size > HEAD_BYTES:
                break
            head = os.pread(fd, info.st_size, 0)
            if not guarded:
                return _in_memory(fd, head, info)
            settled = os.fstat(fd)
            if signature_of(settled) == signature_of(info) and len(head) == info.st_size:
                return _in_memory(fd, head, info)
            info = settled  # it changed while it was read: read the new version
    except BaseException:
        os.close(fd)
        raise
    signature = signature_of(info) if guarded else None
    return FileReader(fd, info.st_size, etag_of(info), None, last_modified_of(info), signature)


def _in_memory(fd: int, head: bytes, info: os.stat_result) -> FileReader:
    os.close(fd)
    return FileReader(None, len(head), etag_of(info), head, last_modified_of(info))
