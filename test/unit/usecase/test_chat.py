from __future__ import annotations

import uuid

import pytest

from chatkeep.domain.errors import (
    ChatHasActiveSandboxError,
    ChatNotFoundError,
    InvalidRequestError,
    WorkspaceNotFoundError,
)
from chatkeep.domain.sandbox import SandboxSession
from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.chats.delete import delete_chat
from chatkeep.usecase.chats.get import get_chat
from chatkeep.usecase.chats.listing import list_chats
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.workspace.ensure import ensure_workspace
from test.conftest import FakeClock


async def test_create_needs_a_workspace(ports: Ports) -> None:
    """Creating a chat without a workspace is workspace_not_found."""
    with pytest.raises(WorkspaceNotFoundError):
        await create_chat(ports, uuid.uuid4(), None)


async def test_create_makes_directory_and_lists_oldest_first(
    ports: Ports, clock: FakeClock
) -> None:
    """Chats get a directory with history.md and list in creation order."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    first = await create_chat(ports, user, "first")
    clock.advance(1)
    second = await create_chat(ports, user, None)
    assert (await list_chats(ports, user)).chats == [first, second]
    assert first.created_at == first.updated_at
    assert isinstance(ports.storage, FileSystemChatStorage)
    history = ports.storage.chat_dir(workspace.workspace_id, first.chat_id) / "history.md"
    assert history.read_bytes() == b""


async def test_overlong_title_is_refused_and_creates_nothing(ports: Ports) -> None:
    """A 501-character title is invalid_request and no chat appears."""
    user = uuid.uuid4()
    await ensure_workspace(ports, user, None)
    with pytest.raises(InvalidRequestError):
        await create_chat(ports, user, "x" * 501)
    assert (await list_chats(ports, user)).chats == []


async def test_another_users_chat_does_not_exist(ports: Ports) -> None:
    """A chat of another user's workspace answers chat_not_found, for reads and deletes."""
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    await ensure_workspace(ports, owner, None)
    await ensure_workspace(ports, stranger, None)
    chat = await create_chat(ports, owner, None)
    with pytest.raises(ChatNotFoundError):
        await get_chat(ports, stranger, chat.chat_id)
    with pytest.raises(ChatNotFoundError):
        await delete_chat(ports, stranger, chat.chat_id)
    assert await get_chat(ports, owner, chat.chat_id) == chat


async def test_delete_is_refused_with_an_active_sandbox(ports: Ports, clock: FakeClock) -> None:
    """A chat with an active sandbox stays; without one it goes, directory and all."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    await ports.sandboxes.save(
        SandboxSession("sb", chat.chat_id, workspace.workspace_id, clock.now(), None)
    )
    with pytest.raises(ChatHasActiveSandboxError):
        await delete_chat(ports, user, chat.chat_id)
    await ports.sandboxes.delete_by_chat_id(chat.chat_id)
    await delete_chat(ports, user, chat.chat_id)
    assert (await list_chats(ports, user)).chats == []
    assert isinstance(ports.storage, FileSystemChatStorage)
    assert not ports.storage.chat_dir(workspace.workspace_id, chat.chat_id).exists()
