from __future__ import annotations

import uuid

import pytest

from chatkeep.domain.errors import ChatHasActiveSandboxError, SandboxSessionNotFoundError
from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.files.listing import list_files
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.sandbox.session import end_sandbox, get_sandbox, start_sandbox
from chatkeep.usecase.workspace.ensure import ensure_workspace
from chatkeep.usecase.workspace.get import get_workspace
from test.conftest import FakeClock


async def test_lease_runs_on_the_injected_clock(ports: Ports, clock: FakeClock) -> None:
    """A 30-second lease is active at 29 s, over at 30 s, and renewal restarts it."""
    user = uuid.uuid4()
    await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    mounted, started = await start_sandbox(ports, user, chat.chat_id, "sb", 30)
    assert started
    assert mounted.workdir.endswith(str(chat.chat_id))
    clock.advance(29)
    renewed, started_again = await start_sandbox(ports, user, chat.chat_id, "sb", 30)
    assert not started_again
    assert renewed.session.started_at == mounted.session.started_at
    with pytest.raises(ChatHasActiveSandboxError):
        await start_sandbox(ports, user, chat.chat_id, "other", None)
    clock.advance(29)
    assert await get_sandbox(ports, user, chat.chat_id) == renewed
    clock.advance(1)
    with pytest.raises(SandboxSessionNotFoundError):
        await get_sandbox(ports, user, chat.chat_id)
    _, started_other = await start_sandbox(ports, user, chat.chat_id, "other", None)
    assert started_other


async def test_ending_a_session_rescans(ports: Ports) -> None:
    """end_sandbox adopts the files the sandbox wrote and recounts usage."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    await start_sandbox(ports, user, chat.chat_id, "sb", None)
    assert isinstance(ports.storage, FileSystemChatStorage)
    directory = ports.storage.chat_dir(workspace.workspace_id, chat.chat_id)
    (directory / "out.txt").write_bytes(b"12345")
    await end_sandbox(ports, user, chat.chat_id)
    (adopted,) = (await list_files(ports, user, chat.chat_id)).files
    assert adopted.name.value == "out.txt"
    assert adopted.size_bytes == 5
    assert (await get_workspace(ports, user))[1].used_bytes == 5
    with pytest.raises(SandboxSessionNotFoundError):
        await end_sandbox(ports, user, chat.chat_id)


async def test_an_expired_session_of_a_chat_without_its_directory_ends_quietly(
    ports: Ports, clock: FakeClock
) -> None:
    """A session whose lease ran out on a chat whose directory is gone (replaced by what a
    sandbox made of it) ends without failing the workspace request that ends it: GET of the
    workspace answers, it does not raise chat_not_found."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    chat = await create_chat(ports, user, None)
    await start_sandbox(ports, user, chat.chat_id, "sb", 5)
    assert isinstance(ports.storage, FileSystemChatStorage)
    directory = ports.storage.chat_dir(workspace.workspace_id, chat.chat_id)
    directory.rename(directory.with_name("moved-away"))
    directory.symlink_to("/")
    clock.advance(6)
    found, _ = await get_workspace(ports, user)
    assert found.workspace_id == workspace.workspace_id
    with pytest.raises(SandboxSessionNotFoundError):
        await get_sandbox(ports, user, chat.chat_id)
