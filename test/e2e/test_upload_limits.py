"""Quota, concurrency, dropped connections, crashes and a full disk, against real servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from test.e2e import multipart_body as mp
from test.e2e.conftest import LiveChat, new_chat
from test.e2e.server import RunningServer


def raw_request(url: str, head: str, body: bytes = b"") -> socket.socket:
    """Open a connection and send a request head and (part of) a body, as a client might."""
    parts = urlsplit(url)
    connection = socket.create_connection((parts.hostname, parts.port), timeout=10)
    connection.sendall(head.encode() + b"\r\n" + body)
    return connection


def answer_of(url: str, head: str) -> bytes:
    """Send a request head alone and read all the server answers until it closes."""
    connection = raw_request(url, head)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    finally:
        connection.close()
    return received


def upload_head(chat: LiveChat, name: str, length: int) -> str:
    return (
        f"POST {chat.files_url}?name={name} HTTP/1.1\r\nHost: chatkeep\r\n"
        f"X-User-Id: {chat.headers['X-User-Id']}\r\nContent-Length: {length}\r\n"
    )


def wait_until(condition: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_declared_length_over_quota_is_refused_before_the_body(
    client: httpx.Client, live: RunningServer
) -> None:
    """A raw upload whose Content-Length cannot fit gets 413 and Connection: close at once,
    without the server waiting for a single body byte."""
    chat = new_chat(client, live.data_dir, quota_bytes=1000)
    received = answer_of(live.url, upload_head(chat, "big", 10_000_000))
    answer = received.decode("latin-1").lower()
    assert answer.startswith("http/1.1 413")
    assert "connection: close" in answer
    assert "workspace_quota_exceeded" in answer


def test_a_client_that_sends_its_whole_body_first_still_reads_the_413(
    client: httpx.Client, live: RunningServer
) -> None:
    """A client that writes its whole refused 8 MB body before reading (as most HTTP clients
    do) reads the 413, not a connection reset: the server lingers, dropping the body."""
    chat = new_chat(client, live.data_dir, quota_bytes=1000)
    for _ in range(3):
        connection = raw_request(live.url, upload_head(chat, "big", 8_000_000))
        connection.sendall(b"b" * 8_000_000)
        answer = connection.recv(65536).decode("latin-1")
        connection.close()
        assert answer.startswith("HTTP/1.1 413"), answer
        assert "workspace_quota_exceeded" in answer
    assert chat.temp_files() == []


def test_40_parallel_uploads_never_overshoot(client: httpx.Client, live: RunningServer) -> None:
    """40 uploads racing for a quota that fits 11: exactly 11 stored, 29 refused with 413."""
    size = 100_000
    chat = new_chat(client, live.data_dir, quota_bytes=11 * size + size // 2)

    def send(index: int) -> int:
        with httpx.Client(base_url=live.url, timeout=60) as own:
            data = os.urandom(size)
            url = f"{chat.files_url}?name=f{index:02d}.bin"
            return own.post(url, headers=chat.headers, content=data).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(send, range(40)))
    assert statuses.count(201) == 11
    assert statuses.count(413) == 29
    listed = client.get(chat.files_url, headers=chat.headers).json()["files"]
    assert len(listed) == 11
    assert chat.used_bytes() == chat.disk_bytes() == 11 * size


def test_multipart_over_quota_stores_nothing(client: httpx.Client, live: RunningServer) -> None:
    """A multipart upload whose third part passes the quota is 413 and stores no part."""
    chat = new_chat(client, live.data_dir, quota_bytes=250_000)
    body = mp.body(*(mp.file_part(f"{i}.bin", os.urandom(100_000)) for i in range(3)))
    response = client.post(chat.files_url, headers={**chat.headers, **mp.HEADERS}, content=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "workspace_quota_exceeded"
    assert sorted(os.listdir(chat.directory)) == ["history.md"]
    assert chat.used_bytes() == 0
    assert wait_until(lambda: chat.temp_files() == [])


def test_replacement_counts_the_replaced_file_as_freed(
    client: httpx.Client, live: RunningServer
) -> None:
    """With 90 of 100 kB used by one file, replacing it with 95 kB fits."""
    chat = new_chat(client, live.data_dir, quota_bytes=100_000)
    url = f"{chat.files_url}?name=f.bin"
    assert client.post(url, headers=chat.headers, content=b"a" * 90_000).status_code == 201
    assert client.post(url, headers=chat.headers, content=b"b" * 95_000).status_code == 201
    assert chat.used_bytes() == chat.disk_bytes() == 95_000


def test_dropped_connection_leaves_nothing(client: httpx.Client, live: RunningServer) -> None:
    """A client that disconnects mid-upload leaves no file, no temp file and no reservation."""
    chat = new_chat(client, live.data_dir, quota_bytes=4_000_000)
    # Past the in-memory spool and one flush, so that a temp file exists.
    connection = raw_request(
        live.url, upload_head(chat, "dropped.bin", 4_000_000), b"x" * 3_000_000
    )
    assert wait_until(lambda: any(n.endswith(".part") for n in chat.temp_files()))
    connection.close()
    assert wait_until(lambda: chat.temp_files() == [])
    assert sorted(os.listdir(chat.directory)) == ["history.md"]
    full = client.post(
        f"{chat.files_url}?name=whole.bin", headers=chat.headers, content=b"y" * 4_000_000
    )
    assert full.status_code == 201  # the dropped upload's reservation was released
    assert chat.used_bytes() == chat.disk_bytes() == 4_000_000


def test_kill_9_mid_upload_leaves_nothing_after_restart(tmp_path: Path) -> None:
    """SIGKILL while an upload streams in: no partial file in the chat directory, and the
    restarted server's temp area is clean."""
    data_dir = tmp_path / "data"
    with RunningServer(data_dir) as server, httpx.Client(base_url=server.url) as client:
        chat = new_chat(client, data_dir)
        connection = raw_request(
            server.url, upload_head(chat, "partial.bin", 50_000_000), b"z" * 8_000_000
        )
        assert wait_until(lambda: any(n.endswith(".part") for n in chat.temp_files()))
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        connection.close()
    assert sorted(os.listdir(chat.directory)) == ["history.md"]
    assert chat.temp_files() != []  # the crash did leave a partial body behind
    with RunningServer(data_dir):
        assert chat.temp_files() == []
        assert sorted(os.listdir(chat.directory)) == ["history.md"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, so that the disk really fills up."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "a full disk is simulated with a 4 MiB tmpfs, and mounting one needs root "
            f"(CI runs as root): {mounted.stderr.decode().strip()}"
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_is_507_and_leaves_nothing(small_disk: Path) -> None:
    """ENOSPC answers 507 insufficient_storage, leaves no partial file and frees the
    reservation; the history survives a failed replace."""
    data_dir = small_disk / "data"
    with RunningServer(data_dir) as server, httpx.Client(base_url=server.url) as client:
        chat = new_chat(client, data_dir)
        history = f"/v1/chats/{chat.chat_id}/history"
        client.put(history, headers=chat.headers, content=b"kept")
        too_big = os.urandom(8 * 1024 * 1024)
        response = client.post(
            f"{chat.files_url}?name=huge.bin", headers=chat.headers, content=too_big
        )
        assert response.status_code == 507
        assert response.json()["error"]["code"] == "insufficient_storage"
        replaced = client.put(history, headers=chat.headers, content=too_big.hex()[:8_000_000])
        assert replaced.status_code == 507
        assert client.get(history, headers=chat.headers).content == b"kept"
        assert sorted(os.listdir(chat.directory)) == ["history.md"]
        assert chat.temp_files() == []
        small = client.post(f"{chat.files_url}?name=ok.bin", headers=chat.headers, content=b"ok")
        assert small.status_code == 201
        assert chat.used_bytes() == chat.disk_bytes() == 6
