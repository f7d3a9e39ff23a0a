"""`chatkeep serve --chat-ttl`: idle chats disappear in the background, except those with an
active sandbox, and each removal is logged."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx

from test.e2e.server import RunningServer


def test_idle_chats_are_pruned_in_the_background(tmp_path: Path) -> None:
    """With a 1-second TTL, an idle chat goes within a few seconds, its directory with it;
    a chat with an active sandbox stays; the log names the pruned chat."""
    with RunningServer(tmp_path / "data", "--chat-ttl", "1") as server:
        user = {"X-User-Id": str(uuid.uuid4())}
        client = httpx.Client(base_url=server.url, headers=user)
        workspace = client.put("/v1/workspace").json()
        idle = client.post("/v1/chats").json()["chat_id"]
        kept = client.post("/v1/chats").json()["chat_id"]
        put = client.put(f"/v1/chats/{kept}/sandbox", json={"sandbox_id": "b", "lease_seconds": 60})
        assert put.status_code == 201, put.text
        chats = tmp_path / "data" / "workspaces" / workspace["workspace_id"] / "chats"
        deadline = time.monotonic() + 10
        while client.get(f"/v1/chats/{idle}").status_code != 404:
            assert time.monotonic() < deadline, "the idle chat was not pruned"
            time.sleep(0.2)
        assert not (chats / idle).exists()
        assert client.get(f"/v1/chats/{kept}").status_code == 200
        assert (chats / kept / "history.md").exists()
    assert f"pruned chat {idle}" in server.log
    assert f"kept idle chat {kept}" in server.log
