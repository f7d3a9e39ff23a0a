from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatkeep.domain.conditions import Representation


@dataclass(frozen=True, slots=True)
class HistoryVersion:
    """What a history read or write observed: its size, its strong ETag (quoted) and its
    modification time (None while the history is not a regular file)."""

    size_bytes: int
    etag: str
    last_modified: datetime | None = None

    @property
    def representation(self) -> Representation:
        """The history as preconditions see it: it always exists (RFC 9110 §13.1.2)."""
        return Representation(self.etag, self.last_modified)
