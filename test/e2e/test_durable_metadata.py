"""`chatkeep serve` on its default metadata (SQLite in the data directory): a SIGKILL
forgets nothing that was answered."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from test.e2e.server import RunningServer


def snapshot(client: httpx.Client) -> dict[str, object]:
    """Everything a client can see of its workspace."""
    chats = client.get("/v1/chats").json()["chats"]
    seen: dict[str, object] = {"workspace": client.get("/v1/workspace").json(), "chats": chats}
    for chat in chats:
        base = f"/v1/chats/{chat['chat_id']}"
        files = client.get(f"{base}/files").json()["files"]
        seen[chat["chat_id"]] = {
            "history": client.get(f"{base}/history").text,
            "messages": client.get(f"{base}/messages").json(),
            "files": files,
            "contents": [client.get(f"{base}/files/{f['file_id']}/content").content for f in files],
            "sandbox": _without_request_id(client.get(f"{base}/sandbox").json()),
        }
    return seen


def _without_request_id(body: dict[str, object]) -> dict[str, object]:
    """An answer as the store decides it: an error body's request id is the request's own
    (contract 1.1, "Operations"), different on every request."""
    error = body.get("error")
    if isinstance(error, dict):
        return {"error": {key: value for key, value in error.items() if key != "request_id"}}
    return body


def serve_command(data_dir: Path, metadata: str) -> list[str]:
    serve = [sys.executable, "-m", "chatkeep", "serve", "--port", "0"]
    return [*serve, "--data-dir", str(data_dir), "--metadata", metadata]


def test_everything_survives_sigkill_and_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the default metadata, workspaces, chats (title, status, order), history,
    messages, attachments (same id, sha256, created_at), usage and sandbox sessions are
    all there after kill -9."""
    monkeypatch.delenv("CHATKEEP_METADATA", raising=False)
    data_dir = tmp_path / "data"
    user = {"X-User-Id": str(uuid.uuid4())}
    other = {"X-User-Id": str(uuid.uuid4())}
    with RunningServer(data_dir) as server:
        assert (data_dir / "metadata.sqlite3").is_file()
        neighbour = httpx.Client(base_url=server.url, headers=other)
        neighbour.put("/v1/workspace").raise_for_status()
        neighbours_chat = neighbour.post("/v1/chats", json={"title": "n"}).json()["chat_id"]
        neighbour.post(f"/v1/chats/{neighbours_chat}/files?name=n.txt", content=b"n" * 77)
        neighbour_before = snapshot(neighbour)
        client = httpx.Client(base_url=server.url, headers=user)
        client.put("/v1/workspace", json={"quota_bytes": 10_000_000})
        first = client.post("/v1/chats", json={"title": "first"}).json()["chat_id"]
        second = client.post("/v1/chats").json()["chat_id"]
        client.patch(f"/v1/chats/{second}", json={"status": "archived"})
        client.put(f"/v1/chats/{first}/history", content=b"# Notes\n")
        client.post(f"/v1/chats/{first}/messages", json={"role": "user", "content": "hi"})
        client.post(f"/v1/chats/{first}/files?name=a.bin", content=b"a" * 5000)
        client.post(f"/v1/chats/{second}/files?name=b.txt", content=b"bee")
        client.put(f"/v1/chats/{second}/sandbox", json={"sandbox_id": "box", "lease_seconds": 600})
        before = snapshot(client)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
    with RunningServer(data_dir) as server:
        client = httpx.Client(base_url=server.url, headers=user)
        assert snapshot(client) == before
        neighbour = httpx.Client(base_url=server.url, headers=other)
        assert snapshot(neighbour) == neighbour_before
        refused = client.delete(f"/v1/chats/{second}")
        assert refused.status_code == 409  # the sandbox session survived too


def test_a_second_process_on_the_same_sqlite_data_dir_refuses_to_start(tmp_path: Path) -> None:
    """SQLite serves one process: a second serve on the same data directory exits 2 with
    one line, no traceback."""
    data_dir = tmp_path / "data"
    with RunningServer(data_dir, "--metadata", "sqlite"):
        second = subprocess.run(
            serve_command(data_dir, "sqlite"),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert second.returncode == 2
    assert "another chatkeep process serves" in second.stderr
    assert "Traceback" not in second.stderr


def test_a_bad_metadata_value_is_one_line(tmp_path: Path) -> None:
    """An unknown store, or a database that cannot be opened (unreachable, or a SQLite file
    that is not a database: its message took two lines), exits 2 with one line and no
    traceback."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "metadata.sqlite3").write_bytes(b"not a database" * 100)
    for value in ("mongo", "postgresql+asyncpg://nobody@127.0.0.1:1/none", "sqlite"):
        result = subprocess.run(
            serve_command(tmp_path / "data", value),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2, value
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_a_restart_repairs_what_changed_on_disk_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files deleted, added and chat directories lost or left over while the service
    was down are reconciled at start-up by the documented rules, and reported."""
    monkeypatch.delenv("CHATKEEP_METADATA", raising=False)
    data_dir = tmp_path / "data"
    user = {"X-User-Id": str(uuid.uuid4())}
    with RunningServer(data_dir) as server:
        client = httpx.Client(base_url=server.url, headers=user)
        workspace = client.put("/v1/workspace").json()["workspace_id"]
        kept = client.post("/v1/chats", json={"title": "kept"}).json()["chat_id"]
        lost = client.post("/v1/chats", json={"title": "lost"}).json()["chat_id"]
        client.post(f"/v1/chats/{kept}/files?name=a.txt", content=b"aaaa")
        client.post(f"/v1/chats/{lost}/files?name=b.txt", content=b"bb")
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
    chats = data_dir / "workspaces" / workspace / "chats"
    (chats / kept / "a.txt").unlink()
    (chats / kept / "new.md").write_bytes(b"# found\n")
    shutil.rmtree(chats / lost)
    stray = chats / str(uuid.uuid4())
    stray.mkdir()
    with RunningServer(data_dir) as server:
        client = httpx.Client(base_url=server.url, headers=user)
        files = client.get(f"/v1/chats/{kept}/files").json()["files"]
        assert [(f["name"], f["size_bytes"]) for f in files] == [("new.md", 8)]
        assert client.get(f"/v1/chats/{lost}/history").text == ""
        assert client.get(f"/v1/chats/{lost}/files").json()["files"] == []
        assert not stray.exists()
        assert client.get("/v1/workspace").json()["used_bytes"] == 8
    assert "start-up reconciliation" in server.log
    for repair in ("1 chat_dirs_made", "2 file_rows_dropped", "1 files_adopted"):
        assert repair in server.log
    assert "1 orphan_dirs_removed" in server.log
