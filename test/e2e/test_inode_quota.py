"""`chatkeep serve` on its default metadata (SQLite) with inode quotas: the default
from `--quota-inodes` and CHATKEEP_QUOTA_INODES, parallel creations that never pass
the quota, and an upgraded workspace whose usage is counted at start-up."""

from __future__ import annotations

import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from test.disk import on_disk
from test.e2e.server import RunningServer


def test_the_default_inode_quota_comes_from_the_flag_then_the_variable(tmp_path: Path) -> None:
    """A new workspace takes --quota-inodes, else CHATKEEP_QUOTA_INODES, else 100,000."""
    user = {"X-User-Id": str(uuid.uuid4())}
    env = {"CHATKEEP_QUOTA_INODES": "9"}
    with RunningServer(tmp_path / "a", env=env) as server:
        assert httpx.put(f"{server.url}/v1/workspace", headers=user).json()["quota_inodes"] == 9
    with RunningServer(tmp_path / "b", "--quota-inodes", "7", env=env) as server:
        assert httpx.put(f"{server.url}/v1/workspace", headers=user).json()["quota_inodes"] == 7
    with RunningServer(tmp_path / "c") as server:
        answer = httpx.put(f"{server.url}/v1/workspace", headers=user).json()
        assert answer["quota_inodes"] == 100_000


def test_parallel_chat_creations_on_sqlite_never_exceed_the_inode_quota(tmp_path: Path) -> None:
    """40 chats asked at once with room for 15: 15 are made, 25 refused; usage, listing
    and disk agree, and still after a restart."""
    user = {"X-User-Id": str(uuid.uuid4())}
    data_dir = tmp_path / "data"
    with RunningServer(data_dir) as server:
        client = httpx.Client(base_url=server.url, headers=user, timeout=30)
        workspace = client.put("/v1/workspace", json={"quota_inodes": 30}).json()
        with ThreadPoolExecutor(max_workers=40) as pool:
            answers = list(pool.map(lambda _: client.post("/v1/chats", json={}), range(40)))
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [201] * 15 + [413] * 25
        assert client.get("/v1/workspace").json()["used_inodes"] == 30
        client.close()
    chats = data_dir / "workspaces" / workspace["workspace_id"] / "chats"
    assert on_disk(chats).entries == 30
    with RunningServer(data_dir) as server:
        answer = httpx.get(f"{server.url}/v1/workspace", headers=user).json()
        assert answer["used_inodes"] == 30
        assert len(httpx.get(f"{server.url}/v1/chats", headers=user).json()["chats"]) == 15


def test_an_upgraded_workspace_gets_the_default_quota_and_its_count(tmp_path: Path) -> None:
    """A workspace stored before inode quotas (quota_inodes NULL, usage not counted in
    inodes, as migration 0004 leaves it) answers the service's default quota and the
    inodes on disk after a restart, the files its sandbox wrote included."""
    user = {"X-User-Id": str(uuid.uuid4())}
    data_dir = tmp_path / "data"
    with RunningServer(data_dir) as server:
        client = httpx.Client(base_url=server.url, headers=user, timeout=30)
        workspace = client.put("/v1/workspace").json()
        chat = client.post("/v1/chats").json()["chat_id"]
        client.close()
    chats = data_dir / "workspaces" / workspace["workspace_id"] / "chats"
    for i in range(20):
        (chats / chat / f"sandbox-{i}").touch()
    with sqlite3.connect(data_dir / "metadata.sqlite3") as database:
        database.execute("UPDATE workspaces SET quota_inodes = NULL")
        database.execute("UPDATE workspace_usage SET used_inodes = NULL")
    with RunningServer(data_dir, "--quota-inodes", "12") as server:
        answer = httpx.get(f"{server.url}/v1/workspace", headers=user).json()
        assert (answer["quota_inodes"], answer["used_inodes"]) == (12, 22)
        assert on_disk(chats).entries == 22
        refused = httpx.post(f"{server.url}/v1/chats", headers=user)
        assert refused.status_code == 413
