"""Zero-copy responses: the bytes of an open file go to the socket with `sendfile(2)`, as
nginx sends them, instead of being read into Python and written back out.

The server protocol offers it to the application as the ASGI extension `SENDFILE`: an
awaitable `send(fd, offset, count)` that writes after the response head. The copying runs
in a worker thread on duplicates of both descriptors, which the thread closes itself, so
that neither number can be reused for another file while the thread still writes."""

from __future__ import annotations

import asyncio
import os
import select
import threading
from collections.abc import Awaitable, Callable
from functools import partial

import anyio.to_thread

SENDFILE = "chatkeep.sendfile"
CHUNK_BYTES = 8 * 1024 * 1024

SendFile = Callable[[int, int, int], Awaitable[None]]


class TransferStopped(Exception):
    """The client went away or stopped reading: the connection is to be dropped. `sent`
    bytes had gone out before (for the access log)."""

    def __init__(self, message: str = "", sent: int = 0) -> None:
        super().__init__(message)
        self.sent = sent


async def send_file(
    transport: asyncio.Transport, fd: int, offset: int, count: int, idle_seconds: float
) -> int:
    """Send `count` bytes of `fd` from `offset`; answer how many went out. Raises
    TransferStopped when the client goes away or stops reading for `idle_seconds`."""
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
    blocking = partial(_send, socket_fd, file_fd, offset, count, idle_seconds, stop)
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
) -> int:
    sent = 0
    poller = select.poll()
    poller.register(socket_fd, select.POLLOUT)
    try:
        while sent < count and not stop.is_set():
            try:
                done = os.sendfile(
                    socket_fd, file_fd, offset + sent, min(CHUNK_BYTES, count - sent)
                )
            except BlockingIOError:
                if not poller.poll(idle_seconds * 1000):
                    message = f"the client read nothing for {idle_seconds} s"
                    raise TransferStopped(message, sent) from None
                continue
            except OSError as error:
                raise TransferStopped(str(error), sent) from None
            if done == 0:
                raise TransferStopped("the file got shorter while it was being sent", sent)
            sent += done
        return sent
    finally:
        os.close(socket_fd)
        os.close(file_fd)
