from __future__ import annotations

import uuid

from chatkeep.domain.sandbox import SandboxSession
from chatkeep.repository.sandbox_session import InMemorySandboxSessionRepository
from test.conftest import START

WS = uuid.uuid4()


async def test_one_session_per_chat() -> None:
    """Saving a session for a chat replaces its previous one; delete removes it."""
    repo = InMemorySandboxSessionRepository()
    chat = uuid.uuid4()
    await repo.save(SandboxSession("one", chat, WS, START, None))
    second = SandboxSession("two", chat, WS, START, None)
    await repo.save(second)
    assert await repo.get_by_chat_id(chat) == second
    assert await repo.get_by_chat_id(uuid.uuid4()) is None
    await repo.delete_by_chat_id(chat)
    assert await repo.get_by_chat_id(chat) is None
