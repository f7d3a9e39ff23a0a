from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest

from chatkeep.domain.errors import ChatNotFoundError, InvalidHistoryError
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.chats.get import get_chat
from chatkeep.usecase.history.read import read_history
from chatkeep.usecase.history.write import append_history, replace_history
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.workspace.ensure import ensure_workspace


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def history_of(ports: Ports, user: uuid.UUID, chat_id: uuid.UUID) -> bytes:
    async with aclosing((await read_history(ports, user, chat_id)).reader) as reader:
        return b"".join([chunk async for chunk in reader.chunks()])


async def test_writes_move_updated_at(ports: Ports) -> None:
    """Every history write moves the chat's updated_at forward, even on a stopped clock."""
    user = uuid.uuid4()
    await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    await replace_history(ports, user, chat.chat_id, chunks(b"a"), None)
    after_put = await get_chat(ports, user, chat.chat_id)
    await append_history(ports, user, chat.chat_id, chunks(b"b"), None)
    after_post = await get_chat(ports, user, chat.chat_id)
    assert chat.updated_at < after_put.updated_at < after_post.updated_at
    assert await history_of(ports, user, chat.chat_id) == b"ab"


@pytest.mark.parametrize(
    "parts",
    [
        (b"\xff",),
        (b"ok", b"\xc3"),  # ends inside a character
        (b"\xed\xa0\x80",),  # an encoded surrogate
        (b"fine", b"\xc0\xaf"),  # overlong encoding
    ],
)
async def test_invalid_utf8_is_refused_and_history_unchanged(
    ports: Ports, parts: tuple[bytes, ...]
) -> None:
    """A body that is not UTF-8 raises invalid_history; the old history stays."""
    user = uuid.uuid4()
    await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    await replace_history(ports, user, chat.chat_id, chunks(b"kept"), None)
    for write in (replace_history, append_history):
        with pytest.raises(InvalidHistoryError):
            await write(ports, user, chat.chat_id, chunks(*parts), None)
    assert await history_of(ports, user, chat.chat_id) == b"kept"


async def test_character_split_across_chunks_is_valid(ports: Ports) -> None:
    """A multi-byte character split between two chunks is accepted whole."""
    user = uuid.uuid4()
    await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    euro = "€".encode()
    await append_history(ports, user, chat.chat_id, chunks(euro[:1], euro[1:]), None)
    assert await history_of(ports, user, chat.chat_id) == euro


async def test_history_of_another_users_chat_does_not_exist(ports: Ports) -> None:
    """Reading or writing another user's history is chat_not_found."""
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    await ensure_workspace(ports, owner, None)
    await ensure_workspace(ports, stranger, None)
    chat = await create_chat(ports, owner, None)
    with pytest.raises(ChatNotFoundError):
        await read_history(ports, stranger, chat.chat_id)
    with pytest.raises(ChatNotFoundError):
        await append_history(ports, stranger, chat.chat_id, chunks(b"x"), None)
