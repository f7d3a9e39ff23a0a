"""Finding message blocks from the end of an open history: what it reads grows with the
blocks it finds and their start markers, whatever lies before them and however long their
content; text outside blocks is read through and skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator

from chatkeep.domain.message import (
    END_MAX_BYTES,
    END_PREFIX,
    START_MAX_BYTES,
    BlockRef,
    block_at,
    end_marker_at,
)
from chatkeep.usecase.ports import FileReader

WINDOW_BYTES = 16 * 1024
# Reads are served from one buffered window: the markers and contents of recent short
# messages then cost one read of the file (one thread hop) rather than three per block.
BUFFER_BYTES = 64 * 1024


async def read_range(reader: FileReader, offset: int, length: int) -> bytes:
    """`length` bytes of the history from `offset`, fewer at its end."""
    return b"".join([chunk async for chunk in reader.chunks(offset, length)])


class BufferedReads:
    """Reads of one open history, from a window that moves backwards with the scan."""

    def __init__(self, reader: FileReader) -> None:
        self.reader = reader
        self.size_bytes = reader.size_bytes
        self._start = 0
        self._data = b""

    async def read(self, offset: int, length: int) -> bytes:
        """`length` bytes from `offset` (fewer at the end of the size opened), from the window when
        it holds them."""
        end = min(offset + length, self.size_bytes)
        if self._start <= offset and end <= self._start + len(self._data):
            return self._data[offset - self._start : end - self._start]
        if end - offset > BUFFER_BYTES:
            return await read_range(self.reader, offset, end - offset)
        self._start = max(0, end - BUFFER_BYTES)
        self._data = await read_range(self.reader, self._start, end - self._start)
        return self._data[offset - self._start :]


async def blocks_backward(reads: BufferedReads) -> AsyncIterator[BlockRef]:
    """The message blocks of the history, last first."""
    bound = reads.size_bytes  # where the region not yet accounted for ends
    scan = bound  # an end marker starting before this is still to be looked at
    while scan > 0:
        window_start = max(0, scan - WINDOW_BYTES)
        window_end = min(bound, scan + END_MAX_BYTES)
        window = await reads.read(window_start, window_end - window_start)
        found = window.rfind(END_PREFIX, 0, scan - window_start)
        if found < 0:
            scan = window_start
            continue
        position = window_start + found
        block = await _block_ending_at(reads, window, found, position, bound)
        if block is None:
            scan = position
        else:
            yield block
            bound = scan = block.start


async def _block_ending_at(
    reads: BufferedReads, window: bytes, found: int, position: int, bound: int
) -> BlockRef | None:
    marker = end_marker_at(window, found)
    if marker is None:
        return None
    seq, offset = marker
    marker_bytes = window.index(b"\n", found) + 1 - found
    start = position - offset
    if position + marker_bytes > bound or start < 0:
        return None
    before = window[found - 1 : found] if found else await reads.read(position - 1, 1)
    if before != b"\n":
        return None
    head = await reads.read(start, min(START_MAX_BYTES, offset))
    return block_at(head, start, seq, offset)
