from __future__ import annotations

import uuid
from datetime import timedelta

from chatkeep.domain.chat import ChatAttachmentName, ChatFile
from chatkeep.repository.chat_file import InMemoryChatFileRepository
from test.conftest import START


def chat_file(chat_id: uuid.UUID, name: str, minutes: int = 0) -> ChatFile:
    at = START + timedelta(minutes=minutes)
    return ChatFile(uuid.uuid4(), chat_id, ChatAttachmentName(name), None, 1, "0" * 64, at)


async def test_save_get_list_delete() -> None:
    """Files are found by id and by name, listed oldest first, and deleted by id."""
    repo = InMemoryChatFileRepository()
    chat = uuid.uuid4()
    a, b = chat_file(chat, "a.txt"), chat_file(chat, "b.txt")
    await repo.save(a)
    await repo.save(b)
    assert await repo.get(a.file_id) == a
    assert await repo.get_by_chat_id_and_name(chat, ChatAttachmentName("b.txt")) == b
    assert await repo.list_by_chat_id(chat) == [a, b]
    await repo.delete(a.file_id)
    assert await repo.get(a.file_id) is None
    assert await repo.get_by_chat_id_and_name(chat, ChatAttachmentName("a.txt")) is None
    assert await repo.list_by_chat_id(chat) == [b]


async def test_same_name_replaces_with_the_new_id() -> None:
    """Saving a file under a taken name replaces it: the old file_id is gone."""
    repo = InMemoryChatFileRepository()
    chat = uuid.uuid4()
    first, second = chat_file(chat, "x"), chat_file(chat, "x", 1)
    await repo.save(first)
    await repo.save(second)
    assert await repo.get(first.file_id) is None
    assert await repo.get_by_chat_id_and_name(chat, ChatAttachmentName("x")) == second
    assert await repo.list_by_chat_id(chat) == [second]


async def test_same_name_in_another_chat_is_another_file() -> None:
    """Names are unique per chat, not across chats."""
    repo = InMemoryChatFileRepository()
    one, two = chat_file(uuid.uuid4(), "x"), chat_file(uuid.uuid4(), "x")
    await repo.save(one)
    await repo.save(two)
    assert await repo.get(one.file_id) == one
    assert await repo.get(two.file_id) == two


async def test_delete_by_chat_id_clears_only_that_chat() -> None:
    """delete_by_chat_id removes the chat's files and leaves other chats' files."""
    repo = InMemoryChatFileRepository()
    chat, other = uuid.uuid4(), uuid.uuid4()
    await repo.save(chat_file(chat, "a"))
    await repo.save(chat_file(chat, "b"))
    kept = chat_file(other, "a")
    await repo.save(kept)
    await repo.delete_by_chat_id(chat)
    assert await repo.list_by_chat_id(chat) == []
    assert await repo.list_by_chat_id(other) == [kept]
    assert await repo.get_by_chat_id_and_name(chat, ChatAttachmentName("a")) is None
