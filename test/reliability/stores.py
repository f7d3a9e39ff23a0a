"""A service on each durable metadata store, and requests sent as raw ASGI messages: for tests
of values at the limits of what the stores and libraries take."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Message

from chatkeep.bootstrap.metadata import in_database, in_memory, mirror_of
from chatkeep.bootstrap.ports import build_ports
from chatkeep.http.app import build_app
from chatkeep.repository.sql.engine import open_database, sqlite_url
from chatkeep.usecase.ports import Ports

# SQLite mirrored in memory is the default store; a SQLite URL keeps reads in the database
# too; PostgreSQL is the store several replicas share. Each has its own limits.
STORES = ("sqlite", "sqlite-url", "postgresql")


@dataclass
class Service:
    app: ASGIApp
    ports: Ports
    data_dir: Path
    client: httpx.AsyncClient
    user: dict[str, str]
    chat_id: str = ""
    file_id: str = ""
    workspace_id: str = ""

    @property
    def chat_dir(self) -> Path:
        return self.data_dir / "workspaces" / self.workspace_id / "chats" / self.chat_id

    def chat_entries(self) -> dict[str, int]:
        """The chat directory's entries and their sizes, and the temp area's entries."""
        entries = {p.name: p.stat().st_size for p in self.chat_dir.iterdir()}
        return {**entries, **{f"tmp/{p.name}": 0 for p in (self.data_dir / "tmp").iterdir()}}

    async def new_user(self) -> dict[str, str]:
        """A fresh user with a workspace."""
        user = {"X-User-Id": str(uuid.uuid4())}
        assert (await self.client.put("/v1/workspace", headers=user)).status_code == 201
        return user


@asynccontextmanager
async def service_on(
    store: str, data_dir: Path, request: pytest.FixtureRequest, api_token: str | None = None
) -> AsyncIterator[Service]:
    """A started service with metadata in `store` (one of STORES, or "memory"), a user, a
    chat and a 5-byte attachment."""
    data_dir.mkdir(parents=True)
    if store == "postgresql":
        url = await request.getfixturevalue("postgres").new_database()
    else:
        url = sqlite_url(data_dir / "metadata.sqlite3")
    engine = await open_database(url)
    if store == "memory":
        repositories = in_memory()
    elif store == "sqlite":
        repositories = await mirror_of(engine)
    else:
        repositories = in_database(engine, shared=store == "postgresql")
    ports = build_ports(data_dir, default_quota_bytes=10**9, repositories=repositories)
    await ports.storage.start()
    app = build_app(ports, api_token=api_token)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            token = {"Authorization": f"Bearer {api_token}"} if api_token else {}
            service = Service(app, ports, data_dir, client, {"X-User-Id": str(uuid.uuid4())})
            service.user.update(token)
            workspace = await client.put("/v1/workspace", headers=service.user)
            service.workspace_id = workspace.json()["workspace_id"]
            chat = await client.post("/v1/chats", headers=service.user)
            service.chat_id = chat.json()["chat_id"]
            upload = await client.post(
                f"/v1/chats/{service.chat_id}/files?name=a.txt",
                headers=service.user,
                content=b"hello",
            )
            service.file_id = upload.json()["files"][0]["file_id"]
            yield service
    finally:
        await ports.storage.close()
        # PostgreSQL's advisory locks hold one session for the process's life; a test's
        # service ends sooner.
        drop_session = getattr(ports.locks, "_drop_connection", None)
        if drop_session is not None:
            await drop_session()
        await engine.dispose()


@dataclass(frozen=True)
class RawAnswer:
    status: int
    body: bytes


async def raw_call(
    app: ASGIApp,
    method: str,
    target: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
) -> RawAnswer:
    """One request as the ASGI messages a server would send: header bytes go as they are,
    which an HTTP client would refuse to send (non-ASCII, huge numbers). A body without a
    Content-Length header gets one."""
    path, _, query = target.partition("?")
    if body and not any(name.lower() == b"content-length" for name, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in headers],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return RawAnswer(status, b"".join(chunks))


def refused(answer: RawAnswer, status: int, code: str) -> str | None:
    """None when `answer` is the JSON error `status` `code`; else what it was."""
    try:
        got = json.loads(answer.body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"{answer.status} {answer.body[:120]!r}"
    return None if (answer.status, got) == (status, code) else f"{answer.status} {got}"
