"""`chatkeep serve --chat-ttl`: idle chats disappear in the background, except those with an
active sandbox, and each removal is logged."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import httpx

from test.disk import make_chain, remove_tree
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


def test_a_deep_tree_stops_neither_the_pruning_nor_the_next_start(tmp_path: Path) -> None:
    """The tester's attack: with --chat-ttl 2, a sandbox on a 1-second lease leaves a
    tree 2,100 levels deep and goes. The chat is pruned whole, nothing is left in tmp/
    (the old pruning failed with ELOOP, leaving the chat's row and a *.trash tree), and
    the next start is ready (the old one failed: 'directory tree deeper than 2048
    levels', 'Application startup failed')."""
    data = tmp_path / "data"
    try:
        with RunningServer(data, "--chat-ttl", "2") as server:
            client = httpx.Client(base_url=server.url, headers={"X-User-Id": str(uuid.uuid4())})
            workspace = client.put("/v1/workspace").json()
            chat = client.post("/v1/chats").json()["chat_id"]
            lease = {"sandbox_id": "deep", "lease_seconds": 1}
            assert client.put(f"/v1/chats/{chat}/sandbox", json=lease).status_code == 201
            directory = data / "workspaces" / workspace["workspace_id"] / "chats" / chat
            make_chain(directory, 2100, b"x" * 1000)
            deadline = time.monotonic() + 30
            while client.get(f"/v1/chats/{chat}").status_code != 404:
                assert time.monotonic() < deadline, "the chat was not pruned:\n" + server.log
                time.sleep(0.2)
            assert not os.path.lexists(directory)
            assert os.listdir(data / "tmp") == []
            assert client.get("/v1/workspace").json()["used_bytes"] == 0
        with RunningServer(data, "--chat-ttl", "2") as restarted:
            assert httpx.get(f"{restarted.url}/healthz").status_code == 200
    finally:
        remove_tree(data)  # what the old code left: see remove_tree
    assert f"pruned chat {chat}" in server.log
    assert "Traceback" not in server.log + restarted.log
