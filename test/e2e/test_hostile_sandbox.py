"""A sandbox plants everything it can in its chat directory; chatkeep neither leaks,
modifies anything outside, nor hangs."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from test.e2e.conftest import LiveChat, new_chat
from test.e2e.server import RunningServer

SECRET = b"host secret: never served, never changed\n"
SPARSE_BYTES = 100 * 1024 * 1024


@dataclass
class Host:
    """Things outside every chat directory that a sandbox may point links at."""

    file: Path
    directory: Path

    def snapshot(self) -> tuple[int, int, int, int, list[str]]:
        """Its metadata, read without reading the file (which would move its atime)."""
        info = self.file.stat()
        return (
            info.st_atime_ns,
            info.st_mtime_ns,
            info.st_ctime_ns,
            info.st_size,
            sorted(os.listdir(self.directory)),
        )

    def unchanged(self, before: tuple[int, int, int, int, list[str]]) -> bool:
        """Nothing read or wrote it since `before`; its bytes are still the secret."""
        return self.snapshot() == before and self.file.read_bytes() == SECRET


@pytest.fixture
def host(tmp_path: Path) -> Host:
    directory = tmp_path / "host-dir"
    directory.mkdir()
    (directory / "keep.txt").write_bytes(b"keep")
    file = tmp_path / "host-secret.txt"
    file.write_bytes(SECRET)
    # An access time older than the modification time: any read would move it (relatime).
    info = file.stat()
    os.utime(file, ns=(info.st_mtime_ns - 10**12, info.st_mtime_ns))
    return host_of(file, directory)


def host_of(file: Path, directory: Path) -> Host:
    return Host(file, directory)


class Poller:
    """Keeps asking /healthz in the background and records the slowest answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.slowest = 0.0
        self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                assert client.get("/healthz").status_code == 200
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.answers += 1
                time.sleep(0.01)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def plant_everything(chat: LiveChat, host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a hostile sandbox can leave, including over names the API knows."""
    directory = chat.directory
    (directory / "history.md").unlink()
    (directory / "history.md").symlink_to(host.file)
    (directory / "attached.txt").unlink()
    (directory / "attached.txt").symlink_to(host.file)
    (directory / "hostdir").symlink_to(host.directory)
    (directory / "fifo-attachment").unlink()
    os.mkfifo(directory / "fifo-attachment")
    monkeypatch.chdir(directory)  # a socket path is limited to 108 bytes
    server = socket.socket(socket.AF_UNIX)
    server.bind("sock")
    server.close()
    (directory / "real.bin").write_bytes(b"r" * 1000)
    os.link(directory / "real.bin", directory / "hardlink.bin")
    (directory / "tree" / "a" / "b").mkdir(parents=True)
    (directory / "tree" / "a" / "b" / "deep.bin").write_bytes(b"d" * 500)
    (directory / "tree" / "escape").symlink_to(host.directory)
    with open(directory / "sparse.bin", "wb") as sparse:
        sparse.truncate(SPARSE_BYTES)


@pytest.fixture
def planted(
    client: httpx.Client, live: RunningServer, host: Host, monkeypatch: pytest.MonkeyPatch
) -> LiveChat:
    chat = new_chat(client, live.data_dir, quota_bytes=10 * 1024**3)
    for name in ("attached.txt", "fifo-attachment"):
        url = f"{chat.files_url}?name={name}"
        assert client.post(url, headers=chat.headers, content=b"original").status_code == 201
    plant_everything(chat, host, monkeypatch)
    return chat


def test_every_request_on_a_planted_directory(
    planted: LiveChat, live: RunningServer, host: Host
) -> None:
    """Reads, writes, deletes, usage and rescans on a planted directory answer quickly,
    never serve the host file and never change it; deleting the chat and the workspace
    removes only what is inside."""
    chat, client, headers = planted, planted.client, planted.headers
    before = host.snapshot()
    history = f"/v1/chats/{chat.chat_id}/history"
    files = {f["name"]: f for f in client.get(chat.files_url, headers=headers).json()["files"]}
    bodies: list[bytes] = []
    with Poller(live.url) as poller:
        read = client.get(history, headers=headers)
        assert read.status_code == 200
        bodies.append(read.content)
        for name in ("attached.txt", "fifo-attachment"):
            content = client.get(
                f"{chat.files_url}/{files[name]['file_id']}/content", headers=headers
            )
            assert content.status_code == 404
            bodies.append(content.content)
        for name in ("fifo-attachment", "sock", "hostdir", "tree"):
            refused = client.post(f"{chat.files_url}?name={name}", headers=headers, content=b"x")
            assert refused.status_code == 409, name
        rescan = client.post(f"/v1/chats/{chat.chat_id}/rescan", headers=headers)
        assert rescan.status_code == 200
        adopted = {f["name"] for f in rescan.json()["files"]}
        assert adopted == {"real.bin", "hardlink.bin", "sparse.bin"}
        assert chat.used_bytes() == 1000 + 500 + SPARSE_BYTES
        for f in rescan.json()["files"]:
            body = client.get(f"{chat.files_url}/{f['file_id']}/content", headers=headers)
            assert body.status_code == 200
            assert hashlib.sha256(body.content).hexdigest() == f["sha256"]
            bodies.append(body.content[:4096])
        assert client.post(history, headers=headers, content=b"appended").status_code == 200
        assert not (chat.directory / "history.md").is_symlink()
        assert client.get(history, headers=headers).content == b"appended"
        assert client.delete(chat.files_url, headers=headers).status_code == 204
        assert (chat.directory / "tree" / "a" / "b" / "deep.bin").exists()
        assert chat.used_bytes() == chat.disk_bytes() == 500 + len(b"appended")
        assert client.delete(f"/v1/chats/{chat.chat_id}", headers=headers).status_code == 204
        assert not chat.directory.exists()
        assert client.delete("/v1/workspace", headers=headers).status_code == 204
    assert poller.answers > 0
    assert poller.slowest < 2.0
    assert all(SECRET not in body for body in bodies)
    assert host.unchanged(before)
    assert chat.temp_files() == []


def test_workspace_deletion_with_planted_links(
    client: httpx.Client, live: RunningServer, host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting a workspace whose chat holds links, FIFOs and sockets unlinks them only."""
    chat = new_chat(client, live.data_dir)
    for name in ("attached.txt", "fifo-attachment"):
        client.post(f"{chat.files_url}?name={name}", headers=chat.headers, content=b"o")
    plant_everything(chat, host, monkeypatch)
    before = host.snapshot()
    assert client.delete("/v1/workspace", headers=chat.headers).status_code == 204
    assert not chat.directory.parent.parent.exists()
    assert host.unchanged(before)


def test_race_swapping_an_attachment_and_the_history(
    planted: LiveChat, live: RunningServer, host: Host
) -> None:
    """While a thread keeps swapping an attachment and history.md between a regular file,
    a symlink to a host file, a FIFO and a directory, downloads, appends, uploads and
    rescans never hang, never answer 5xx and never touch the host file."""
    chat = planted
    stored = chat.client.post(
        f"{chat.files_url}?name=swap.bin", headers=chat.headers, content=b"s" * 4096
    ).json()["files"][0]
    before = host.snapshot()
    stop = threading.Event()
    swaps = {"count": 0}

    def swapper() -> None:
        kinds = ["regular", "symlink", "fifo", "directory"]
        index = 0
        while not stop.is_set():
            kind = kinds[index % len(kinds)]
            for name in ("swap.bin", "history.md"):
                path = chat.directory / name
                try:
                    if path.is_dir() and not path.is_symlink():
                        os.rmdir(path)
                    elif path.exists() or path.is_symlink():
                        path.unlink()
                    if kind == "regular":
                        path.write_bytes(b"regular " * 100)
                    elif kind == "symlink":
                        path.symlink_to(host.file)
                    elif kind == "fifo":
                        os.mkfifo(path)
                    else:
                        path.mkdir()
                except (FileExistsError, FileNotFoundError, OSError):
                    pass
            index += 1
            swaps["count"] += 1
            time.sleep(0.001)

    statuses: list[int] = []
    bodies: list[bytes] = []
    errors: list[BaseException] = []

    def worker(job: str, rounds: int) -> None:
        try:
            with httpx.Client(base_url=live.url, timeout=10) as client:
                for _ in range(rounds):
                    if job == "download":
                        url = f"{chat.files_url}/{stored['file_id']}/content"
                        response = client.get(url, headers=chat.headers)
                    elif job == "history":
                        response = client.get(
                            f"/v1/chats/{chat.chat_id}/history", headers=chat.headers
                        )
                    elif job == "append":
                        url = f"/v1/chats/{chat.chat_id}/history"
                        response = client.post(url, headers=chat.headers, content=b"line\n")
                    elif job == "upload":
                        url = f"{chat.files_url}?name=swap.bin"
                        response = client.post(url, headers=chat.headers, content=b"u" * 2048)
                    else:
                        url = f"/v1/chats/{chat.chat_id}/rescan"
                        response = client.post(url, headers=chat.headers)
                    statuses.append(response.status_code)
                    bodies.append(response.content[:4096])
        except BaseException as error:  # a hang shows up here as a timeout
            errors.append(error)

    swapping = threading.Thread(target=swapper, daemon=True)
    swapping.start()
    jobs = ["download", "history", "append", "upload", "rescan"]
    workers = [threading.Thread(target=worker, args=(job, 60)) for job in jobs]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    stop.set()
    swapping.join(timeout=10)
    assert errors == []
    assert len(statuses) == 60 * len(jobs)
    assert all(status < 500 for status in statuses), sorted(set(statuses))
    assert swaps["count"] > 10
    assert all(SECRET not in body for body in bodies)
    assert host.unchanged(before)
    history = chat.directory / "history.md"
    if history.exists() and stat.S_ISREG(history.lstat().st_mode):
        assert SECRET not in history.read_bytes()


@pytest.mark.parametrize("deletion", ["DELETE", "prune", "workspace DELETE"])
@pytest.mark.parametrize("target", ["another chat", "a host directory"])
def test_a_chat_directory_replaced_by_a_symlink_is_deleted_not_its_target(
    client: httpx.Client, live: RunningServer, host: Host, target: str, deletion: str
) -> None:
    """The chat directory itself is a symlink: deleting the chat (by DELETE, pruning or
    the workspace's DELETE) unlinks the link and nothing else (the old deletion answered
    500, ENOTDIR, and left the link in tmp/); the directory it names, another chat's or
    the host's, keeps every entry, its times and its bytes."""
    chat = new_chat(client, live.data_dir)
    other = new_chat(client, live.data_dir)
    url = f"{other.files_url}?name=theirs.txt"
    assert client.post(url, headers=other.headers, content=b"theirs").status_code == 201
    pointed = other.directory if target == "another chat" else host.directory
    other_before = sorted(os.listdir(other.directory)), other.directory.stat().st_mtime_ns
    host_before = host.snapshot()
    shutil.rmtree(chat.directory)
    chat.directory.symlink_to(pointed)
    if deletion == "DELETE":
        answer = client.delete(f"/v1/chats/{chat.chat_id}", headers=chat.headers)
        assert answer.status_code == 204, answer.text
    elif deletion == "prune":
        before = {"updated_before": "2999-01-01T00:00:00Z"}
        answer = client.delete("/v1/chats", params=before, headers=chat.headers)
        assert answer.json() == {"deleted": [chat.chat_id], "skipped": []}, answer.text
    else:
        answer = client.delete("/v1/workspace", headers=chat.headers)
        assert answer.status_code == 204, answer.text
    assert not os.path.lexists(chat.directory)
    assert chat.temp_files() == []
    assert (sorted(os.listdir(other.directory)), other.directory.stat().st_mtime_ns) == (
        other_before
    )
    assert (other.directory / "theirs.txt").read_bytes() == b"theirs"
    assert host.unchanged(host_before)
