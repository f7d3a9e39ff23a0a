"""The clock and the id source."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class IdGenerator(Protocol):
    def new(self) -> UUID:
        """A new, unique id."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...
