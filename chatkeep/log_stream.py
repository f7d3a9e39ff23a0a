"""The stream the access log writes to: each line is written whole, and the lines of one
event-loop iteration go out in one write, at its end.

Under load, one iteration of the loop finishes many requests; a write(2) per access line
was a third of the access log's cost (docs/021-operations.md). The lines wait at most
until the loop's next turn, microseconds, never for a timer; a write from outside a
running loop goes out at once."""

from __future__ import annotations

import asyncio
import atexit
from typing import BinaryIO


class LoopBatchedStream:
    """A binary stream for structlog's BytesLogger, in front of `raw`: `write` keeps the
    bytes, `flush` has them written and flushed once the running loop's iteration ends.
    For the event loop's thread only (the access log is written there)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._pending = bytearray()
        self._scheduled = False
        atexit.register(self.drain)  # lines of the last iteration, should the loop stop

    def write(self, data: bytes) -> int:
        """Keeps `data` (whole lines) for the next drain; answers its length."""
        self._pending += data
        return len(data)

    def flush(self) -> None:
        """Has what is kept written at the end of the running loop's iteration, or now
        when no loop runs in this thread."""
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.drain()
            return
        self._scheduled = True
        loop.call_soon(self.drain)

    def drain(self) -> None:
        """Writes and flushes what is pending, now."""
        self._scheduled = False
        if self._pending:
            data = bytes(self._pending)
            self._pending.clear()
            self._raw.write(data)
            self._raw.flush()
