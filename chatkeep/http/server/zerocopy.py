"""Zero-copy responses: the bytes of an open file go to the socket with `sendfile(2)`, as
nginx sends them, instead of being read into Python and written back out.

The server protocol offers it to the application as the ASGI extension `SENDFILE`: an
awaitable `send(fd, offset, count, version_check)` that writes after the response head. The
copying runs in a worker thread on duplicates of both descriptors, which the thread closes
itself, so that neither number can be reused for another file while the thread still writes.

With a `version_check` (an attachment: decision record 023), the end of the transfer is
copied instead, and the file's version is checked between reading its last bytes and
sending them: a file rewritten in place meanwhile aborts the response (ContentChangedError).
The copied end is as long as the kernel's socket queues can be: `sendfile` hands the socket
references to the file's cached pages, which are read when the kernel transmits them (over
loopback, when the client reads them), so a rewrite could still reach bytes sent earlier
while they wait in a queue. Once that much copied data has been queued behind them, they
have left every queue."""

from __future__ import annotations

import asyncio
import functools
import os
import select
import threading
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import anyio.to_thread

from chatkeep.domain.errors import ContentChangedError

SENDFILE = "chatkeep.sendfile"
# The protocol's other extension: `abort()` resets the connection, so that a response
# already started ends without its last bytes (a file that changed while it was read).
ABORT = "chatkeep.abort"
CHUNK_BYTES = 8 * 1024 * 1024
COPY_CHUNK_BYTES = 1024 * 1024
# Where the kernel's queue limits cannot be read (not Linux): a generous guess.
_UNKNOWN_QUEUES_BYTES = 64 * 1024 * 1024

VersionCheck = Callable[[int], bool]
SendFile = Callable[[int, int, int, VersionCheck | None], Awaitable[None]]


class TransferStopped(Exception):
    """The client went away or stopped reading: the connection is to be dropped. `sent`
    bytes had gone out before (for the access log)."""

    def __init__(self, message: str = "", sent: int = 0) -> None:
        super().__init__(message)
        self.sent = sent


@functools.cache
def copied_end_bytes() -> int:
    """How much of a checked transfer is copied rather than sent with sendfile: the most a
    connection's send queue and a local peer's receive queue can hold (Linux's autotuning
    limits and the largest SO_RCVBUF a client may set), plus the last piece."""
    try:
        send_queue = _sysctl("net/ipv4/tcp_wmem")[2]
        receive_queue = max(_sysctl("net/ipv4/tcp_rmem")[2], 2 * _sysctl("net/core/rmem_max")[0])
    except (OSError, ValueError, IndexError):
        return _UNKNOWN_QUEUES_BYTES + COPY_CHUNK_BYTES
    return send_queue + receive_queue + COPY_CHUNK_BYTES


def _sysctl(name: str) -> list[int]:
    return [int(value) for value in Path("/proc/sys", name).read_text().split()]


async def send_file(
    transport: asyncio.Transport,
    fd: int,
    offset: int,
    count: int,
    idle_seconds: float,
    version_check: VersionCheck | None = None,
) -> int:
    """Send `count` bytes of `fd` from `offset`; answer how many went out. Raises
    TransferStopped when the client goes away or reads nothing for `idle_seconds`, and
    ContentChangedError when `version_check` finds the file moved before its last bytes."""
    # The head is still in the transport's buffer, and must reach the socket first.
    while transport.get_write_buffer_size():
        if transport.is_closing():
            raise TransferStopped
        await asyncio.sleep(0.001)
    if transport.is_closing():
        raise TransferStopped
    socket_fd = os.dup(transport.get_extra_info("socket").fileno())
    file_fd = os.dup(fd)
    stop = threading.Event()
    blocking = partial(_send, socket_fd, file_fd, offset, count, idle_seconds, stop, version_check)
    try:
        return await anyio.to_thread.run_sync(blocking, abandon_on_cancel=True)
    finally:
        stop.set()


def _send(
    socket_fd: int,
    file_fd: int,
    offset: int,
    count: int,
    idle_seconds: float,
    stop: threading.Event,
    version_check: VersionCheck | None,
) -> int:
    sent = 0
    poller = select.poll()
    poller.register(socket_fd, select.POLLOUT)
    zero_copy = count if version_check is None else max(0, count - copied_end_bytes())
    try:
        while sent < zero_copy and not stop.is_set():
            try:
                done = os.sendfile(
                    socket_fd, file_fd, offset + sent, min(CHUNK_BYTES, zero_copy - sent)
                )
            except BlockingIOError:
                _wait_writable(poller, idle_seconds, sent)
                continue
            except OSError as error:
                raise TransferStopped(str(error), sent) from None
            if done == 0:
                raise TransferStopped("the file got shorter while it was being sent", sent)
            sent += done
        while sent < count and not stop.is_set():
            size = min(COPY_CHUNK_BYTES, count - sent)
            try:
                piece = os.pread(file_fd, size, offset + sent)
            except OSError as error:  # ESTALE above all: another client replaced the file
                raise ContentChangedError("the file changed while it was being sent") from error
            last = sent + size == count
            if len(piece) < size or (last and version_check and not version_check(file_fd)):
                raise ContentChangedError("the file changed while it was being sent")
            _write_all(socket_fd, piece, poller, idle_seconds, stop, sent)
            sent += size
        return sent
    finally:
        os.close(socket_fd)
        os.close(file_fd)


def _write_all(
    socket_fd: int,
    data: bytes,
    poller: select.poll,
    idle_seconds: float,
    stop: threading.Event,
    sent_before: int,
) -> None:
    view = memoryview(data)
    while view and not stop.is_set():
        sent = sent_before + len(data) - len(view)
        try:
            view = view[os.write(socket_fd, view) :]
        except BlockingIOError:
            _wait_writable(poller, idle_seconds, sent)
        except OSError as error:
            raise TransferStopped(str(error), sent) from None


def _wait_writable(poller: select.poll, idle_seconds: float, sent: int) -> None:
    if not poller.poll(idle_seconds * 1000):
        raise TransferStopped(f"the client read nothing for {idle_seconds} s", sent)
