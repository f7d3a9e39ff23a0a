"""64 concurrent clients of mixed traffic against one real server: no errors, no quota
overshoot, every byte where the answers said, memory flat after warm-up."""

from __future__ import annotations

import asyncio
import os
import statistics
import uuid
from pathlib import Path

import httpx

from test.disk import regular_file_bytes
from test.e2e.server import RunningServer
from test.reliability.load import MIB, Tally, User, Worker, mixed_load

SECONDS = float(os.environ.get("CHATKEEP_LOAD_SECONDS", "15"))
CLIENTS = 64
USERS = 8
QUOTA = 12 * MIB
# What a leak would exceed: the peak resident size of the second half of the run may not
# exceed that of the first half (warm-up included) by this much.
RSS_GROWTH_LIMIT_KIB = 16 * 1024


def summary(tally: Tally, workers: list[Worker]) -> str:
    latencies = sorted(tally.latencies)
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    rss = [kib // 1024 for _, kib in tally.rss_kib]
    return (
        f"{tally.total} requests in {SECONDS:.0f} s ({dict(tally.requests)}), "
        f"413 refusals {dict(tally.refused)}, {len(tally.errors)} errors, "
        f"{len(tally.overshoots)} overshoots, p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {p99:.1f} ms, RSS MiB first/peak/last {rss[0]}/{max(rss)}/{rss[-1]}, "
        f"chats deleted {sum(w.deleted_chats for w in workers)}"
    )


def assert_memory_flat(tally: Tally) -> None:
    warm = [kib for t, kib in tally.rss_kib if t <= SECONDS / 2]
    later = [kib for t, kib in tally.rss_kib if t > SECONDS / 2]
    assert max(later) - max(warm) < RSS_GROWTH_LIMIT_KIB, tally.rss_kib


def assert_disk_matches_answers(
    client: httpx.Client, data_dir: Path, users: list[User], workers: list[Worker]
) -> None:
    for user in users:
        workspace = client.get("/v1/workspace", headers=user.headers).json()
        chats_dir = data_dir / "workspaces" / user.workspace_id / "chats"
        assert workspace["used_bytes"] <= workspace["quota_bytes"]
        assert workspace["used_bytes"] == regular_file_bytes(chats_dir)
    for worker in workers:
        for chat in worker.chats:
            headers = worker.user.headers
            history = client.get(f"/v1/chats/{chat.chat_id}/history", headers=headers)
            assert history.content == b"".join(chat.appended)
            listed = client.get(f"/v1/chats/{chat.chat_id}/files", headers=headers).json()
            assert {f["name"]: (f["file_id"], f["sha256"]) for f in listed["files"]} == {
                name: (stored.file_id, stored.sha256) for name, stored in chat.files.items()
            }


def test_mixed_load_from_64_clients(tmp_path: Path) -> None:
    """64 clients over 8 workspaces create and delete chats, append, upload, download and
    list for CHATKEEP_LOAD_SECONDS (15 s here, 60 s in make test-slow): 0 errors, 0 quota
    overshoots, history and files exactly as answered, usage equal to the bytes on disk,
    memory flat after warm-up."""
    users = [User({"X-User-Id": str(uuid.uuid4())}, QUOTA) for _ in range(USERS)]
    with RunningServer(tmp_path / "data") as server:
        tally, workers = asyncio.run(
            mixed_load(server.url, server.process.pid, users, CLIENTS, SECONDS, seed=6)
        )
        print(summary(tally, workers))
        assert tally.errors == []
        assert tally.overshoots == []
        assert sum(tally.refused.values()) > 0, "the quota was never reached: raise the load"
        assert_memory_flat(tally)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert_disk_matches_answers(client, server.data_dir, users, workers)
    assert "Traceback" not in server.log, server.log
