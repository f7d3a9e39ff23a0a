from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from test.e2e.server import RunningServer


def test_chat_life_through_a_real_server(tmp_path: Path) -> None:
    """A real server: workspace 201, chat, history writes and reads, delete; bytes on disk."""
    data_dir = tmp_path / "data"
    user = {"X-User-Id": str(uuid.uuid4())}
    with RunningServer(data_dir) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        workspace = client.put("/v1/workspace", headers=user)
        assert workspace.status_code == 201
        chat = client.post("/v1/chats", headers=user, json={"title": "e2e"}).json()
        path = f"/v1/chats/{chat['chat_id']}/history"
        assert client.put(path, headers=user, content=b"# e2e\n").status_code == 200
        assert client.post(path, headers=user, content=b"appended\n").status_code == 200
        assert client.get(path, headers=user).content == b"# e2e\nappended\n"
        on_disk = (
            data_dir / "workspaces" / chat["workspace_id"] / "chats" / chat["chat_id"]
        ) / "history.md"
        assert on_disk.read_bytes() == b"# e2e\nappended\n"
        assert client.get("/v1/workspace", headers=user).json()["used_bytes"] == 15
    assert "Traceback" not in server.log


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_is_clean(tmp_path: Path, signal_number: int) -> None:
    """SIGTERM and SIGINT stop the server with exit code 0 and no traceback."""
    with RunningServer(tmp_path / "data") as server:
        httpx.put(f"{server.url}/v1/workspace", headers={"X-User-Id": str(uuid.uuid4())})
        code = server.stop(signal_number)
    assert code == 0
    assert "Traceback" not in server.log
    assert "ready on http://127.0.0.1:" in server.log


def test_flags_win_over_environment(tmp_path: Path) -> None:
    """CHATKEEP_QUOTA_BYTES sets the default quota; --quota-bytes wins over it."""
    user = {"X-User-Id": str(uuid.uuid4())}
    env = {"CHATKEEP_QUOTA_BYTES": "5000"}
    with RunningServer(tmp_path / "a", env=env) as server:
        assert httpx.put(f"{server.url}/v1/workspace", headers=user).json()["quota_bytes"] == 5000
    with RunningServer(tmp_path / "b", "--quota-bytes", "7000", env=env) as server:
        assert httpx.put(f"{server.url}/v1/workspace", headers=user).json()["quota_bytes"] == 7000


def test_api_token_flag_is_enforced(tmp_path: Path) -> None:
    """--api-token makes /v1 require the bearer token."""
    user = {"X-User-Id": str(uuid.uuid4())}
    with RunningServer(tmp_path / "data", "--api-token", "tok") as server:
        denied = httpx.put(f"{server.url}/v1/workspace", headers=user)
        assert denied.status_code == 401
        allowed = httpx.put(
            f"{server.url}/v1/workspace", headers={**user, "Authorization": "Bearer tok"}
        )
        assert allowed.status_code == 201


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--port", "eighty"], {}, "port"),
        (["--port", "70000"], {}, "port"),
        (["--quota-bytes", "-1"], {}, "quota_bytes"),
        (["--quota-bytes", str(2**63)], {}, "quota_bytes"),
        (["--chat-ttl", "1e20"], {}, "chat_ttl_seconds"),
        (["--chat-ttl", "inf"], {}, "chat_ttl_seconds"),
        (["--chat-ttl", "1e11"], {}, "chat_ttl_seconds"),
        ([], {"CHATKEEP_PORT": "x"}, "port"),
        (["--data-dir", "/proc/version/data"], {}, "not writable"),
    ],
)
def test_bad_configuration_is_one_line_without_traceback(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    """Bad configuration exits non-zero with one clear line on stderr."""
    command = [sys.executable, "-m", "chatkeep", "serve", *args]
    if "--data-dir" not in args:
        command += ["--data-dir", str(tmp_path / "data")]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=30, env={**os.environ, **env}
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("blocked", ["workspaces", "tmp", "journal", "processes", "sqlite-dir"])
def test_a_directory_the_server_cannot_write_stops_it_before_ready(
    tmp_path: Path, blocked: str
) -> None:
    """A data directory the server can write, with one of the directories it writes inside it
    unusable (or the directory of a SQLite URL's file), exits non-zero with one line naming
    that directory, before logging ready (with workspaces/ read-only it logged ready and
    answered 500 to every PUT /v1/workspace). A regular file in the directory's place stops
    root too, where permission bits (chmod 0o555) do not."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    command = [sys.executable, "-m", "chatkeep", "serve", "--port", "0"]
    command += ["--data-dir", str(data_dir)]
    unusable = data_dir / blocked
    if blocked == "sqlite-dir":
        unusable = tmp_path / "metadata"
        command += ["--metadata", f"sqlite+aiosqlite:///{unusable}/metadata.sqlite3"]
    unusable.write_bytes(b"not a directory")
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{unusable} is not writable: it is not a directory" in lines[0]
    assert "Traceback" not in result.stderr
    assert "ready" not in result.stderr
