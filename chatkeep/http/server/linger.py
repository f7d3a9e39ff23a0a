"""Lingering close: a response sent before the request body was read (a 413, say) reaches a
client that is still sending. Closing at once with unread bytes makes the kernel send a
reset, which can destroy the answer before the client reads it; so, as nginx does, the
write side is shut after the answer and what still arrives is read and dropped for a while."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

LINGER_SECONDS = 5.0
LINGER_BYTES = 64 * 1024 * 1024


class LingerOnClose:
    """Stands in for the transport in uvicorn's request cycle; its `close` lingers while the
    request body is still arriving."""

    def __init__(self, transport: asyncio.Transport, body_pending: Callable[[], bool]) -> None:
        self._transport = transport
        self._body_pending = body_pending
        self.lingering = False
        self._dropped = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def close(self) -> None:
        """Close the connection; while the client may still be sending a refused body, half-close
        first and drop what arrives for LINGER_SECONDS, so that it reads the answer, not a reset."""
        if self.lingering or not self._body_pending() or not self._transport.can_write_eof():
            self._transport.close()
            return
        self.lingering = True
        self._transport.write_eof()
        self._transport.resume_reading()
        asyncio.get_running_loop().call_later(LINGER_SECONDS, self._transport.close)

    def drop(self, data: bytes) -> None:
        """Reads and forgets what a lingering connection still receives, within bounds."""
        self._dropped += len(data)
        if self._dropped > LINGER_BYTES:
            self._transport.close()
