"""Two `chatkeep serve` replicas on one throwaway PostgreSQL database, on one data
directory reached two ways: the same local directory, or two FUSE mounts of one
GlusterFS volume (two clients, as on two hosts; contract 1.1, "Replicas on a
distributed filesystem")."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from test.e2e.server import RunningServer
from test.postgres import ThrowawayPostgres

PLACES = ["local", "glusterfs"]
Pair = tuple[httpx.Client, httpx.Client, str]


def replica_pair(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: ThrowawayPostgres
) -> Iterator[list[RunningServer]]:
    """Two replicas, on `request.param` (one of PLACES): one local directory, or the two
    mounts of the GlusterFS volume (skipped, saying why, where this machine cannot run
    GlusterFS)."""
    if request.param == "local":
        dirs = [tmp_path / "data"] * 2
    else:
        volume = request.getfixturevalue("gluster_volume")
        name = uuid.uuid4().hex
        dirs = [mount / name / "data" for mount in volume.mounts]
    url = asyncio.run(postgres.new_database())
    with (
        RunningServer(dirs[0], "--metadata", url) as first,
        RunningServer(dirs[1], "--metadata", url) as second,
    ):
        yield [first, second]


def clients(replicas: list[RunningServer], user: str) -> list[httpx.Client]:
    """A client of each replica, for `user`."""
    return [
        httpx.Client(base_url=server.url, headers={"X-User-Id": user}, timeout=30)
        for server in replicas
    ]


def new_chat(replicas: list[RunningServer], quota_bytes: int = 10**8) -> Pair:
    """A fresh user with a workspace and a chat: a client of each replica, the chat id."""
    first, second = clients(replicas, str(uuid.uuid4()))
    first.put("/v1/workspace", json={"quota_bytes": quota_bytes}).raise_for_status()
    created = second.post("/v1/chats", json={})
    created.raise_for_status()
    return first, second, created.json()["chat_id"]
