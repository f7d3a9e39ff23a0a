"""A history body that arrives slowly holds up no deletion and no pruning sweep: it is
received before the chat's lock is taken (decision record 020)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx

from chatkeep.usecase.chats.prune import prune_idle_chats
from chatkeep.usecase.ports import Ports
from test.conftest import FakeClock, make_chat
from test.disk import regular_file_bytes


def slow_body(release: asyncio.Event) -> AsyncIterator[bytes]:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first half, "
        await release.wait()
        yield b"second half\n"

    return chunks()


async def test_a_chat_is_deleted_while_its_history_body_arrives(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """DELETE of the chat answers 204 while a history PUT's body is half sent; the PUT then
    answers 404 and leaves nothing: no directory, no temp file, usage equal to the disk."""
    chat = await make_chat(client, user)
    release = asyncio.Event()
    put = asyncio.create_task(
        client.put(f"/v1/chats/{chat}/history", headers=user, content=slow_body(release))
    )
    await asyncio.sleep(0.05)
    async with asyncio.timeout(5):
        deleted = await client.delete(f"/v1/chats/{chat}", headers=user)
    assert deleted.status_code == 204
    release.set()
    answer = await put
    assert answer.status_code == 404, answer.text
    workspace = (await client.get("/v1/workspace", headers=user)).json()
    chats_dir = data_dir / "workspaces" / workspace["workspace_id"] / "chats"
    assert list(chats_dir.iterdir()) == []
    assert [p for p in (data_dir / "tmp").rglob("*") if p.is_file()] == []
    assert workspace["used_bytes"] == regular_file_bytes(chats_dir) == 0


async def test_the_pruning_sweep_goes_on_past_a_slow_history_body(
    client: httpx.AsyncClient, ports: Ports, clock: FakeClock
) -> None:
    """With a history POST of one workspace waiting for its body, the TTL sweep still prunes
    every other workspace's idle chats at once (it used to wait for that body)."""
    writer = {"X-User-Id": str(uuid.uuid4())}
    others = [{"X-User-Id": str(uuid.uuid4())} for _ in range(3)]
    written = await make_chat(client, writer)
    idle = [await make_chat(client, other) for other in others]
    clock.advance(3600)
    release = asyncio.Event()
    post = asyncio.create_task(
        client.post(f"/v1/chats/{written}/history", headers=writer, content=slow_body(release))
    )
    await asyncio.sleep(0.05)
    async with asyncio.timeout(5):
        pruned = await prune_idle_chats(ports, timedelta(seconds=60))
    swept = {chat for result in pruned.values() for chat in result.deleted}
    assert {str(chat) for chat in swept} >= set(idle)
    release.set()
    answer = await post
    assert answer.status_code in {200, 404}, answer.text
