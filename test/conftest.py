from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from chatkeep.bootstrap.ports import build_ports
from chatkeep.bootstrap.settings import Settings
from chatkeep.http.app import build_app
from chatkeep.usecase.ports import Ports
from test.disk import remove_deep_trees
from test.gluster import GlusterFailed, ThrowawayVolume, unavailable
from test.postgres import ThrowawayPostgres, server_binaries

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
async def ports(data_dir: Path, clock: FakeClock) -> AsyncIterator[Ports]:
    ports = build_ports(data_dir, default_quota_bytes=Settings().quota_bytes, clock=clock)
    await ports.storage.start()
    yield ports
    await ports.storage.close()


@pytest.fixture
def api_token() -> str | None:
    return None


@pytest.fixture
def app(ports: Ports, api_token: str | None) -> Starlette:
    return build_app(ports, api_token=api_token)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://chatkeep.test") as client:
        yield client


@pytest.fixture
def user() -> dict[str, str]:
    """Headers of a fresh user."""
    return {"X-User-Id": str(uuid.uuid4())}


async def make_chat(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> str:
    """Ensure the user's workspace and create a chat in it; answer the chat id."""
    quota = body.pop("quota_bytes", None)
    workspace = {} if quota is None else {"quota_bytes": quota}
    assert (await client.put("/v1/workspace", headers=headers, json=workspace)).is_success
    created = await client.post("/v1/chats", headers=headers, json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["chat_id"])


def chat_path(data_dir: Path, workspace_id: str, chat_id: str) -> Path:
    return data_dir / "workspaces" / workspace_id / "chats" / chat_id


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    """One PostgreSQL server for the whole run; skipped, with the reason, where the
    server binaries are not installed (CI installs them: see .ci/run)."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, postgres) are not installed; "
            "`apt-get install postgresql` (as .ci/run does) runs these tests"
        )
    server = ThrowawayPostgres(binaries)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
async def postgres_url(postgres: ThrowawayPostgres) -> str:
    """A fresh, empty database on the throwaway server."""
    return await postgres.new_database()


@pytest.fixture(scope="session")
def gluster_volume() -> Iterator[ThrowawayVolume]:
    """One GlusterFS volume for the whole run, mounted twice (two clients, as on two
    hosts); skipped, with the reason, where this machine cannot run GlusterFS."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    volume = ThrowawayVolume(caching=os.environ.get("CHATKEEP_GLUSTER_CACHING") == "on")
    try:
        try:
            volume.start()
        except (GlusterFailed, OSError) as error:
            pytest.skip(f"GlusterFS is installed but a volume could not be set up: {error}")
        yield volume
    finally:
        volume.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove what is deep in this run's temporary directories (a test that failed
    before its own clean-up may leave a tree thousands of levels deep): a later run's
    pytest removes old temporary directories with shutil.rmtree, which recurses, and
    would fail to start on such a tree (test/disk.py, remove_tree)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = getattr(factory, "_basetemp", None)
    if basetemp is not None and basetemp.is_dir():
        remove_deep_trees(basetemp)
