from __future__ import annotations

import uuid
from datetime import timedelta

from chatkeep.domain.sandbox import SandboxSession
from test.conftest import START


def test_sandbox_session_without_lease_never_expires() -> None:
    """A session without expires_at stays active."""
    session = SandboxSession("sb", uuid.uuid4(), uuid.uuid4(), START, None)
    assert session.is_active(START + timedelta(days=365))


def test_sandbox_session_ends_when_its_lease_expires() -> None:
    """A leased session is active before expires_at and not from then on."""
    session = SandboxSession("sb", uuid.uuid4(), uuid.uuid4(), START, START + timedelta(seconds=30))
    assert session.is_active(START + timedelta(seconds=29))
    assert not session.is_active(START + timedelta(seconds=30))
