"""Adapters for the process's own clock and id source."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Uuid4Generator:
    def new(self) -> uuid.UUID:
        return uuid.uuid4()
