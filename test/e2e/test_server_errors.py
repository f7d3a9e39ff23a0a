"""What the HTTP server answers by itself is JSON, like every other error (contract 1.1,
"Hostile trees and resource limits"): requests the parser refuses, sent over raw sockets to
a real server, each answered `400 invalid_request` naming the parser's reason, and then the
connection closed."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest

from test.e2e.conftest import LiveChat
from test.e2e.server import RunningServer

HOST = b"Host: chatkeep\r\n"


def exchange(server: RunningServer, data: bytes, timeout: float = 5.0) -> bytes:
    """Send `data` on a fresh connection; answer everything received until the server
    closes it (a timeout fails: the server must not leave the client waiting)."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + timeout
        while chunk := sock.recv(65536):
            received += chunk
            assert time.monotonic() < deadline, received
        return received


def responses(received: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The responses in `received`, in order: status, headers, body (by Content-Length)."""
    answers = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        answers.append((int(status_line.split()[1]), headers, rest[:length]))
        received = rest[length:]
    return answers


def user_head(chat: LiveChat) -> bytes:
    return HOST + f"X-User-Id: {chat.headers['X-User-Id']}\r\n".encode()


# Each shape, what follows the request line's method for a POST of a chat, and the reason
# the parser gives (llhttp's words, which the 400 now carries).
SHAPES = {
    "malformed-request-line": (b"GARBAGE\r\n\r\n", "Invalid method"),
    "lower-case-method": (b"get /healthz HTTP/1.1\r\n" + HOST + b"\r\n", "Invalid method"),
    "bad-version": (b"GET /healthz HTTP/1.x\r\n" + HOST + b"\r\n", "version"),
    "space-in-target": (b"GET /heal thz HTTP/1.1\r\n" + HOST + b"\r\n", "Expected HTTP/"),
    "control-in-path": (b"GET /he\x01lthz HTTP/1.1\r\n" + HOST + b"\r\n", "url path"),
    "header-without-colon": (b"GET /healthz HTTP/1.1\r\nHost chatkeep\r\n\r\n", "header token"),
    "space-before-colon": (b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", "header token"),
    "nul-in-header-value": (b"GET /healthz HTTP/1.1\r\nHost: a\x00b\r\n\r\n", "header value"),
    "obsolete-line-folding": (
        b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-A: a\r\n b\r\n\r\n",
        "Unexpected whitespace after header value",
    ),
    "bare-lf": (b"GET /healthz HTTP/1.1\nHost: x\n\n", "CRLF"),
    "content-length-and-transfer-encoding": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "can't be present with",
    ),
    "transfer-encoding-and-content-length": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n"
        b"Content-Length: 5\r\n\r\n0\r\n\r\n",
        "can't be present with",
    ),
    "two-equal-content-lengths": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\n"
        b"hello",
        "Duplicate Content-Length",
    ),
    "two-content-lengths": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n"
        b"hello!",
        "Duplicate Content-Length",
    ),
    "content-length-list": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Content-Length: 5, 5\r\n\r\nhello",
        "Content-Length",
    ),
    "transfer-encoding-not-chunked": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n",
        "Transfer-Encoding",
    ),
    "chunked-not-last": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked, gzip\r\n\r\n",
        "Transfer-Encoding",
    ),
    "two-transfer-encodings": (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding",
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_request_the_parser_refuses_is_a_json_400(live: RunningServer, shape: str) -> None:
    """A malformed request line or head, or a smuggling shape, is answered 400
    invalid_request in JSON, naming the parser's reason (uvicorn answered plain text, and
    then a generic JSON text), and the connection closes: nothing after it is read as a
    request."""
    data, reason = SHAPES[shape]
    (answer,) = responses(exchange(live, data + b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n"))
    status, headers, body = answer
    assert (status, headers["content-type"], headers["connection"]) == (
        400,
        "application/json",
        "close",
    )
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_request"
    assert reason in error["message"]
    assert headers["x-request-id"] == error["request_id"] != ""


def test_a_refused_head_keeps_the_callers_request_id(live: RunningServer) -> None:
    """The parser refuses a head after reading the caller's X-Request-Id: its JSON 400
    names that id, in the body and in X-Request-Id, so the caller can find it in the log."""
    data = (
        b"POST /healthz HTTP/1.1\r\n" + HOST + b"X-Request-Id: smuggle-1\r\n"
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    ((status, headers, body),) = responses(exchange(live, data))
    assert (status, headers["x-request-id"]) == (400, "smuggle-1")
    assert json.loads(body)["error"]["request_id"] == "smuggle-1"
    assert "smuggle-1" in live.log


@pytest.mark.parametrize(
    ("chunks", "reason"),
    [
        (b"zz\r\nhello\r\n0\r\n\r\n", "chunk size"),
        (b"fffffffffffffffffff\r\nhello\r\n0\r\n\r\n", "Chunk size overflow"),
        (b"5\r\nhelloXX0\r\n\r\n", "after chunk data"),
        (b"5;\x01\r\nhello\r\n0\r\n\r\n", "chunk extensions"),
    ],
    ids=["invalid-size", "size-overflow", "no-crlf-after-data", "bad-extension"],
)
def test_a_bad_chunk_is_a_json_400(
    live: RunningServer, chat: LiveChat, chunks: bytes, reason: str
) -> None:
    """A chunked body the parser refuses, read while a history append waits for it, is a
    JSON 400 naming the reason; the history is unchanged."""
    before = chat.client.get(f"/v1/chats/{chat.chat_id}/history", headers=chat.headers).content
    head = f"POST /v1/chats/{chat.chat_id}/history HTTP/1.1\r\n".encode() + user_head(chat)
    (answer,) = responses(exchange(live, head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks))
    status, headers, body = answer
    assert (status, headers["content-type"]) == (400, "application/json")
    assert reason in json.loads(body)["error"]["message"]
    after = chat.client.get(f"/v1/chats/{chat.chat_id}/history", headers=chat.headers).content
    assert after == before


def test_a_refused_pipelined_request_is_answered_after_the_ones_before_it(
    live: RunningServer, chat: LiveChat
) -> None:
    """Two good requests then garbage, in one packet: the two get their answers, in
    order, then the garbage its JSON 400, then the connection closes (uvicorn wrote the
    400 at once, as the first request's answer, and dropped the others)."""
    good = f"GET /v1/chats/{chat.chat_id} HTTP/1.1\r\n".encode() + user_head(chat) + b"\r\n"
    received = exchange(live, good + b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\nGARBAGE\r\n\r\n")
    answers = responses(received)
    assert [status for status, _, _ in answers] == [200, 200, 400]
    assert json.loads(answers[0][2])["chat_id"] == chat.chat_id
    assert json.loads(answers[1][2]) == {"status": "ok"}
    assert json.loads(answers[2][2])["error"]["code"] == "invalid_request"


def test_a_pipelined_request_with_a_broken_body_is_answered_after_the_ones_before_it(
    live: RunningServer, chat: LiveChat
) -> None:
    """Two good requests then an upload whose chunked body is broken, in one packet: the two
    get their answers, in order, then the upload its JSON 400, then the connection closes;
    nothing is stored (the 400 had been written at once, in place of both answers)."""
    good = f"GET /v1/chats/{chat.chat_id} HTTP/1.1\r\n".encode() + user_head(chat) + b"\r\n"
    upload = (
        f"POST {chat.files_url}?name=broken.bin HTTP/1.1\r\n".encode()
        + user_head(chat)
        + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"
    )
    received = exchange(live, good + b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n" + upload)
    answers = responses(received)
    assert [status for status, _, _ in answers] == [200, 200, 400]
    assert json.loads(answers[0][2])["chat_id"] == chat.chat_id
    assert json.loads(answers[1][2]) == {"status": "ok"}
    assert json.loads(answers[2][2])["error"]["code"] == "invalid_request"
    listed = chat.client.get(chat.files_url, headers=chat.headers).json()
    assert listed["files"] == []


@pytest.mark.parametrize(
    "upgrade",
    [
        b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAAQAAP__\r\n",
    ],
    ids=["websocket", "h2c"],
)
def test_an_upgrade_is_answered_plainly_and_the_connection_closes(
    live: RunningServer, upgrade: bytes
) -> None:
    """A request asking to upgrade (no protocol but HTTP/1.1 is served) gets its plain
    answer, and the connection closes after it: uvicorn kept it open but dropped whatever
    came next, so a second request on it waited for ever; it logged a warning about a
    missing WebSocket library too."""
    request = b"GET /healthz HTTP/1.1\r\n" + HOST + upgrade + b"\r\n"
    received = exchange(live, request + b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n")
    ((status, headers, body),) = responses(received)
    assert (status, headers["connection"], json.loads(body)) == (200, "close", {"status": "ok"})
    assert "WebSocket library" not in live.log


def test_two_authorization_headers_over_the_wire_are_400(live: RunningServer) -> None:
    """Two Authorization header lines reach the application as two (the server does not
    fold them), which refuses them: 400 invalid_request."""
    head = (
        b"GET /v1/workspace HTTP/1.1\r\n" + HOST + b"X-User-Id: 5f0c6a52-8c1e-4d1a-9a55-"
        b"0a6cf1b2c3d4\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n"
        b"Connection: close\r\n\r\n"
    )
    ((status, _, body),) = responses(exchange(live, head))
    assert status == 400
    assert json.loads(body)["error"]["code"] == "invalid_request"
