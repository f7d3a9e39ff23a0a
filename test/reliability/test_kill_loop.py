"""kill -9 at random moments during concurrent uploads and appends, then restart: only
whole files and whole appends survive, and nothing temporary is left."""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from test.e2e.server import RunningServer

LINE = re.compile(rb"append (\d+)-(\d+) " + rb"x" * 500 + rb"\n")
ROUNDS = int(os.environ.get("CHATKEEP_KILL_ROUNDS", "5"))


def load(
    url: str, chat: dict[str, str], user: dict[str, str], stop: threading.Event, worker: int
) -> None:
    """Keep appending whole lines and uploading files until the server dies."""
    history = f"/v1/chats/{chat['chat_id']}/history"
    files = f"/v1/chats/{chat['chat_id']}/files"
    with httpx.Client(base_url=url, headers=user, timeout=5) as client:
        for index in range(10**9):
            if stop.is_set():
                return
            try:
                if index % 3 == 0:
                    size = random.randint(16, 3 * 1024 * 1024)
                    body = f"{size:016d}".encode() + bytes([65 + worker]) * (size - 16)
                    client.post(f"{files}?name=w{worker}-{index % 4}.bin", content=body)
                else:
                    client.post(
                        history, content=f"append {worker}-{index} ".encode() + b"x" * 500 + b"\n"
                    )
            except httpx.HTTPError:
                return  # the server is gone


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_kill_9_during_writes(tmp_path: Path, round_number: int) -> None:
    """One round: load, SIGKILL at a random moment, restart, check the disk."""
    data_dir = tmp_path / "data"
    user = {"X-User-Id": str(uuid.uuid4())}
    with RunningServer(data_dir) as server:
        client = httpx.Client(base_url=server.url, headers=user)
        workspace = client.put("/v1/workspace").json()
        chat = client.post("/v1/chats").json()
        stop = threading.Event()
        workers = [
            threading.Thread(target=load, args=(server.url, chat, user, stop, worker))
            for worker in range(4)
        ]
        for thread in workers:
            thread.start()
        time.sleep(random.uniform(0.2, 1.5))
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        stop.set()
        for thread in workers:
            thread.join(timeout=10)
    directory = data_dir / "workspaces" / workspace["workspace_id"] / "chats" / chat["chat_id"]
    with RunningServer(data_dir):  # start-up repairs what the crash left
        assert os.listdir(data_dir / "tmp") == []
        assert os.listdir(data_dir / "journal") == []
        history = (directory / "history.md").read_bytes()
        lines = history.splitlines(keepends=True)
        assert all(LINE.fullmatch(line) for line in lines), "a torn append survived"
        for path in directory.iterdir():
            if path.name != "history.md":
                content = path.read_bytes()
                assert re.fullmatch(r"w\d-\d\.bin", path.name)
                assert len(content) == int(content[:16]), f"torn {path.name}"
                assert content[16:] == content[16:17] * (len(content) - 16)
