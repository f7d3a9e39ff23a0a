"""Conditional uploads against a real server: refused before the body is sent."""

from __future__ import annotations

import httpx

from test.e2e.conftest import LiveChat
from test.e2e.server import RunningServer
from test.e2e.test_upload_limits import answer_of, raw_request, upload_head, wait_until


def taken(chat: LiveChat, name: str) -> None:
    response = chat.client.post(
        f"{chat.files_url}?name={name}", headers=chat.headers, content=b"kept"
    )
    assert response.status_code == 201


def test_create_only_upload_of_a_taken_name_is_refused_before_the_body(
    chat: LiveChat, live: RunningServer
) -> None:
    """A raw upload with If-None-Match: * of a taken name gets 412 and Connection: close at
    once: the client sends its head only, and the server answers without a body byte."""
    taken(chat, "taken.txt")
    head = upload_head(chat, "taken.txt", 10_000_000) + "If-None-Match: *\r\n"
    answer = answer_of(live.url, head).decode("latin-1").lower()
    assert answer.startswith("http/1.1 412"), answer
    assert "connection: close" in answer
    assert "precondition_failed" in answer
    assert (chat.directory / "taken.txt").read_bytes() == b"kept"


def test_a_client_that_sends_its_body_first_still_reads_the_412(
    chat: LiveChat, client: httpx.Client
) -> None:
    """A client that writes a whole 8 MB body before reading (as most clients do) reads the
    412, not a reset; nothing of the body stays, and usage is as before."""
    taken(chat, "taken.bin")
    used = chat.used_bytes()
    for _ in range(2):
        head = upload_head(chat, "taken.bin", 8_000_000) + 'If-Match: "stale"\r\n'
        connection = raw_request(str(client.base_url), head)
        connection.sendall(b"b" * 8_000_000)
        answer = connection.recv(65536).decode("latin-1")
        connection.close()
        assert answer.startswith("HTTP/1.1 412"), answer
    assert (chat.directory / "taken.bin").read_bytes() == b"kept"
    assert wait_until(lambda: chat.temp_files() == [])
    assert chat.used_bytes() == used
