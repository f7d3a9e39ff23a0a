"""Two `chatkeep serve` processes on one PostgreSQL database and one data directory (one
local directory, or two mounts of one GlusterFS volume), as replicas behind a load
balancer: the quota and the sandbox rule hold across them."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from test.e2e.replicas import clients
from test.e2e.server import RunningServer

QUOTA = 10_000
FILE_BYTES = 1_000


def bytes_on_disk(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def test_parallel_uploads_through_both_never_exceed_the_quota(
    replicas: list[RunningServer],
) -> None:
    """40 parallel uploads of 1,000 bytes, split across both processes, into a workspace
    with a 10,000-byte quota: exactly 10 are stored, the rest refused with
    workspace_quota_exceeded, and neither process nor the disk reports more."""
    user = str(uuid.uuid4())
    first, second = clients(replicas, user)
    first.put("/v1/workspace", json={"quota_bytes": QUOTA}).raise_for_status()
    chat = second.post("/v1/chats", json={}).json()["chat_id"]

    def upload(index: int) -> httpx.Response:
        client = (first, second)[index % 2]
        return client.post(
            f"/v1/chats/{chat}/files?name=f{index}.bin", content=os.urandom(FILE_BYTES)
        )

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(upload, range(40)))
    stored = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 413]
    assert len(stored) + len(refused) == 40, [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in refused} == {"workspace_quota_exceeded"}
    assert len(stored) == QUOTA // FILE_BYTES
    for client in (first, second):
        usage = client.get("/v1/workspace").json()
        assert usage["used_bytes"] == QUOTA
        assert len(client.get(f"/v1/chats/{chat}/files").json()["files"]) == len(stored)
    workspace_dir = replicas[0].data_dir / "workspaces"
    assert bytes_on_disk(workspace_dir) == QUOTA


def test_a_sandbox_started_through_one_blocks_deletion_through_the_other(
    replicas: list[RunningServer],
) -> None:
    """A chat whose sandbox session was started through one process cannot be deleted
    through the other until the session ends there too."""
    user = str(uuid.uuid4())
    first, second = clients(replicas, user)
    first.put("/v1/workspace").raise_for_status()
    chat = first.post("/v1/chats", json={}).json()["chat_id"]
    started = first.put(f"/v1/chats/{chat}/sandbox", json={"sandbox_id": "box-1"})
    assert started.status_code == 201
    refused = second.delete(f"/v1/chats/{chat}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "chat_has_active_sandbox"
    taken = second.put(f"/v1/chats/{chat}/sandbox", json={"sandbox_id": "box-2"})
    assert taken.status_code == 409
    assert second.delete(f"/v1/chats/{chat}/sandbox").status_code == 204
    assert first.delete(f"/v1/chats/{chat}").status_code == 204
    assert second.get(f"/v1/chats/{chat}").status_code == 404


def test_parallel_chats_and_uploads_through_both_never_exceed_the_inode_quota(
    replicas: list[RunningServer],
) -> None:
    """40 chat creations (2 inodes each) and 40 uploads of new names (1 each), split
    across both processes, against an inode quota of 30 with one chat (2) made: the
    inodes granted never pass the quota, every refusal is workspace_quota_exceeded, and
    both processes and the disk agree on the count."""
    user = str(uuid.uuid4())
    first, second = clients(replicas, user)
    first.put("/v1/workspace", json={"quota_inodes": 30}).raise_for_status()
    chat = second.post("/v1/chats", json={}).json()["chat_id"]

    def create(index: int) -> tuple[int, httpx.Response]:
        client = (first, second)[index % 2]
        if index % 4 < 2:
            return 2, client.post("/v1/chats", json={})
        return 1, client.post(f"/v1/chats/{chat}/files?name=f{index}", content=b"x")

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(create, range(80)))
    granted = sum(cost for cost, answer in answers if answer.status_code == 201)
    refused = [answer for _, answer in answers if answer.status_code != 201]
    assert {(a.status_code, a.json()["error"]["code"]) for a in refused} == {
        (413, "workspace_quota_exceeded")
    }
    assert 2 + granted <= 30
    assert 2 + granted >= 29  # refusals only once no creation of 2 (or of 1) fit
    chats_dir = next((replicas[0].data_dir / "workspaces").iterdir()) / "chats"
    on_the_disk = sum(1 for _ in chats_dir.rglob("*"))
    for client in (first, second):
        assert client.get("/v1/workspace").json()["used_inodes"] == 2 + granted == on_the_disk
