from __future__ import annotations

import uuid

from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.usecase.chats.create import create_chat
from chatkeep.usecase.chats.delete import DELETE_BATCH
from chatkeep.usecase.chats.prune import prune_chats
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.sandbox.session import start_sandbox
from chatkeep.usecase.workspace.ensure import ensure_workspace
from test.conftest import FakeClock


async def test_prune_across_batches_keeps_order_sandboxes_and_recent_chats(
    ports: Ports, clock: FakeClock
) -> None:
    """More idle chats than one batch: all go, in creation order, with their directories;
    the one with an active sandbox is skipped and the one written after the cutoff stays."""
    user = uuid.uuid4()
    workspace, _, _ = await ensure_workspace(ports, user, None)
    chats = [(await create_chat(ports, user, None)).chat_id for _ in range(DELETE_BATCH * 2 + 3)]
    sandboxed = chats[DELETE_BATCH + 1]
    await start_sandbox(ports, user, sandboxed, "sb", None)
    clock.advance(10)
    cutoff = ports.clock.now()
    clock.advance(10)
    recent = (await create_chat(ports, user, None)).chat_id
    pruned = await prune_chats(ports, user, cutoff)
    assert pruned.deleted == [chat for chat in chats if chat != sandboxed]
    assert pruned.skipped == [sandboxed]
    left = await ports.chats.list_by_workspace_id(workspace.workspace_id)
    assert [chat.chat_id for chat in left] == [sandboxed, recent]
    assert isinstance(ports.storage, FileSystemChatStorage)
    assert not ports.storage.chat_dir(workspace.workspace_id, chats[0]).exists()
    assert not ports.storage.chat_dir(workspace.workspace_id, chats[-1]).exists()
    assert ports.storage.chat_dir(workspace.workspace_id, recent).is_dir()
