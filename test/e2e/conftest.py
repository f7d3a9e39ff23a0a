from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from test.disk import regular_file_bytes
from test.e2e.replicas import PLACES, replica_pair
from test.e2e.server import RunningServer
from test.postgres import ThrowawayPostgres


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One real server per test module."""
    data_dir = tmp_path_factory.mktemp("live") / "data"
    with RunningServer(data_dir) as server:
        yield server
    assert "Traceback" not in server.log, server.log


@dataclass
class LiveChat:
    client: httpx.Client
    headers: dict[str, str]
    chat_id: str
    workspace_id: str
    directory: Path
    data_dir: Path

    @property
    def files_url(self) -> str:
        return f"/v1/chats/{self.chat_id}/files"

    def used_bytes(self) -> int:
        return int(self.client.get("/v1/workspace", headers=self.headers).json()["used_bytes"])

    def disk_bytes(self) -> int:
        """Regular-file bytes under the workspace's chat directories, each inode once."""
        return regular_file_bytes(self.directory.parent)

    def temp_files(self) -> list[str]:
        return os.listdir(self.data_dir / "tmp")

    def upload_mib(self, name: str, mib: int) -> dict[str, object]:
        """Upload `mib` MiB in 1 MiB blocks; answer the stored file."""
        block = b"d" * (1024 * 1024)
        response = self.client.post(
            f"{self.files_url}?name={name}",
            headers=self.headers,
            content=(block for _ in range(mib)),
        )
        assert response.status_code == 201, response.text
        return response.json()["files"][0]  # type: ignore[no-any-return]

    def download_head(self, file_id: object) -> str:
        """The head of a raw GET of the file's content, for a client made by hand."""
        return (
            f"GET {self.files_url}/{file_id}/content HTTP/1.1\r\nHost: chatkeep\r\n"
            f"X-User-Id: {self.headers['X-User-Id']}\r\n"
        )


def new_chat(client: httpx.Client, data_dir: Path, quota_bytes: int | None = None) -> LiveChat:
    headers = {"X-User-Id": str(uuid.uuid4())}
    body = {} if quota_bytes is None else {"quota_bytes": quota_bytes}
    workspace = client.put("/v1/workspace", headers=headers, json=body).json()
    chat = client.post("/v1/chats", headers=headers).json()
    directory = data_dir / "workspaces" / workspace["workspace_id"] / "chats" / chat["chat_id"]
    return LiveChat(
        client, headers, chat["chat_id"], workspace["workspace_id"], directory, data_dir
    )


@pytest.fixture
def client(live: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as client:
        yield client


@pytest.fixture
def chat(client: httpx.Client, live: RunningServer) -> LiveChat:
    return new_chat(client, live.data_dir)


@pytest.fixture(params=PLACES)
def replicas(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: ThrowawayPostgres
) -> Iterator[list[RunningServer]]:
    """Two replicas on one PostgreSQL database: on one local directory, then on two
    mounts of one GlusterFS volume (test/e2e/replicas.py)."""
    yield from replica_pair(request, tmp_path, postgres)
