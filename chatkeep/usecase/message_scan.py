"""Finding message blocks from the end of an open history: each block found costs a window
read and a read of its start marker, whatever lies before it and however long its content;
text outside blocks is read through and skipped."""

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
from chatkeep.usecase.interface import FileReader

WINDOW_BYTES = 16 * 1024


async def read_range(reader: FileReader, offset: int, length: int) -> bytes:
    return b"".join([chunk async for chunk in reader.chunks(offset, length)])


async def blocks_backward(reader: FileReader) -> AsyncIterator[BlockRef]:
    """The message blocks of the history, last first."""
    bound = reader.size_bytes  # where the region not yet accounted for ends
    scan = bound  # an end marker starting before this is still to be looked at
    while scan > 0:
        window_start = max(0, scan - WINDOW_BYTES)
        window_end = min(bound, scan + END_MAX_BYTES)
        window = await read_range(reader, window_start, window_end - window_start)
        found = window.rfind(END_PREFIX, 0, scan - window_start)
        if found < 0:
            scan = window_start
            continue
        position = window_start + found
        block = await _block_ending_at(reader, window, found, position, bound)
        if block is None:
            scan = position
        else:
            yield block
            bound = scan = block.start


async def _block_ending_at(
    reader: FileReader, window: bytes, found: int, position: int, bound: int
) -> BlockRef | None:
    marker = end_marker_at(window, found)
    if marker is None:
        return None
    seq, offset = marker
    marker_bytes = window.index(b"\n", found) + 1 - found
    start = position - offset
    if position + marker_bytes > bound or start < 0:
        return None
    before = window[found - 1 : found] if found else await read_range(reader, position - 1, 1)
    if before != b"\n":
        return None
    head = await read_range(reader, start, min(START_MAX_BYTES, offset))
    return block_at(head, start, seq, offset)
