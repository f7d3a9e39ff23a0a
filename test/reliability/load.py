"""Mixed traffic from many concurrent clients: chats created and deleted, history appended,
files of 64 KiB to 4 MiB uploaded, downloaded (hash checked), listed and deleted, while a
watcher polls every workspace's usage against its quota and the server's memory."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

KIB = 1024
MIB = 1024 * KIB
# Random bytes, sliced at random offsets: every upload differs without generating megabytes.
NOISE = os.urandom(8 * MIB)


@dataclass
class User:
    headers: dict[str, str]
    quota_bytes: int
    workspace_id: str = ""


@dataclass
class StoredFile:
    file_id: str
    sha256: str
    size: int


@dataclass
class WorkerChat:
    chat_id: str
    appended: list[bytes] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    overshoots: list[str] = field(default_factory=list)
    rss_kib: list[tuple[float, int]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@dataclass
class Worker:
    number: int
    user: User
    client: httpx.AsyncClient
    tally: Tally
    rng: random.Random
    chats: list[WorkerChat] = field(default_factory=list)
    deleted_chats: int = 0

    async def call(
        self, kind: str, method: str, url: str, expected: set[int], **kwargs: object
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await self.client.request(
                method,
                url,
                headers=self.user.headers,
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as error:
            self.tally.errors.append(f"{kind}: {error!r}")
            return None
        self.tally.latencies.append(time.monotonic() - started)
        self.tally.requests[kind] += 1
        if response.status_code == 413:
            self.tally.refused[kind] += 1
        elif response.status_code not in expected:
            self.tally.errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
            return None
        return response

    async def create_chat(self) -> None:
        response = await self.call("create chat", "POST", "/v1/chats", {201})
        if response is not None:
            self.chats.append(WorkerChat(response.json()["chat_id"]))

    async def delete_chat(self) -> None:
        chat = self.chats.pop(self.rng.randrange(len(self.chats)))
        if await self.call("delete chat", "DELETE", f"/v1/chats/{chat.chat_id}", {204}):
            self.deleted_chats += 1

    async def append(self, chat: WorkerChat) -> None:
        line = f"w{self.number} n{len(chat.appended)} ".encode() + b"a" * 180 + b"\n"
        url = f"/v1/chats/{chat.chat_id}/history"
        response = await self.call("append", "POST", url, {200}, content=line)
        if response is not None and response.status_code == 200:
            chat.appended.append(line)

    async def upload(self, chat: WorkerChat) -> None:
        size = int(64 * KIB * 64 ** self.rng.random())  # log-uniform in 64 KiB .. 4 MiB
        offset = self.rng.randrange(len(NOISE) - size)
        content = NOISE[offset : offset + size]
        name = f"f{self.rng.randrange(6)}.bin"
        url = f"/v1/chats/{chat.chat_id}/files?name={name}"
        response = await self.call("upload", "POST", url, {201}, content=content)
        if response is not None and response.status_code == 201:
            stored = response.json()["files"][0]
            if stored["sha256"] != hashlib.sha256(content).hexdigest():
                self.tally.errors.append(f"upload: answered sha256 {stored['sha256']} differs")
            chat.files[name] = StoredFile(stored["file_id"], stored["sha256"], size)

    async def download(self, chat: WorkerChat) -> None:
        name, stored = self.rng.choice(sorted(chat.files.items()))
        url = f"/v1/chats/{chat.chat_id}/files/{stored.file_id}/content"
        response = await self.call("download", "GET", url, {200})
        if response is not None and hashlib.sha256(response.content).hexdigest() != stored.sha256:
            self.tally.errors.append(f"download: {name} came back with other bytes")

    async def delete_file(self, chat: WorkerChat) -> None:
        name, stored = self.rng.choice(sorted(chat.files.items()))
        url = f"/v1/chats/{chat.chat_id}/files/{stored.file_id}"
        if await self.call("delete file", "DELETE", url, {204}):
            del chat.files[name]

    async def list_something(self, chat: WorkerChat) -> None:
        if self.rng.random() < 0.5:
            await self.call("list chats", "GET", "/v1/chats", {200})
        else:
            await self.call("list files", "GET", f"/v1/chats/{chat.chat_id}/files", {200})

    async def run(self, deadline: float) -> None:
        await self.create_chat()
        while time.monotonic() < deadline and self.chats:
            chat = self.rng.choice(self.chats)
            roll = self.rng.random()
            if roll < 0.05 and len(self.chats) < 4:
                await self.create_chat()
            elif roll < 0.07 and len(self.chats) > 1:
                await self.delete_chat()
            elif roll < 0.40:
                await self.append(chat)
            elif roll < 0.58:
                await self.upload(chat)
            elif roll < 0.78 and chat.files:
                await self.download(chat)
            elif roll < 0.86 and chat.files:
                await self.delete_file(chat)
            else:
                await self.list_something(chat)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def sample_memory(pid: int, tally: Tally, deadline: float) -> None:
    """In a thread of its own, so that a busy event loop does not thin out the samples."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        tally.rss_kib.append((time.monotonic() - started, rss_kib(pid)))
        time.sleep(0.2)


async def watch_quotas(
    client: httpx.AsyncClient, users: list[User], tally: Tally, deadline: float
) -> None:
    while time.monotonic() < deadline:
        for user in users:
            workspace = (await client.get("/v1/workspace", headers=user.headers)).json()
            if workspace["used_bytes"] > workspace["quota_bytes"]:
                tally.overshoots.append(f"{workspace['used_bytes']} > {workspace['quota_bytes']}")
        await asyncio.sleep(0.5)


async def mixed_load(
    url: str, pid: int, users: list[User], clients: int, seconds: float, seed: int
) -> tuple[Tally, list[Worker]]:
    tally = Tally()
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        for user in users:
            body = {"quota_bytes": user.quota_bytes}
            workspace = (await client.put("/v1/workspace", headers=user.headers, json=body)).json()
            user.workspace_id = workspace["workspace_id"]
        workers = [
            Worker(n, users[n % len(users)], client, tally, random.Random(seed + n))
            for n in range(clients)
        ]
        deadline = time.monotonic() + seconds
        sampler = threading.Thread(target=sample_memory, args=(pid, tally, deadline))
        sampler.start()
        await asyncio.gather(
            watch_quotas(client, users, tally, deadline), *(w.run(deadline) for w in workers)
        )
        sampler.join()
    return tally, workers
