from __future__ import annotations

import uuid
from datetime import timedelta

from chatkeep.domain.chat import Chat
from chatkeep.repository.chat import InMemoryChatRepository
from test.conftest import START


def chat(workspace_id: uuid.UUID, minutes: int = 0) -> Chat:
    at = START + timedelta(minutes=minutes)
    return Chat(uuid.uuid4(), workspace_id, None, at, at)


async def test_list_is_oldest_first_and_scoped_to_the_workspace() -> None:
    """Chats list in creation order, ties in one clock tick included, never across
    workspaces; a later save (touch) does not move a chat."""
    repo = InMemoryChatRepository()
    ws, other = uuid.uuid4(), uuid.uuid4()
    first, second, foreign, third = chat(ws), chat(ws), chat(other), chat(ws)
    for item in (first, second, foreign, third):
        await repo.save(item)
    await repo.touch(first.chat_id, START)
    listed = await repo.list_by_workspace_id(ws)
    assert [c.chat_id for c in listed] == [first.chat_id, second.chat_id, third.chat_id]
    assert await repo.list_by_workspace_id(other) == [foreign]


async def test_listing_is_a_copy() -> None:
    """Mutating a returned list changes nothing stored."""
    repo = InMemoryChatRepository()
    ws = uuid.uuid4()
    await repo.save(chat(ws))
    listed = await repo.list_by_workspace_id(ws)
    listed.clear()
    assert len(await repo.list_by_workspace_id(ws)) == 1


async def test_touch_moves_updated_at_and_stores_it() -> None:
    """touch stores a later updated_at; a deleted chat answers None."""
    repo = InMemoryChatRepository()
    item = chat(uuid.uuid4())
    await repo.save(item)
    touched = await repo.touch(item.chat_id, START)
    assert touched is not None
    assert touched.updated_at > item.updated_at
    assert await repo.get(item.chat_id) == touched
    await repo.delete(item.chat_id)
    assert await repo.get(item.chat_id) is None
    assert await repo.touch(item.chat_id, START) is None
