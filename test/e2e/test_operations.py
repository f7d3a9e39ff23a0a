"""Operations through a real `chatkeep serve` (contract 1.1, "Operations"): access lines and
every other log line in the chosen format, request ids on the protocol's own answers,
readiness, --version and the help texts."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from chatkeep.http.openapi import openapi_document
from test.e2e.server import RunningServer
from test.postgres import ThrowawayPostgres, server_binaries

ACCESS_KEYS = {
    "ts",
    "level",
    "event",
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
    "bytes_in",
    "bytes_out",
    "request_id",
    "user_id",
}
TOKEN = "tok-0123456789-secret"


def chatkeep(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chatkeep", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def json_lines(server: RunningServer) -> list[dict[str, object]]:
    time.sleep(0.2)  # the reader thread takes the last lines
    return [json.loads(line) for line in server.lines]


def test_json_access_lines_have_exactly_the_contracts_keys(tmp_path: Path) -> None:
    """With --log-format json, each request is one JSON line with exactly the contract's
    keys and values (path without query, route template, integers, user_id null when
    absent, the answer's request id); the token appears on no line; every other line of
    the process is JSON too, with ts, level and event."""
    user = str(uuid.uuid4())
    auth = {"Authorization": f"Bearer {TOKEN}", "X-User-Id": user}
    with RunningServer(tmp_path / "data", "--log-format", "json", "--api-token", TOKEN) as server:
        with httpx.Client(base_url=server.url, headers=auth) as client:
            client.put("/v1/workspace").raise_for_status()
            chat = client.post("/v1/chats", json={"title": "ops"}).json()["chat_id"]
            history = f"/v1/chats/{chat}/history"
            written = client.put(f"{history}?note=secret-query", content=b"0123456789")
            read = client.get(history, headers={"X-Request-Id": "trace-42"})
            refused = httpx.get(f"{server.url}/v1/workspace")  # no token, no user
        server.stop()
    lines = json_lines(server)
    assert all({"ts", "level", "event"} <= set(line) for line in lines)
    assert not any(TOKEN in text for text in server.lines)
    access = [line for line in lines if line["event"] == "request"]
    assert len(access) == 5
    assert all(set(line) == ACCESS_KEYS for line in access)
    put = next(line for line in access if line["method"] == "PUT" and "history" in line["path"])
    assert put == {
        **put,
        "path": history,
        "route": "/v1/chats/{chat_id}/history",
        "status": 200,
        "bytes_in": 10,
        "request_id": written.headers["x-request-id"],
        "user_id": user,
        "level": "info",
    }
    assert isinstance(put["duration_ms"], float | int)
    assert put["duration_ms"] >= 0
    assert isinstance(put["bytes_out"], int)
    assert put["bytes_out"] == len(written.content)
    get = next(line for line in access if line["request_id"] == "trace-42")
    assert (get["bytes_out"], read.headers["x-request-id"]) == (10, "trace-42")
    denied = next(line for line in access if line["status"] == 401)
    assert denied["user_id"] is None
    assert denied["request_id"] == refused.headers["x-request-id"]
    assert any("chatkeep ready on http://" in str(line["event"]) for line in lines)


def test_text_lines_and_no_access_log(tmp_path: Path) -> None:
    """By default lines are text, key='value', an access line per request; with
    --no-access-log the other lines stay and no access line is written."""
    headers = {"X-User-Id": str(uuid.uuid4()), "X-Request-Id": "text-1"}
    with RunningServer(tmp_path / "a") as server:
        httpx.put(f"{server.url}/v1/workspace", headers=headers)
        server.stop()
    [line] = [text for text in server.lines if "event='request'" in text]
    assert re.match(
        r"ts='\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z' level='info' event='request'", line
    )
    assert "request_id='text-1'" in line
    assert "status=201" in line
    with RunningServer(tmp_path / "b", "--no-access-log") as quiet:
        httpx.put(f"{quiet.url}/v1/workspace", headers=headers)
        quiet.stop()
    assert not any("event='request'" in text for text in quiet.lines)
    assert any("chatkeep ready on" in text for text in quiet.lines)


def test_a_malformed_head_is_answered_and_logged_with_a_request_id(tmp_path: Path) -> None:
    """A head the HTTP parser refuses is a JSON 400 whose body and X-Request-Id carry the
    caller's id (read before the fault), and it has its access line and its count."""
    with RunningServer(tmp_path / "data", "--log-format", "json") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(
                b"POST /v1/workspace HTTP/1.1\r\nHost: x\r\nX-Request-Id: bad-head-1\r\n"
                b"Content-Length: 12x\r\n\r\n"
            )
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
        metrics = httpx.get(f"{server.url}/metrics").text
        server.stop()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"x-request-id: bad-head-1" in head.lower()
    assert json.loads(body)["error"]["request_id"] == "bad-head-1"
    [line] = [line for line in json_lines(server) if line.get("request_id") == "bad-head-1"]
    assert (line["status"], line["route"], line["method"]) == (400, "unmatched", "POST")
    assert line["bytes_out"] == len(body)
    assert 'chatkeep_http_requests_total{method="POST",route="unmatched",status="400"} 1.0' in (
        metrics
    )


def test_a_request_line_the_parser_refuses_is_logged_without_a_method(tmp_path: Path) -> None:
    """A request line refused before its target (an unknown method, garbage) is logged with
    an empty method and path and counted under method "other", with the bytes of the JSON
    body sent: not under whatever method the parser last held (it read DELETE)."""
    with RunningServer(tmp_path / "data", "--log-format", "json") as server:
        port = int(server.url.rsplit(":", 1)[1])
        bodies = []
        for line in (b"BREW7 / HTTP/1.1", b"GARBAGE"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                raw.sendall(line + b"\r\nHost: x\r\n\r\n")
                answer = b""
                while chunk := raw.recv(65536):
                    answer += chunk
            bodies.append(answer.partition(b"\r\n\r\n")[2])
        metrics = httpx.get(f"{server.url}/metrics").text
        server.stop()
    ids = [json.loads(body)["error"]["request_id"] for body in bodies]
    lines = [line for line in json_lines(server) if line.get("request_id") in ids]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [("", "", 400)] * 2
    assert [line["bytes_out"] for line in lines] == [len(body) for body in bodies]
    assert 'method="DELETE"' not in metrics
    assert 'chatkeep_http_requests_total{method="other",route="unmatched",status="400"} 2.0' in (
        metrics
    )


def test_readyz_is_503_below_the_minimum_free_space(tmp_path: Path) -> None:
    """--min-free-bytes above the filesystem's free space makes /readyz 503, free_space
    saying why, while /healthz stays 200."""
    with RunningServer(tmp_path / "data", "--min-free-bytes", str(2**62)) as server:
        ready = httpx.get(f"{server.url}/readyz")
        live = httpx.get(f"{server.url}/healthz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert "under the minimum" in ready.json()["checks"]["free_space"]
    assert live.status_code == 200


@pytest.mark.skipif(server_binaries() is None, reason="PostgreSQL server binaries not installed")
def test_readyz_is_503_when_the_metadata_store_is_gone(tmp_path: Path) -> None:
    """Ready on a PostgreSQL database; once PostgreSQL is stopped, /readyz answers 503 with
    the metadata check's reason, within the probe's time."""
    binaries = server_binaries()
    assert binaries is not None
    postgres = ThrowawayPostgres(binaries)
    postgres.start()
    try:
        url = asyncio.run(postgres.new_database())
        with RunningServer(tmp_path / "data", "--metadata", url) as server:
            assert httpx.get(f"{server.url}/readyz").status_code == 200
            postgres.stop()
            started = time.monotonic()
            gone = httpx.get(f"{server.url}/readyz", timeout=10)
            assert time.monotonic() - started < 5
    finally:
        postgres.stop()
    assert gone.status_code == 503
    checks = gone.json()["checks"]
    assert checks["metadata"] != "ok"
    assert checks["data_dir_writable"] == "ok"


def test_version() -> None:
    """`chatkeep --version` prints `chatkeep <version>` and exits 0: the package's version,
    which the OpenAPI document's info.version states too."""
    result = chatkeep("--version")
    assert result.returncode == 0
    assert result.stdout == f"chatkeep {version('chatkeep')}\n"
    assert openapi_document([])["info"]["version"] == version("chatkeep")


def test_help_texts() -> None:
    """`chatkeep --help` describes the program and its command, `chatkeep serve --help` its
    flags with their variables; no module docstring leaks into either."""
    main = chatkeep("--help")
    assert main.returncode == 0
    assert "workspace and chat storage for AI-sandbox orchestrators" in main.stdout
    assert "serve" in main.stdout
    assert "--version" in main.stdout
    serve = chatkeep("serve", "--help")
    assert serve.returncode == 0
    for flag in ("--log-format", "--log-level", "--no-access-log", "--min-free-bytes"):
        assert flag in serve.stdout
    assert "CHATKEEP_LOG_FORMAT" in serve.stdout
    for text in (main.stdout, serve.stdout):
        assert "one line on stderr" not in text
        assert "traceback" not in text.lower()


def test_a_bad_flag_of_serve_shows_serves_usage() -> None:
    """An unknown flag after `serve` exits 2 with serve's usage, naming the flag."""
    result = chatkeep("serve", "--bogus")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: chatkeep serve")
    assert "unrecognized arguments: --bogus" in result.stderr


@pytest.mark.parametrize("value", ["mongo", "mysql://user:hunter2@db/chatkeep", "sqlite:///x.db"])
def test_a_bad_metadata_value_names_the_accepted_forms(tmp_path: Path, value: str) -> None:
    """An unknown --metadata is one line naming the accepted forms, never repeating a
    URL's password."""
    data = str(tmp_path / "data")
    result = chatkeep("serve", "--data-dir", data, "--metadata", value)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "memory, sqlite" in line
    assert "postgresql+asyncpg://" in line
    assert "hunter2" not in line


def test_log_level_hides_info_lines(tmp_path: Path) -> None:
    """--log-level warning (CHATKEEP_LOG_LEVEL) keeps info lines, access lines included,
    out of the log; errors in the configuration are still one line."""
    env = {**os.environ, "CHATKEEP_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "chatkeep", "serve", "--port", "0"]
    command += ["--data-dir", str(tmp_path / "data")]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    process.terminate()
    _, stderr = process.communicate(timeout=20)
    assert "ready on" not in stderr
    assert "level='info'" not in stderr
    bad = chatkeep("serve", "--log-level", "loud", "--data-dir", str(tmp_path / "data"))
    assert bad.returncode == 2
    assert "log_level" in bad.stderr
