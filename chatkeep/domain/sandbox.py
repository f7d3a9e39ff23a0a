from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class SandboxSession:
    """A code-execution sandbox that has a chat's directory mounted."""

    sandbox_id: str
    chat_id: UUID
    workspace_id: UUID
    started_at: datetime
    expires_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at
