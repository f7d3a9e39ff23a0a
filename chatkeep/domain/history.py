from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HistoryVersion:
    """What a history read or write observed: its size and its strong ETag (quoted)."""

    size_bytes: int
    etag: str


@dataclass(frozen=True, slots=True)
class IfMatch:
    """An If-Match precondition: any current version (`*`), or one of these ETags."""

    etags: frozenset[str]
    any: bool = False

    def matches(self, etag: str) -> bool:
        return self.any or etag in self.etags
