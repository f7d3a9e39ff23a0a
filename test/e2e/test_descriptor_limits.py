"""A server allowed only 256 descriptors (RLIMIT_NOFILE, soft and hard): eight tenants'
sandboxes each left a tree 2,040 levels deep (the tester's shape); their rescans and
deletions, all at once and while another tenant reads and writes, answer as usual,
and nothing fails for want of a descriptor (contract, Version 1.1, "Hostile trees and
resource limits": walks share one budget)."""

from __future__ import annotations

import os
import resource
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from test.disk import make_chain, on_disk, remove_tree
from test.e2e.server import RunningServer

LIMIT = 256
DEPTH = 2040
TENANTS = 8
LEAF = b"x" * 1000


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


@dataclass
class Tenant:
    headers: dict[str, str]
    chat_id: str
    directory: Path


@dataclass
class Limited:
    server: RunningServer
    tenants: list[Tenant]
    bystander: dict[str, str]


def tenant(server: RunningServer) -> Tenant:
    headers = {"X-User-Id": str(uuid.uuid4())}
    workspace = httpx.put(f"{server.url}/v1/workspace", headers=headers).json()
    chat = httpx.post(f"{server.url}/v1/chats", headers=headers).json()["chat_id"]
    directory = server.data_dir / "workspaces" / workspace["workspace_id"] / "chats" / chat
    return Tenant(headers, chat, directory)


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Limited]:
    base = tmp_path_factory.mktemp("limited")
    with RunningServer(base / "data", preexec_fn=limited) as server:
        tenants = [tenant(server) for _ in range(TENANTS)]
        for each in tenants:
            make_chain(each.directory / "tree", DEPTH, LEAF)
        bystander = tenant(server).headers
        yield Limited(server, tenants, bystander)
    remove_tree(base)  # deep trees: see remove_tree
    assert "Too many open files" not in server.log, server.log
    assert "Traceback" not in server.log, server.log


class Meanwhile:
    """Another tenant's history writes and reads, and a sample of the server's open
    descriptors, in the background."""

    def __init__(self, server: RunningServer, headers: dict[str, str]) -> None:
        self.server, self.headers = server, headers
        self.answers: list[int] = []
        self.peak = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write), threading.Thread(target=self._count)]

    def _write(self) -> None:
        with httpx.Client(base_url=self.server.url, headers=self.headers, timeout=60) as client:
            while not self._stop.is_set():
                self.answers.append(client.post("/v1/chats", json={"title": "t"}).status_code)
                self.answers.append(client.get("/v1/workspace").status_code)

    def _count(self) -> None:
        fds = f"/proc/{self.server.process.pid}/fd"
        while not self._stop.is_set():
            self.peak = max(self.peak, len(os.listdir(fds)))
            time.sleep(0.002)

    def __enter__(self) -> Meanwhile:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


def all_at_once(limited: Limited, method: str, path: str) -> list[httpx.Response]:
    def send(each: Tenant) -> httpx.Response:
        url = f"{limited.server.url}/v1/chats/{each.chat_id}{path}"
        return httpx.request(method, url, headers=each.headers, timeout=300)

    with ThreadPoolExecutor(TENANTS) as pool:
        return list(pool.map(send, limited.tenants))


def test_eight_deep_rescans_at_once_fit_in_256_descriptors(limited_server: Limited) -> None:
    """Eight rescans at once answer 200 and count every byte, while the other tenant's
    requests all succeed; the server never holds more than its limit (the old walks
    took two descriptors a level: one rescan alone needed ~4,080)."""
    with Meanwhile(limited_server.server, limited_server.bystander) as meanwhile:
        answers = all_at_once(limited_server, "POST", "/rescan")
    assert [answer.status_code for answer in answers] == [200] * TENANTS, answers[0].text
    for each in limited_server.tenants:
        used = httpx.get(f"{limited_server.server.url}/v1/workspace", headers=each.headers)
        assert used.json()["used_bytes"] == on_disk(each.directory.parent).bytes >= len(LEAF)
    assert meanwhile.answers
    assert set(meanwhile.answers) <= {200, 201}
    assert meanwhile.peak < LIMIT
    print(f"8 rescans: descriptor peak {meanwhile.peak}/{LIMIT}, {len(meanwhile.answers)} others")


def test_eight_deep_deletions_at_once_fit_in_256_descriptors(limited_server: Limited) -> None:
    """Eight DELETEs at once answer 204 and leave nothing, in the chats or in tmp/."""
    with Meanwhile(limited_server.server, limited_server.bystander) as meanwhile:
        answers = all_at_once(limited_server, "DELETE", "")
    assert [answer.status_code for answer in answers] == [204] * TENANTS, answers[0].text
    assert not any(os.path.lexists(each.directory) for each in limited_server.tenants)
    assert os.listdir(limited_server.server.data_dir / "tmp") == []
    assert meanwhile.answers
    assert set(meanwhile.answers) <= {200, 201}
    assert meanwhile.peak < LIMIT
    print(f"8 deletions: descriptor peak {meanwhile.peak}/{LIMIT}, {len(meanwhile.answers)} others")
