"""The tester's race against a real server: pruning beside one write per chat."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

import httpx

from test.disk import regular_file_bytes
from test.e2e.server import RunningServer

CHATS = 32


async def _write(client: httpx.AsyncClient, user: dict[str, str], chat: str, kind: int) -> int:
    base, body = f"/v1/chats/{chat}", f"written to {chat}\n".encode()
    if kind == 0:
        answer = await client.put(f"{base}/history", headers=user, content=body)
    elif kind == 1:
        answer = await client.post(f"{base}/history", headers=user, content=body)
    elif kind == 2:
        message = {"role": "user", "content": body.decode()}
        answer = await client.post(f"{base}/messages", headers=user, json=message)
    else:
        answer = await client.post(f"{base}/files?name=a.txt", headers=user, content=body)
    assert answer.status_code in {200, 201, 404}, answer.text
    return answer.status_code


async def test_pruning_beside_writes_loses_no_acknowledged_write(live: RunningServer) -> None:
    """32 chats, T = now, then `DELETE /v1/chats?updated_before=T` and a history PUT,
    history POST, message or upload per chat, spread over 60 ms: every chat whose write
    answered 2xx is still there with the write in it, and usage equals the disk."""
    user = {"X-User-Id": str(uuid.uuid4())}
    rng = random.Random(14)
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        workspace = (await client.put("/v1/workspace", headers=user)).json()
        chats = [
            (await client.post("/v1/chats", headers=user)).json()["chat_id"] for _ in range(CHATS)
        ]
        cutoff = datetime.now(UTC).isoformat()

        async def later(seconds: float, action: object) -> object:
            await asyncio.sleep(seconds)
            return await action  # type: ignore[misc]

        prune = client.delete("/v1/chats", headers=user, params={"updated_before": cutoff})
        writes = [_write(client, user, chat, index % 4) for index, chat in enumerate(chats)]
        answers = await asyncio.gather(
            later(0.03, prune), *(later(rng.uniform(0, 0.06), write) for write in writes)
        )
        pruned = set(answers[0].json()["deleted"])  # type: ignore[attr-defined]
        for chat, status in zip(chats, answers[1:], strict=True):
            if status in {200, 201}:
                assert chat not in pruned, f"an acknowledged write to {chat} was pruned"
                history = await client.get(f"/v1/chats/{chat}/history", headers=user)
                files = await client.get(f"/v1/chats/{chat}/files", headers=user)
                written = f"written to {chat}".encode()
                assert written in history.content or files.json()["files"]
            else:
                assert chat in pruned
        used = (await client.get("/v1/workspace", headers=user)).json()["used_bytes"]
    chats_dir = live.data_dir / "workspaces" / workspace["workspace_id"] / "chats"
    assert used == regular_file_bytes(chats_dir)


async def test_usage_stays_exact_when_a_chat_is_deleted_under_appends_and_uploads(
    live: RunningServer,
) -> None:
    """A chat deleted while 20 appends and 10 uploads to it are in flight, 5 rounds:
    afterwards `used_bytes` equals the bytes on disk (the other chat's 10)."""
    user = {"X-User-Id": str(uuid.uuid4())}
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        workspace = (await client.put("/v1/workspace", headers=user)).json()
        kept = (await client.post("/v1/chats", headers=user)).json()["chat_id"]
        await client.put(f"/v1/chats/{kept}/history", headers=user, content=b"0123456789")
        chats_dir = live.data_dir / "workspaces" / workspace["workspace_id"] / "chats"
        for _ in range(5):
            chat = (await client.post("/v1/chats", headers=user)).json()["chat_id"]
            base = f"/v1/chats/{chat}"
            appends = [
                client.post(f"{base}/history", headers=user, content=b"x" * 9) for _ in range(20)
            ]
            uploads = [
                client.post(f"{base}/files?name=f{i}", headers=user, content=b"y" * 11)
                for i in range(10)
            ]
            answers = await asyncio.gather(
                *appends[:10],
                *uploads[:5],
                client.delete(base, headers=user),
                *appends[10:],
                *uploads[5:],
            )
            assert all(answer.status_code < 500 for answer in answers)
            used = (await client.get("/v1/workspace", headers=user)).json()["used_bytes"]
            assert used == regular_file_bytes(chats_dir) == 10
