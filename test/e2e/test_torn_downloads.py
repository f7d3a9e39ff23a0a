"""A download whose file a sandbox rewrites in place while it is served ends with the
connection aborted before the last byte, never as a complete response holding bytes of two
versions (contract 1.1, "Hostile trees and resource limits"; decision record 023). A writer
in this process rewrites the attachment mid-download, against a real server: with sendfile
(`chatkeep serve`), and streamed in chunks (the same protocol without its sendfile
extension, serving in this process)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from chatkeep.http.app import build_app
from chatkeep.http.server.connection_limits import ConnectionLimits
from chatkeep.http.server.protocol import GuardedHttpToolsProtocol
from chatkeep.http.server.zerocopy import SENDFILE
from chatkeep.usecase.ports import Ports
from test.e2e.conftest import LiveChat
from test.e2e.server import RunningServer

MIB = 1024 * 1024
OLD, NEW = b"d", b"e"  # the bytes of the version uploaded, and of the sandbox's rewrite


def rewrite_in_place(path: Path) -> None:
    """What a sandbox does: the same file, the same size, other bytes."""
    with open(path, "r+b") as file:
        for _ in range(path.stat().st_size // MIB):
            file.write(NEW * MIB)


def download(
    client: httpx.Client | None, url: str, headers: dict[str, str], rewrite_after: int, path: Path
) -> tuple[int, bytes, bool]:
    """GET `url`, rewriting `path` once `rewrite_after` bytes have arrived; answer the
    status, the bytes received and whether the response ended complete."""
    assert client is not None
    received = bytearray()
    with client.stream("GET", url, headers=headers) as response:
        try:
            for chunk in response.iter_bytes():
                if len(received) < rewrite_after <= len(received) + len(chunk):
                    rewrite_in_place(path)
                received += chunk
        except (httpx.RemoteProtocolError, httpx.ReadError):
            return response.status_code, bytes(received), False
        return response.status_code, bytes(received), True


@pytest.mark.parametrize("ranged", [False, True], ids=["whole", "range"])
def test_a_file_rewritten_during_a_sendfile_download_aborts_it(
    live: RunningServer, chat: LiveChat, ranged: bool
) -> None:
    """A 96 MiB attachment rewritten in place after the first 8 MiB went out: the download
    (200, or 206 for a Range) ends without its last bytes, connection reset, and the server
    logs why; a download after the rewrite is whole, of the new bytes only (it was a clean
    200 mixing both versions: its ETag and SHA-256 no longer held)."""
    stored = chat.upload_mib("big.bin", 96)
    url = f"{chat.files_url}/{stored['file_id']}/content"
    size = 96 * MIB
    headers = {**chat.headers, **({"Range": f"bytes=100-{size - 101}"} if ranged else {})}
    status, received, complete = download(
        chat.client, url, headers, 8 * MIB, chat.directory / "big.bin"
    )
    assert status == (206 if ranged else 200)
    assert not complete
    assert len(received) < (size - 200 if ranged else size)
    assert received.startswith(OLD * MIB)
    time.sleep(0.2)
    assert "aborted: the file changed while it was sent" in live.log
    after = chat.client.get(url, headers=chat.headers)
    assert (after.status_code, after.content.count(NEW)) == (200, size)


def test_bytes_queued_before_a_rewrite_are_of_the_version_checked(
    live: RunningServer, chat: LiveChat
) -> None:
    """A client that has read all but the last 2 MiB when the file is rewritten gets a
    complete response of the old bytes only: the server's check passed before the rewrite,
    and what still waited in the socket queues was copied, not sent with sendfile, whose
    queued pages the rewrite would have changed under the client (seen: a complete 200
    whose last 2 MiB were the new version)."""
    stored = chat.upload_mib("queued.bin", 96)
    size = 96 * MIB
    address = urlsplit(live.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(chat.download_head(stored["file_id"]).encode() + b"\r\n")
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        buffer = bytearray(body)
        while len(buffer) < size - 2 * MIB:
            buffer += sock.recv(MIB)
        time.sleep(0.5)  # the server sends the rest into the socket queues, and is done
        rewrite_in_place(chat.directory / "queued.bin")
        while len(buffer) < size and (chunk := sock.recv(MIB)):
            buffer += chunk
    assert len(buffer) == size
    assert buffer.count(OLD) == size


class ChunkedProtocol(GuardedHttpToolsProtocol):
    """chatkeep's protocol without its sendfile extension: responses stream in chunks."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.scope is not None:
            self.scope.get("extensions", {}).pop(SENDFILE, None)


@pytest.fixture
async def chunked_server(ports: Ports) -> AsyncIterator[str]:
    """The application over real sockets, served in this process without sendfile."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    protocol = ChunkedProtocol.with_limits(ConnectionLimits())
    config = uvicorn.Config(
        build_app(ports), http=protocol, lifespan="off", ws="none", log_level="critical"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    await task


@pytest.fixture
def caplog_http(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level("WARNING", logger="chatkeep.http"):
        yield caplog


@pytest.mark.parametrize("ranged", [False, True], ids=["whole", "range"])
async def test_a_file_rewritten_during_a_chunked_download_aborts_it(
    chunked_server: str, data_dir: Path, caplog_http: pytest.LogCaptureFixture, ranged: bool
) -> None:
    """Streamed in 1 MiB chunks, a 32 MiB attachment rewritten after the first 2 MiB
    arrived: the download ends without its last bytes, and a later one is whole."""
    user = {"X-User-Id": "5f0c6a52-8c1e-4d1a-9a55-0a6cf1b2c3d4"}
    size = 32 * MIB
    async with httpx.AsyncClient(base_url=chunked_server, timeout=30) as client:
        workspace = (await client.put("/v1/workspace", headers=user)).json()
        chat_id = (await client.post("/v1/chats", headers=user)).json()["chat_id"]
        upload = await client.post(
            f"/v1/chats/{chat_id}/files?name=f.bin", headers=user, content=OLD * size
        )
        url = f"/v1/chats/{chat_id}/files/{upload.json()['files'][0]['file_id']}/content"
        path = data_dir / "workspaces" / workspace["workspace_id"] / "chats" / chat_id / "f.bin"
        headers = {**user, **({"Range": f"bytes=10-{size - 11}"} if ranged else {})}
        received = bytearray()
        outcome: dict[str, Any] = {}
        async with client.stream("GET", url, headers=headers) as response:
            outcome["status"] = response.status_code
            try:
                async for chunk in response.aiter_bytes():
                    if len(received) < 2 * MIB <= len(received) + len(chunk):
                        rewrite_in_place(path)
                    received += chunk
                outcome["complete"] = True
            except (httpx.RemoteProtocolError, httpx.ReadError):
                outcome["complete"] = False
        assert outcome == {"status": 206 if ranged else 200, "complete": False}
        assert len(received) < size - 20
        assert "aborted: the file changed while it was sent" in caplog_http.text
        after = await client.get(url, headers=user)
        assert after.content == NEW * size
