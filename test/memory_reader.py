"""An open history held in memory: the FileReader port over a bytes value."""

from __future__ import annotations

from collections.abc import AsyncIterator


class MemoryReader:
    def __init__(self, data: bytes, etag: str = '"memory"') -> None:
        self.data = data
        self.size_bytes = len(data)
        self.etag = etag
        self.reads = 0

    async def chunks(self, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        end = self.size_bytes if length is None else min(self.size_bytes, offset + length)
        if offset < end:
            self.reads += end - offset
            yield self.data[offset:end]

    def fileno(self) -> int | None:
        return None

    def version_check(self) -> None:
        return None

    async def aclose(self) -> None:
        pass
