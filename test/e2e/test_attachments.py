"""Attachments through a real server: round trips, names, all-or-nothing, ranges, usage."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from test.e2e import multipart_body as mp
from test.e2e.conftest import LiveChat

BAD_NAMES = [
    ".",
    "..",
    "history.md",
    "a/b",
    "../escape",
    "a\\b",
    "nul\x00byte",
    "tab\tname",
    "new\nline",
    "del\x7f",
    "c1\x9bcontrol",
    "bidi\u202eoverride",
    "isolate\u2068x",
    "x" * 256,
    "ü" * 128,
]


def upload(chat: LiveChat, name: str, data: bytes, **headers: str) -> httpx.Response:
    url = f"{chat.files_url}?name={quote(name, safe='')}"
    return chat.client.post(url, headers={**chat.headers, **headers}, content=data)


def assert_usage_matches_disk(chat: LiveChat) -> None:
    assert chat.used_bytes() == chat.disk_bytes()


def test_raw_round_trip_with_unicode_name(chat: LiveChat) -> None:
    """A raw upload is stored byte for byte under its exact name, with sha256 and type."""
    data = os.urandom(100_000)
    name = "résumé 2026 ✓.bin"
    response = upload(chat, name, data, **{"Content-Type": "application/x-thing"})
    assert response.status_code == 201
    (stored,) = response.json()["files"]
    assert stored["name"] == name
    assert stored["size_bytes"] == len(data)
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()
    assert stored["content_type"] == "application/x-thing"
    assert (chat.directory / name).read_bytes() == data
    url = f"{chat.files_url}/{stored['file_id']}"
    assert chat.client.get(url, headers=chat.headers).json() == stored
    content = chat.client.get(url + "/content", headers=chat.headers)
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["content-type"] == "application/x-thing"
    assert content.headers["content-length"] == str(len(data))
    assert content.headers["accept-ranges"] == "bytes"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["etag"].startswith('"')
    disposition = content.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert_usage_matches_disk(chat)


def test_200_megabyte_round_trip(chat: LiveChat) -> None:
    """A 200 MB chunked upload streams in and back out with the right sha256."""
    block = os.urandom(1024 * 1024)
    expected = hashlib.sha256()

    def generate() -> Iterator[bytes]:
        for index in range(200):
            chunk = block[index:] + block[:index]
            expected.update(chunk)
            yield chunk

    response = chat.client.post(
        f"{chat.files_url}?name=big.bin", headers=chat.headers, content=generate()
    )
    assert response.status_code == 201, response.text
    (stored,) = response.json()["files"]
    assert stored["size_bytes"] == 200 * 1024 * 1024
    assert stored["sha256"] == expected.hexdigest()
    downloaded = hashlib.sha256()
    url = f"{chat.files_url}/{stored['file_id']}/content"
    with chat.client.stream("GET", url, headers=chat.headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"] == "application/octet-stream"
        for chunk in stream.iter_bytes():
            downloaded.update(chunk)
    assert downloaded.hexdigest() == expected.hexdigest()
    assert_usage_matches_disk(chat)


def test_multipart_round_trip_in_part_order(chat: LiveChat) -> None:
    """Every part named file becomes an attachment, in part order; other parts are ignored,
    filename* wins over filename, and each part keeps its Content-Type."""
    body = mp.body(
        mp.file_part("one.txt", b"first", "text/plain"),
        mp.part('form-data; name="note"', b"ignored field"),
        mp.part(
            'form-data; name="file"; filename="fallback.txt"; filename*=UTF-8\'\'%E2%82%AC.txt',
            b"second",
        ),
        mp.file_part("three.json", b"{}", "application/json"),
    )
    response = chat.client.post(
        chat.files_url, headers={**chat.headers, **mp.HEADERS}, content=body
    )
    assert response.status_code == 201, response.text
    files = response.json()["files"]
    assert [f["name"] for f in files] == ["one.txt", "€.txt", "three.json"]
    assert [f["content_type"] for f in files] == ["text/plain", None, "application/json"]
    assert (chat.directory / "€.txt").read_bytes() == b"second"
    assert not (chat.directory / "fallback.txt").exists()
    listed = chat.client.get(chat.files_url, headers=chat.headers).json()["files"]
    assert listed == files
    assert_usage_matches_disk(chat)


def test_utf8_filename_in_plain_parameter(chat: LiveChat) -> None:
    """A raw UTF-8 filename= (as browsers send it) is read as UTF-8."""
    body = mp.body(mp.file_part("日本語.txt", b"x"))
    response = chat.client.post(
        chat.files_url, headers={**chat.headers, **mp.HEADERS}, content=body
    )
    assert response.status_code == 201
    assert response.json()["files"][0]["name"] == "日本語.txt"


def test_checksum_mismatch_stores_nothing(chat: LiveChat) -> None:
    """A wrong X-Checksum-Sha256 is 400 checksum_mismatch and nothing is stored;
    the right one is accepted."""
    before = sorted(os.listdir(chat.directory))
    data = b"checked bytes"
    wrong = upload(chat, "c.txt", data, **{"X-Checksum-Sha256": "0" * 64})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "checksum_mismatch"
    assert sorted(os.listdir(chat.directory)) == before
    assert chat.temp_files() == []
    assert_usage_matches_disk(chat)
    digest = hashlib.sha256(data).hexdigest().upper()
    right = upload(chat, "c.txt", data, **{"X-Checksum-Sha256": digest})
    assert right.status_code == 201


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_are_refused_and_touch_nothing(chat: LiveChat, name: str) -> None:
    """Each name the contract forbids is 400, raw or multipart; the chat directory is unchanged."""
    before = sorted(os.listdir(chat.directory))
    raw = upload(chat, name, b"data")
    assert raw.status_code == 400, name
    assert raw.json()["error"]["code"] == "invalid_attachment_name"
    encoded = quote(name, safe="")
    body = mp.body(mp.part(f"form-data; name=\"file\"; filename*=UTF-8''{encoded}", b"data"))
    multi = chat.client.post(chat.files_url, headers={**chat.headers, **mp.HEADERS}, content=body)
    assert multi.status_code == 400, name
    assert multi.json()["error"]["code"] == "invalid_attachment_name"
    assert sorted(os.listdir(chat.directory)) == before
    assert chat.temp_files() == []


@pytest.mark.parametrize("query", ["", "?name=", "?name=%FF%FE", "?name=a&name=b", "?other=x"])
def test_missing_or_undecodable_name_is_refused(chat: LiveChat, query: str) -> None:
    """A raw upload without one UTF-8 ?name= is 400 invalid_attachment_name."""
    response = chat.client.post(chat.files_url + query, headers=chat.headers, content=b"x")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_attachment_name"
    assert sorted(os.listdir(chat.directory)) == ["history.md"]


def test_multipart_is_all_or_nothing(chat: LiveChat) -> None:
    """A bad part anywhere refuses the whole request; earlier parts are not stored."""
    cases = [
        (
            mp.body(mp.file_part("ok.txt", b"ok"), mp.file_part("a/b", b"bad")),
            "invalid_attachment_name",
        ),
        (
            mp.body(mp.file_part("ok.txt", b"ok"), mp.file_part("ok.txt", b"again")),
            "invalid_attachment_name",
        ),
        (
            mp.body(mp.file_part("ok.txt", b"ok"), mp.part('form-data; name="file"', b"no name")),
            "invalid_attachment_name",
        ),
        (mp.body(mp.part('form-data; name="note"', b"only a field")), "invalid_request"),
        (mp.body(mp.file_part("ok.txt", b"ok"))[:-10], "invalid_request"),
    ]
    for body, code in cases:
        response = chat.client.post(
            chat.files_url, headers={**chat.headers, **mp.HEADERS}, content=body
        )
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == code
        assert sorted(os.listdir(chat.directory)) == ["history.md"]
    assert chat.temp_files() == []
    assert chat.client.get(chat.files_url, headers=chat.headers).json()["files"] == []


def test_replace_by_name_gives_a_new_id(chat: LiveChat) -> None:
    """Uploading a taken name replaces the file: new file_id, old id gone, new bytes."""
    first = upload(chat, "same.txt", b"old content").json()["files"][0]
    second = upload(chat, "same.txt", b"new").json()["files"][0]
    assert second["file_id"] != first["file_id"]
    old_url = f"{chat.files_url}/{first['file_id']}"
    gone = chat.client.get(old_url, headers=chat.headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "chat_file_not_found"
    content = chat.client.get(f"{chat.files_url}/{second['file_id']}/content", headers=chat.headers)
    assert content.content == b"new"
    listed = chat.client.get(chat.files_url, headers=chat.headers).json()["files"]
    assert [f["file_id"] for f in listed] == [second["file_id"]]
    assert_usage_matches_disk(chat)


def test_name_filter(chat: LiveChat) -> None:
    """?name= lists only the attachment of that name, or nothing."""
    upload(chat, "a.txt", b"a")
    upload(chat, "b ü.txt", b"b")
    named = chat.client.get(f"{chat.files_url}?name=b%20%C3%BC.txt", headers=chat.headers)
    assert [f["name"] for f in named.json()["files"]] == ["b ü.txt"]
    none = chat.client.get(f"{chat.files_url}?name=zzz", headers=chat.headers)
    assert none.json()["files"] == []


def test_ranges_conditionals_and_head(chat: LiveChat) -> None:
    """Single ranges answer 206, unsatisfiable 416, several ranges the whole file;
    If-None-Match answers 304; HEAD has the headers and no body."""
    data = bytes(range(100))
    stored = upload(chat, "r.bin", data).json()["files"][0]
    url = f"{chat.files_url}/{stored['file_id']}/content"
    get = lambda **h: chat.client.get(url, headers={**chat.headers, **h})  # noqa: E731
    for header, expected, content_range in [
        ("bytes=0-0", data[:1], "bytes 0-0/100"),
        ("bytes=10-19", data[10:20], "bytes 10-19/100"),
        ("bytes=90-", data[90:], "bytes 90-99/100"),
        ("bytes=-5", data[95:], "bytes 95-99/100"),
        ("bytes=95-500", data[95:], "bytes 95-99/100"),
    ]:
        partial = get(Range=header)
        assert partial.status_code == 206, header
        assert partial.content == expected
        assert partial.headers["content-range"] == content_range
    outside = get(Range="bytes=100-")
    assert outside.status_code == 416
    assert outside.json()["error"]["code"] == "range_not_satisfiable"
    assert outside.headers["content-range"] == "bytes */100"
    several = get(Range="bytes=0-1,5-6")
    assert several.status_code == 200
    assert several.content == data
    etag = several.headers["etag"]
    assert get(**{"If-None-Match": etag}).status_code == 304
    assert get(Range="bytes=0-1", **{"If-Range": '"old"'}).status_code == 200
    head = chat.client.head(url, headers=chat.headers)
    assert head.status_code == 200
    assert head.headers["content-length"] == "100"
    assert head.content == b""


def test_delete_and_clear_keep_usage_equal_to_disk(chat: LiveChat) -> None:
    """Delete one, then clear all: the history stays and usage follows the disk."""
    chat.client.put(f"/v1/chats/{chat.chat_id}/history", headers=chat.headers, content=b"# h\n")
    first = upload(chat, "1.bin", os.urandom(5000)).json()["files"][0]
    upload(chat, "2.bin", os.urandom(7000))
    upload(chat, "3.bin", os.urandom(9000))
    assert_usage_matches_disk(chat)
    deleted = chat.client.delete(f"{chat.files_url}/{first['file_id']}", headers=chat.headers)
    assert deleted.status_code == 204
    assert not (chat.directory / "1.bin").exists()
    assert_usage_matches_disk(chat)
    again = chat.client.delete(f"{chat.files_url}/{first['file_id']}", headers=chat.headers)
    assert again.status_code == 404
    cleared = chat.client.delete(chat.files_url, headers=chat.headers)
    assert cleared.status_code == 204
    assert sorted(os.listdir(chat.directory)) == ["history.md"]
    assert chat.client.get(chat.files_url, headers=chat.headers).json()["files"] == []
    assert chat.used_bytes() == 4
    assert_usage_matches_disk(chat)


def test_name_taken_by_a_directory_is_409(chat: LiveChat) -> None:
    """An upload whose name a sandbox took with a directory is 409 and leaves it."""
    (chat.directory / "taken").mkdir()
    (chat.directory / "taken" / "inner").write_bytes(b"sandbox")
    response = upload(chat, "taken", b"data")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "name_conflict"
    assert (chat.directory / "taken" / "inner").read_bytes() == b"sandbox"
    assert chat.temp_files() == []


def test_content_replaced_by_a_symlink_is_404(chat: LiveChat, tmp_path: object) -> None:
    """When a sandbox swaps an attachment for a symlink, its content answers 404."""
    stored = upload(chat, "doc.txt", b"doc").json()["files"][0]
    path = chat.directory / "doc.txt"
    path.unlink()
    path.symlink_to("/etc/passwd")
    content = chat.client.get(f"{chat.files_url}/{stored['file_id']}/content", headers=chat.headers)
    assert content.status_code == 404
    assert content.json()["error"]["code"] == "chat_file_not_found"


def test_files_of_another_user_do_not_exist(chat: LiveChat, client: httpx.Client) -> None:
    """Another user sees 404 for a chat's files, file and content."""
    stored = upload(chat, "private.txt", b"secret").json()["files"][0]
    stranger = {"X-User-Id": "00000000-0000-4000-8000-000000000001"}
    client.put("/v1/workspace", headers=stranger)
    for path in (chat.files_url, f"{chat.files_url}/{stored['file_id']}/content"):
        assert client.get(path, headers=stranger).status_code == 404
    assert (
        client.get(f"{chat.files_url}/not-a-uuid", headers=chat.headers).json()["error"]["code"]
        == "chat_file_not_found"
    )
