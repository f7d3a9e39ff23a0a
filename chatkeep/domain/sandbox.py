from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

# The longest lease; a session meant to outlast it takes none and never expires.
MAX_LEASE_SECONDS = 366 * 24 * 3600


@dataclass(frozen=True, slots=True)
class SandboxSession:
    """A code-execution sandbox that has a chat's directory mounted."""

    sandbox_id: str
    chat_id: UUID
    workspace_id: UUID
    started_at: datetime
    expires_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        """Whether the session holds at `now` (UTC): no lease, or one that ends after `now`
        (contract, "Sandbox sessions")."""
        return self.expires_at is None or now < self.expires_at
