"""Abusive multipart bodies and headers against a real server: a clear 4xx, bounded
time, nothing left behind."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from test.e2e import multipart_body as mp
from test.e2e.conftest import LiveChat


def multipart_post(chat: LiveChat, content: bytes | Iterator[bytes]) -> httpx.Response:
    headers = {**chat.headers, **mp.HEADERS}
    return chat.client.post(chat.files_url, headers=headers, content=content)


def assert_refused_cleanly(
    chat: LiveChat, response: httpx.Response, status: int, code: str
) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert sorted(chat.temp_files()) == []
    assert sorted(p.name for p in chat.directory.iterdir()) == ["history.md"]


def test_100000_parts_are_refused_early(chat: LiveChat) -> None:
    """100,000 empty parts: refused after the limit, without reading them all into memory."""
    part = f'--{mp.BOUNDARY}\r\nContent-Disposition: form-data; name="f"\r\n\r\n\r\n'.encode()

    def body() -> Iterator[bytes]:
        for _ in range(100):
            yield part * 1000
        yield f"--{mp.BOUNDARY}--\r\n".encode()

    started = time.monotonic()
    response = multipart_post(chat, body())
    assert time.monotonic() - started < 10
    assert_refused_cleanly(chat, response, 413, "request_too_large")


def test_megabytes_of_preamble_are_refused(chat: LiveChat) -> None:
    """Megabytes before the first boundary: a clear 400, nothing kept."""
    body = b"p" * 3_000_000 + b"\r\n" + mp.body(mp.file_part("ok.txt", b"ok"))
    assert_refused_cleanly(chat, multipart_post(chat, body), 400, "invalid_request")


def test_megabytes_of_epilogue_are_skipped(chat: LiveChat) -> None:
    """Megabytes after the closing boundary are read through and ignored."""
    body = mp.body(mp.file_part("ok.txt", b"ok")) + b"e" * 3_000_000
    response = multipart_post(chat, body)
    assert response.status_code == 201, response.text
    assert [f["name"] for f in response.json()["files"]] == ["ok.txt"]


def test_huge_non_file_field_is_drained_not_kept(chat: LiveChat) -> None:
    """A 50 MB text field beside a file is read through and ignored."""
    body = mp.body(
        mp.part('form-data; name="note"', b"n" * 50_000_000), mp.file_part("f.txt", b"f")
    )
    response = multipart_post(chat, body)
    assert response.status_code == 201, response.text
    assert [f["name"] for f in response.json()["files"]] == ["f.txt"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"--" + mp.BOUNDARY.encode(),
        mp.body(mp.file_part("a.txt", b"data"))[:-30],
        b"no boundary anywhere" * 1000,
        f"--{mp.BOUNDARY}\r\n".encode() + b"X: " + b"h" * 20_000 + b"\r\n\r\n",
    ],
    ids=["empty", "only-boundary", "truncated", "no-boundary", "endless-header"],
)
def test_malformed_bodies_are_400(chat: LiveChat, body: bytes) -> None:
    """Short, truncated or boundary-less bodies and endless part headers are 400."""
    assert_refused_cleanly(chat, multipart_post(chat, body), 400, "invalid_request")


def test_missing_boundary_is_400(chat: LiveChat) -> None:
    """multipart/form-data without a boundary parameter is 400."""
    headers = {**chat.headers, "Content-Type": "multipart/form-data"}
    response = chat.client.post(chat.files_url, headers=headers, content=b"x")
    assert_refused_cleanly(chat, response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("value", "code"),
    [("a" * 8000, "invalid_user_id"), ("\x00" * 36, "invalid_user_id")],
    ids=["huge", "nul"],
)
def test_hostile_user_ids(chat: LiveChat, value: str, code: str) -> None:
    """A huge or NUL-filled X-User-Id is refused with a JSON error."""
    try:
        response = chat.client.get("/v1/workspace", headers={"X-User-Id": value})
    except httpx.LocalProtocolError:
        return  # the client itself refuses to send such a header
    assert response.status_code in (400, 431), response.text
    if response.status_code == 400:
        assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("length", "status", "code"),
    [
        ("9" * 20, 400, "invalid_request"),
        ("1" * 5000, 400, "invalid_request"),
        ("\xb2", 400, "invalid_request"),
        (str(2**63), 413, "request_too_large"),
    ],
    ids=["20-digits", "5000-digits", "superscript-two", "2**63"],
)
def test_content_lengths_past_their_limits_are_json(
    chat: LiveChat, live: object, length: str, status: int, code: str
) -> None:
    """A Content-Length the HTTP parser refuses (past 2**64, not digits) is a JSON 400
    invalid_request, as is every error (uvicorn answered plain text); one it takes but the
    stores cannot (2**63) is 413 before any body byte is read."""
    from test.e2e.server import RunningServer
    from test.e2e.test_upload_limits import answer_of

    assert isinstance(live, RunningServer)
    head = (
        f"POST {chat.files_url}?name=big HTTP/1.1\r\nHost: chatkeep\r\n"
        f"X-User-Id: {chat.headers['X-User-Id']}\r\nContent-Length: {length}\r\n"
    )
    received = answer_of(live.url, head)
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.startswith(f"HTTP/1.1 {status}".encode()), received
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower()
    assert json.loads(body)["error"]["code"] == code
    assert chat.temp_files() == []


def test_thousands_of_ranges_get_the_whole_file(chat: LiveChat) -> None:
    """A Range header with 5,000 ranges is ignored: 200 with the whole file."""
    stored = chat.client.post(
        f"{chat.files_url}?name=r.bin", headers=chat.headers, content=b"0123456789"
    ).json()["files"][0]
    ranges = "bytes=" + ",".join(f"{i}-{i}" for i in range(5000))
    response = chat.client.get(
        f"{chat.files_url}/{stored['file_id']}/content", headers={**chat.headers, "Range": ranges}
    )
    assert response.status_code == 200
    assert response.content == b"0123456789"


def read_chars(pid: int) -> int:
    for line in open(f"/proc/{pid}/io").read().splitlines():  # noqa: SIM115
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("no rchar")


def test_aborted_download_stops_reading_the_file(chat: LiveChat, live: object) -> None:
    """A client that goes away after the first bytes of a 200 MB download: the server stops
    reading the file instead of reading it to the end."""
    from test.e2e.server import RunningServer
    from test.e2e.test_upload_limits import raw_request

    assert isinstance(live, RunningServer)
    size = 200 * 1024 * 1024
    stored = chat.upload_mib("big.bin", 200)
    before = read_chars(live.process.pid)
    head = chat.download_head(stored["file_id"])
    connection = raw_request(live.url, head)
    assert connection.recv(65536)  # the download has started
    connection.close()
    time.sleep(2)
    read = read_chars(live.process.pid) - before
    assert read < size / 4, f"the server read {read} bytes of a {size}-byte file"
    assert chat.client.get("/healthz").status_code == 200
