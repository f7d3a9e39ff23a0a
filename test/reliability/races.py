"""The deletion-write race harness: services on each metadata store, and one round.

A round makes a workspace of chats, each prepared for its write (an attachment for the
deletions of attachments, a file a sandbox wrote for rescans), moves the clock past the
pruning cut-off, then sends one write per chat and the deletion side by side, each
after a random delay of up to SPREAD_SECONDS. `check.py` then judges what it sees.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from chatkeep.bootstrap.metadata import Repositories, in_database, mirror_of
from chatkeep.bootstrap.ports import build_ports
from chatkeep.http.app import build_app
from chatkeep.repository.sql.engine import open_database, sqlite_url
from chatkeep.repository.sql.locks import AdvisoryKeyedLocks
from chatkeep.usecase.chats.prune import prune_idle_chats
from chatkeep.usecase.ports import Ports
from test.conftest import START, FakeClock

WRITES = ("history_put", "history_post", "messages", "upload", "sandbox_put", "patch", "rescan")
DELETIONS = ("chat_delete", "prune", "ttl_prune", "workspace_delete", "files_clear", "file_delete")
CHATS_PER_ROUND = 8
SPREAD_SECONDS = 0.03
# Chats are made at START and written at START + 10 s; pruning cuts at START + 5 s.
CUTOFF = START + timedelta(seconds=5)
TTL = timedelta(seconds=5)


@dataclass
class Service:
    """One chatkeep, or two replicas on one database and one data directory."""

    clients: list[httpx.AsyncClient]
    ports: list[Ports]
    data_dir: Path
    clock: FakeClock


@asynccontextmanager
async def open_service(
    store: str, data_dir: Path, postgres_url: str | None
) -> AsyncIterator[Service]:
    """`store`: memory, sqlite (one process), or postgres (two replicas)."""
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        repositories: list[Repositories | None] = [None]
        if store == "sqlite":
            engine = await open_database(sqlite_url(data_dir.parent / "metadata.sqlite3"))
            stack.push_async_callback(engine.dispose)
            repositories = [await mirror_of(engine)]
        elif store == "postgres":
            assert postgres_url is not None
            repositories = []
            for _ in range(2):
                engine = await open_database(postgres_url)
                stack.push_async_callback(engine.dispose)
                repositories.append(in_database(engine, shared=True))
        all_ports, clients = [], []
        for found in repositories:
            ports = build_ports(
                data_dir, default_quota_bytes=10**9, clock=clock, repositories=found
            )
            await ports.storage.start()
            stack.push_async_callback(ports.storage.close)
            if isinstance(ports.locks, AdvisoryKeyedLocks):
                stack.push_async_callback(ports.locks.close)
            transport = httpx.ASGITransport(app=build_app(ports), raise_app_exceptions=False)
            client = httpx.AsyncClient(transport=transport, base_url="http://chatkeep.test")
            stack.push_async_callback(client.aclose)
            all_ports.append(ports)
            clients.append(client)
        yield Service(clients, all_ports, data_dir, clock)


@dataclass
class Round:
    """What one round sent and was answered."""

    deletion: str
    write: str
    user: dict[str, str]
    workspace_id: str
    chats: list[str]
    old_files: dict[str, str] = field(default_factory=dict)  # chat -> its attachment's id
    written: dict[str, httpx.Response] = field(default_factory=dict)  # chat -> write answer
    deleted: list[httpx.Response] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)  # what a prune said it deleted

    def body(self, chat: str) -> bytes:
        """The bytes the write to `chat` sends (history text, message or attachment)."""
        return f"{self.write} of {chat}\n".encode()


async def run_round(service: Service, deletion: str, write: str, seed: int) -> Round:
    """Prepare a workspace, then race `deletion` against one `write` per chat."""
    rng = random.Random(seed)
    user = {"X-User-Id": str(uuid.uuid4())}
    first = service.clients[0]
    service.clock.current = START
    workspace = (await first.put("/v1/workspace", headers=user, json={})).json()
    chats = [
        (await first.post("/v1/chats", headers=user, json={})).json()["chat_id"]
        for _ in range(CHATS_PER_ROUND)
    ]
    race = Round(deletion, write, user, workspace["workspace_id"], chats)
    for chat in chats:
        if deletion in {"files_clear", "file_delete"}:
            answer = await first.post(
                f"/v1/chats/{chat}/files?name=old.txt", headers=user, content=b"old"
            )
            race.old_files[chat] = answer.json()["files"][0]["file_id"]
        if write == "rescan":  # a file a sandbox wrote, for the rescan to adopt
            path = (
                service.data_dir / "workspaces" / race.workspace_id / "chats" / chat / "sandbox.txt"
            )
            path.write_bytes(b"written by a sandbox\n")
    service.clock.advance(10)

    async def later(action: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(rng.uniform(0, SPREAD_SECONDS))
        await action()

    def writer(index: int, chat: str) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            client = service.clients[index % len(service.clients)]
            race.written[chat] = await _write(client, race, chat)

        return send

    actions = [writer(index, chat) for index, chat in enumerate(chats)]
    actions += _deletions(service, race)
    rng.shuffle(actions)
    await asyncio.gather(*(later(action) for action in actions))
    return race


async def clear_round(service: Service, race: Round) -> None:
    """Remove the round's workspace, so that the next round's TTL pruning, which walks
    every workspace, reaches its own while the writes are still in flight."""
    client = service.clients[0]
    for chat in race.chats:
        ended = await client.delete(f"/v1/chats/{chat}/sandbox", headers=race.user)
        assert ended.status_code in {204, 404}, ended.text
    removed = await client.delete("/v1/workspace", headers=race.user)
    assert removed.status_code in {204, 404}, removed.text


async def _write(client: httpx.AsyncClient, race: Round, chat: str) -> httpx.Response:
    base, user, body = f"/v1/chats/{chat}", race.user, race.body(chat)
    if race.write == "history_put":
        return await client.put(f"{base}/history", headers=user, content=body)
    if race.write == "history_post":
        return await client.post(f"{base}/history", headers=user, content=body)
    if race.write == "messages":
        message = {"role": "user", "content": body.decode()}
        return await client.post(f"{base}/messages", headers=user, json=message)
    if race.write == "upload":
        return await client.post(f"{base}/files?name=new.txt", headers=user, content=body)
    if race.write == "sandbox_put":
        return await client.put(f"{base}/sandbox", headers=user, json={"sandbox_id": "sb"})
    if race.write == "patch":
        return await client.patch(base, headers=user, json={"title": body.decode()})
    assert race.write == "rescan"
    return await client.post(f"{base}/rescan", headers=user)


def _deletions(service: Service, race: Round) -> list[Callable[[], Awaitable[None]]]:
    # The deletion goes through the last replica, the writes alternate over all of them.
    client, user = service.clients[-1], race.user

    async def send(method: str, url: str) -> None:
        race.deleted.append(await client.request(method, url, headers=user))

    async def prune() -> None:
        answer = await client.delete(
            "/v1/chats", headers=user, params={"updated_before": CUTOFF.isoformat()}
        )
        race.deleted.append(answer)
        if answer.status_code == 200:
            race.pruned += answer.json()["deleted"]

    async def ttl_prune() -> None:  # what `--chat-ttl` runs in the background
        for pruned in (await prune_idle_chats(service.ports[-1], TTL)).values():
            race.pruned += [str(chat_id) for chat_id in pruned.deleted]

    def each(url: Callable[[str], str]) -> list[Callable[[], Awaitable[None]]]:
        return [lambda chat=chat: send("DELETE", url(chat)) for chat in race.chats]

    if race.deletion == "chat_delete":
        return each(lambda chat: f"/v1/chats/{chat}")
    if race.deletion == "files_clear":
        return each(lambda chat: f"/v1/chats/{chat}/files")
    if race.deletion == "file_delete":
        return each(lambda chat: f"/v1/chats/{chat}/files/{race.old_files[chat]}")
    if race.deletion == "workspace_delete":
        return [lambda: send("DELETE", "/v1/workspace")]
    return [prune if race.deletion == "prune" else ttl_prune]
