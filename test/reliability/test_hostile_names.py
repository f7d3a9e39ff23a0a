"""Arbitrary names against the upload routes: an accepted name is stored exactly as given,
a refused one leaves the data directory byte-identical."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatkeep.bootstrap.ports import build_ports
from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.domain.errors import InvalidAttachmentNameError
from chatkeep.http.app import build_app
from test.e2e import multipart_body as mp

HOSTILE = st.sampled_from(
    [
        "..", ".", "history.md", "a/b", "../../etc/passwd", "..\\x", "%2e%2e%2f", "%2F",
        "nul\x00", "\u202eevil", "\u2066iso", "x" * 255, "x" * 256, "é" * 128, "é" * 127,
        "caf\u00e9", "cafe\u0301", " ", "con", "a\r\nb", "\x85", "\ud800",
    ]
)  # fmt: skip
NAMES = st.one_of(
    HOSTILE, st.text(min_size=0, max_size=80), st.text(alphabet=st.characters(), max_size=300)
)


def snapshot(root: Path) -> dict[str, tuple[str, str]]:
    """Every entry under `root`: its kind and, for files, a hash of its bytes."""
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            relative = str(path.relative_to(root))
            if path.is_symlink():
                found[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                found[relative] = ("dir", "")
            else:
                found[relative] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def acceptable(name: str) -> bool:
    try:
        ChatAttachmentName(name)
    except InvalidAttachmentNameError:
        return False
    return True


class Service:
    """One app on one data directory, shared by all examples (fresh chat each time)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = build_ports(data_dir, default_quota_bytes=10**9)
        self.app = build_app(self.ports)
        self.user = {"X-User-Id": str(uuid.uuid4())}

    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def check(service: Service, name: str) -> None:
    await service.ports.storage.start()
    async for client in service.client():
        await client.put("/v1/workspace", headers=service.user)
        chat = (await client.post("/v1/chats", headers=service.user)).json()
        files_url = f"/v1/chats/{chat['chat_id']}/files"
        directory = (
            service.data_dir / "workspaces" / chat["workspace_id"] / "chats" / chat["chat_id"]
        )
        encoded = name.encode("utf-8", "surrogatepass")
        raw_url = f"{files_url}?name={quote(encoded, safe='')}"
        multipart = mp.body(
            mp.part(f"form-data; name=\"file\"; filename*=UTF-8''{quote(encoded, safe='')}", b"m")
        )
        for method, url, headers, content in (
            ("raw", raw_url, service.user, b"r"),
            ("multipart", files_url, {**service.user, **mp.HEADERS}, multipart),
        ):
            before = snapshot(service.data_dir)
            response = await client.post(url, headers=headers, content=content)
            if acceptable(name):
                assert response.status_code == 201, (method, name, response.text)
                assert response.json()["files"][0]["name"] == name
                assert name in os.listdir(directory)  # exactly as given, not normalised
            else:
                assert response.status_code == 400, (method, name, response.text)
                assert response.json()["error"]["code"] == "invalid_attachment_name"
                assert snapshot(service.data_dir) == before, (method, name)
    await service.ports.storage.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES)
def test_hostile_names(tmp_path: Path, name: str) -> None:
    """Every name is either stored exactly as given or refused without a trace on disk."""
    import asyncio

    asyncio.run(check(Service(tmp_path / uuid.uuid4().hex), name))


async def test_nfc_and_nfd_twins_are_two_files(tmp_path: Path) -> None:
    """'café' in NFC and in NFD are two names: two attachments, two files on disk."""
    service = Service(tmp_path / "data")
    await service.ports.storage.start()
    async for client in service.client():
        await client.put("/v1/workspace", headers=service.user)
        chat = (await client.post("/v1/chats", headers=service.user)).json()
        url = f"/v1/chats/{chat['chat_id']}/files"
        for name, body in (("caf\u00e9", b"nfc"), ("cafe\u0301", b"nfd")):
            response = await client.post(
                f"{url}?name={quote(name)}", headers=service.user, content=body
            )
            assert response.status_code == 201
        listed = (await client.get(url, headers=service.user)).json()["files"]
        assert sorted(f["name"] for f in listed) == sorted(["caf\u00e9", "cafe\u0301"])
