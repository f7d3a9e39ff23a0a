from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from chatkeep.domain.errors import ChatHasActiveSandboxError, WorkspaceNotFoundError
from chatkeep.domain.sandbox import SandboxSession
from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.workspace.delete import delete_workspace
from chatkeep.usecase.workspace.ensure import ensure_workspace
from chatkeep.usecase.workspace.get import get_workspace
from test.conftest import FakeClock


async def test_ensure_creates_once_then_answers_the_same_workspace(ports: Ports) -> None:
    """The first ensure creates with the default quota; the second finds it."""
    user = uuid.uuid4()
    created, usage, was_created = await ensure_workspace(ports, user, None)
    again, _, created_again = await ensure_workspace(ports, user, None)
    assert was_created
    assert not created_again
    assert again == created
    assert usage.used_bytes == 0
    assert usage.quota_bytes == ports.default_quota_bytes


async def test_concurrent_ensures_make_one_workspace(ports: Ports) -> None:
    """Ten simultaneous ensures for one user create exactly one workspace."""
    user = uuid.uuid4()
    results = await asyncio.gather(*(ensure_workspace(ports, user, None) for _ in range(10)))
    assert sum(created for _, _, created in results) == 1
    assert len({workspace.workspace_id for workspace, _, _ in results}) == 1


async def test_ensure_with_quota_updates_an_existing_workspace(ports: Ports) -> None:
    """Ensuring with quota_bytes sets the quota on create and on update."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, 10)
    assert workspace.quota_bytes == 10
    updated, usage, created = await ensure_workspace(ports, user, 20)
    assert not created
    assert updated.quota_bytes == 20
    assert usage.quota_bytes == 20
    assert (await get_workspace(ports, user))[0].quota_bytes == 20


async def test_get_without_workspace_is_workspace_not_found(ports: Ports) -> None:
    """A user without a workspace gets workspace_not_found."""
    with pytest.raises(WorkspaceNotFoundError):
        await get_workspace(ports, uuid.uuid4())


async def test_delete_removes_chats_from_disk_and_metadata(ports: Ports, data_dir: Path) -> None:
    """Deleting a workspace removes its directory, chats and the workspace itself."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, "t")
    await delete_workspace(ports, user)
    assert not (data_dir / "workspaces" / str(workspace.workspace_id)).exists()
    assert await ports.chats.get(chat.chat_id) is None
    with pytest.raises(WorkspaceNotFoundError):
        await get_workspace(ports, user)


async def test_delete_is_refused_while_a_sandbox_is_active(
    ports: Ports, data_dir: Path, clock: FakeClock
) -> None:
    """An active sandbox on any chat blocks deletion and nothing is removed; once its
    lease has expired, deletion goes through."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    lease_end = clock.now() + timedelta(seconds=60)
    await ports.sandboxes.save(
        SandboxSession("sb-1", chat.chat_id, workspace.workspace_id, clock.now(), lease_end)
    )
    with pytest.raises(ChatHasActiveSandboxError):
        await delete_workspace(ports, user)
    assert await ports.chats.get(chat.chat_id) == chat
    assert isinstance(ports.storage, FileSystemChatStorage)
    assert ports.storage.chat_dir(workspace.workspace_id, chat.chat_id).is_dir()
    clock.advance(60)
    await delete_workspace(ports, user)
    assert await ports.chats.get(chat.chat_id) is None
