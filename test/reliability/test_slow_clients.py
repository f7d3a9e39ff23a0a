"""Slow, idle and oversized clients against a real server with short timeouts: each is cut off
with a clear answer in bounded time, holding no memory and leaving nothing behind."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from test.e2e.conftest import LiveChat, new_chat
from test.e2e.server import RunningServer
from test.e2e.test_upload_limits import raw_request, upload_head

LIMITS = {
    "CHATKEEP_HEAD_TIMEOUT": "1",
    "CHATKEEP_BODY_TIMEOUT": "1",
    "CHATKEEP_SEND_TIMEOUT": "1",
    "CHATKEEP_KEEP_ALIVE_TIMEOUT": "1",
    "CHATKEEP_MAX_HEAD_BYTES": "16384",
    "CHATKEEP_MAX_HEADERS": "50",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One real server with one-second timeouts and a 16 KiB, 50-header head limit."""
    with RunningServer(tmp_path_factory.mktemp("slow") / "data", env=LIMITS) as server:
        yield server
    assert "Traceback" not in server.log, server.log


def read_until_closed(connection: socket.socket, seconds: float = 10) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    connection.settimeout(seconds)
    started = time.monotonic()
    received = bytearray()
    while chunk := connection.recv(65536):
        received += chunk
    return bytes(received), time.monotonic() - started


def error_code(response: bytes) -> tuple[int, str]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)["error"]["code"]


def rss_kib(server: RunningServer) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def test_a_connection_that_sends_nothing_is_closed(live: RunningServer) -> None:
    """A connection that never sends a byte is closed after the head timeout."""
    connection = raw_request(live.url, "")
    received, waited = read_until_closed(connection)
    assert received == b""
    assert 0.5 < waited < 6


def test_a_trickled_head_is_cut_off_despite_activity(live: RunningServer) -> None:
    """A slowloris head, one byte every 0.2 s, gets 408 once the head timeout passes, even
    though bytes keep arriving."""
    connection = raw_request(live.url, "")
    started = time.monotonic()
    answer = b""
    for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"s" * 100:
        try:
            connection.send(bytes([byte]))
        except OSError:
            break
        connection.settimeout(0.2)
        try:
            answer = connection.recv(65536)
        except TimeoutError:
            continue
        break
    assert error_code(answer) == (408, "request_timeout")
    assert time.monotonic() - started < 6


def test_a_stalled_upload_is_cut_off_and_leaves_nothing(chat: LiveChat) -> None:
    """An upload that stops sending half-way gets 408 after the body timeout; nothing of it is
    kept and its reservation is released."""
    connection = raw_request(str(chat.client.base_url), upload_head(chat, "s.bin", 10**6))
    connection.sendall(b"x" * 100_000)
    received, waited = read_until_closed(connection)
    assert error_code(received) == (408, "request_timeout")
    assert waited < 6
    assert sorted(p.name for p in chat.directory.iterdir()) == ["history.md"]
    assert chat.temp_files() == []
    assert chat.used_bytes() == 0


def test_a_slow_but_steady_upload_is_accepted(chat: LiveChat) -> None:
    """The body timeout is an idle timeout: a body that keeps arriving, however slowly, and
    takes longer than the timeout in all, is stored."""

    def slowly() -> Iterator[bytes]:
        for _ in range(8):
            yield b"y" * 1000
            time.sleep(0.4)

    response = chat.client.post(
        f"{chat.files_url}?name=slow.bin",
        headers={**chat.headers, "Content-Length": "8000"},
        content=slowly(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["files"][0]["size_bytes"] == 8000


def test_an_endless_header_is_431_without_growing_memory(live: RunningServer) -> None:
    """A header value streamed for 50 MB gets 431 after the head limit; the server's memory
    does not grow with it."""
    before = rss_kib(live)
    connection = raw_request(live.url, "")
    connection.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: ")
    try:
        for _ in range(50):
            connection.sendall(b"b" * 1_000_000)
    except OSError:
        pass  # the server closed the connection: what it answered is below
    received, _ = read_until_closed(connection)
    assert error_code(received) == (431, "request_head_too_large")
    assert rss_kib(live) - before < 20_000


def test_many_headers_are_431(live: RunningServer) -> None:
    """A head with more headers than allowed gets 431, however small each header is."""
    head = "GET /healthz HTTP/1.1\r\n" + "".join(f"X-H{i}: v\r\n" for i in range(51))
    received, _ = read_until_closed(raw_request(live.url, head))
    assert error_code(received) == (431, "request_head_too_large")


def test_a_long_url_is_431(live: RunningServer) -> None:
    """A request line longer than the head limit gets 431."""
    received, _ = read_until_closed(raw_request(live.url, f"GET /{'u' * 20_000} HTTP/1.1\r\n"))
    assert error_code(received) == (431, "request_head_too_large")


def test_a_pipelined_head_too_large_is_answered_after_the_request_before_it(
    live: RunningServer,
) -> None:
    """A request, then in the same packet a head over the limit: the request gets its own
    answer first, then the 431, then the connection closes (the 431 had been written at
    once, in the place of the first answer, which was lost)."""
    first = "GET /healthz HTTP/1.1\r\nHost: chatkeep\r\n\r\n"
    second = f"GET /healthz HTTP/1.1\r\nHost: chatkeep\r\nX-Big: {'b' * 20_000}\r\n"
    received, _ = read_until_closed(raw_request(live.url, first + second))
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), received[:200]
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    assert json.loads(rest[:length]) == {"status": "ok"}
    assert error_code(rest[length:]) == (431, "request_head_too_large")


def test_a_head_timeout_waits_for_the_download_being_sent(
    chat: LiveChat, live: RunningServer
) -> None:
    """A download read slowly, with the start of a next head sent behind its request: the
    head's timeout (1 s) runs out while the file is still being sent, and its 408 comes
    after the whole file, never inside it."""
    size = 16 * 1024 * 1024
    stored = chat.upload_mib("big.bin", 16)
    head = chat.download_head(stored["file_id"]) + "\r\nGET /healthz HTTP/1.1\r\nHost: x"
    parts = urlsplit(live.url)
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    connection.settimeout(10)
    connection.connect((parts.hostname, parts.port))
    connection.sendall(head.encode() + b"\r\n")
    received = bytearray()
    started = time.monotonic()
    while chunk := connection.recv(65536):
        received += chunk
        if len(received) < size:
            time.sleep(0.004)  # about 16 MB in 1.5 s or more: past the head timeout
    assert time.monotonic() - started > 1.2
    answer, _, rest = bytes(received).partition(b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200")
    assert rest[:size] == b"d" * size
    assert error_code(rest[size:]) == (408, "request_timeout")


def test_a_pipelined_broken_body_waits_for_a_slow_download_without_a_body_timeout(
    chat: LiveChat, live: RunningServer
) -> None:
    """A request, a download read slowly, then an upload whose chunked body is broken, in
    one packet: both answers arrive whole and in order, then the upload's 400. The broken
    body is no longer awaited, so no body timeout (1 s) fires while the download goes out
    (its 408 had landed inside the file)."""
    size = 8 * 1024 * 1024
    stored = chat.upload_mib("slow.bin", 8)
    user = f"X-User-Id: {chat.headers['X-User-Id']}\r\n"
    broken = f"POST {chat.files_url}?name=broken.bin HTTP/1.1\r\nHost: chatkeep\r\n{user}"
    head = (
        "GET /healthz HTTP/1.1\r\nHost: chatkeep\r\n\r\n"
        + chat.download_head(stored["file_id"])
        + "\r\n"
        + broken
        + "Transfer-Encoding: chunked\r\n\r\nzz\r\n"
    )
    parts = urlsplit(live.url)
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    connection.settimeout(10)
    connection.connect((parts.hostname, parts.port))
    connection.sendall(head.encode())
    received = bytearray()
    started = time.monotonic()
    while chunk := connection.recv(65536):
        received += chunk
        time.sleep(0.012)  # 8 MB in 64 KiB reads: 1.5 s or more, past the body timeout
    assert time.monotonic() - started > 1.1
    first, _, rest = bytes(received).partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200")
    length = int(first.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    answer, _, rest = rest[length:].partition(b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200")
    assert rest[:size] == b"d" * size
    assert error_code(rest[size:]) == (400, "invalid_request")
    listed = chat.client.get(chat.files_url, headers=chat.headers).json()["files"]
    assert [f["name"] for f in listed] == ["slow.bin"]


def test_a_refusal_held_for_a_client_that_reads_nothing_does_not_hold_the_connection(
    chat: LiveChat, live: RunningServer
) -> None:
    """A 9 MB answer, then a head over the limit, from a client that never reads: the 431
    waits for the answer, which cannot go out, and the connection is dropped after the send
    timeout (1 s) all the same; it had stayed open for as long as the client did."""
    messages = f"/v1/chats/{chat.chat_id}/messages"
    for number in range(10):
        message = {"role": "user", "content": f"{number}" * 900_000}
        appended = chat.client.post(messages, headers=chat.headers, json=message)
        assert appended.status_code == 201, appended.text
    parts = urlsplit(live.url)
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    connection.connect((parts.hostname, parts.port))
    user = f"X-User-Id: {chat.headers['X-User-Id']}"
    read = f"GET {messages}?limit=20 HTTP/1.1\r\nHost: chatkeep\r\n{user}\r\n\r\n"
    too_large = f"GET /healthz HTTP/1.1\r\nHost: chatkeep\r\nX-Big: {'b' * 20_000}\r\n\r\n"
    connection.sendall((read + too_large).encode())
    time.sleep(4)
    # Only what the kernels' buffers held arrives: the rest was dropped with the connection.
    # Held open, it would all come, 431 included, once the client reads.
    connection.settimeout(3)
    received = 0
    try:
        while chunk := connection.recv(65536):
            received += len(chunk)
    except ConnectionResetError:
        pass
    assert 0 < received < 9_000_000
    assert chat.client.get("/healthz").status_code == 200


def test_a_head_within_the_limits_is_served(chat: LiveChat) -> None:
    """A head near both limits (45 headers, 15 KiB) is served as usual."""
    headers = {**chat.headers, **{f"X-H{i}": "v" * 300 for i in range(43)}}
    response = chat.client.get("/v1/workspace", headers=headers)
    assert response.status_code == 200, response.text


def test_a_client_that_stops_reading_a_download_is_dropped(
    chat: LiveChat, live: RunningServer
) -> None:
    """A client that stops reading a 100 MB download is dropped after the send timeout: the
    rest of the file is never sent, and the server keeps serving others."""
    size = 100 * 1024 * 1024
    stored = chat.upload_mib("big.bin", 100)
    head = chat.download_head(stored["file_id"])
    connection = raw_request(live.url, head)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    time.sleep(4)
    try:
        received, _ = read_until_closed(connection)
    except ConnectionResetError:
        received = b""
    assert len(received) < size / 4
    assert chat.client.get("/healthz").status_code == 200


def test_an_idle_keep_alive_connection_is_closed(live: RunningServer) -> None:
    """After a response, a connection that sends nothing more is closed after the keep-alive
    timeout."""
    connection = raw_request(live.url, "GET /healthz HTTP/1.1\r\nHost: chatkeep\r\n")
    received, waited = read_until_closed(connection)
    assert received.startswith(b"HTTP/1.1 200")
    assert waited < 6


def test_connections_over_the_limit_get_503(tmp_path: Path) -> None:
    """Past the connection cap a new request gets 503 at once; when others close, new ones
    are served again."""
    env = {"CHATKEEP_MAX_CONNECTIONS": "8"}
    with RunningServer(tmp_path / "data", env=env) as server:
        held = [raw_request(server.url, "") for _ in range(8)]
        time.sleep(0.3)
        head = "GET /healthz HTTP/1.1\r\nHost: chatkeep\r\n"
        received, waited = read_until_closed(raw_request(server.url, head))
        assert error_code(received) == (503, "too_many_connections")
        assert waited < 2
        for connection in held:
            connection.close()
        time.sleep(0.3)
        assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_uploads_keep_working_beside_the_limits(client: httpx.Client, live: RunningServer) -> None:
    """A 20 MB upload through a server with one-second timeouts is stored whole."""
    chat = new_chat(client, live.data_dir)
    response = chat.client.post(
        f"{chat.files_url}?name=ok.bin", headers=chat.headers, content=b"o" * 20_000_000
    )
    assert response.status_code == 201, response.text
    assert chat.disk_bytes() == 20_000_000
