"""Adapters for the process's own clock and id source."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        """The system's time, in UTC. See Clock.now."""
        return datetime.now(UTC)


class Uuid4Generator:
    def new(self) -> uuid.UUID:
        """A random (version 4) UUID. See IdGenerator.new."""
        return uuid.uuid4()
