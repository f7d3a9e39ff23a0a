"""Two replicas on one data directory seen through two clients (two mounts of one
GlusterFS volume, and one local directory for comparison): one validator everywhere,
preconditions decided against the version both agree on, reads that see every
acknowledged write, and no 500 on a stale handle (contract 1.1, "Replicas on a
distributed filesystem"; issue 17's examples)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from test.e2e.replicas import new_chat
from test.e2e.server import RunningServer

ROUNDS = 10


def upload(
    client: httpx.Client, chat: str, name: str, content: bytes, **headers: str
) -> httpx.Response:
    """A raw upload of `content` under `name`."""
    return client.post(f"/v1/chats/{chat}/files?name={name}", content=content, headers=headers)


def test_every_replica_answers_the_same_validators(replicas: list[RunningServer]) -> None:
    """The ETag and Last-Modified of a history and of an attachment are the same on both
    replicas (a Last-Modified is given once the version's second is over, and then the
    same one; never two dates for one version), and either one's ETag works on the other:
    If-Match writes, If-None-Match answers 304, If-Range honours the range."""
    first, second, chat = new_chat(replicas)
    written = first.put(f"/v1/chats/{chat}/history", content=b"# notes\n" * 10)
    stored = upload(first, chat, "a.txt", b"0123456789" * 100).json()["files"][0]
    content = f"/v1/chats/{chat}/files/{stored['file_id']}/content"
    paths = (f"/v1/chats/{chat}/history", content)
    early = [client.get(path) for path in paths for client in (first, second)]
    time.sleep(1.1)  # the versions' second is over: both replicas date them
    for path in paths:
        seen = [client.get(path) for client in (first, second)]
        assert seen[0].headers["etag"] == seen[1].headers["etag"], path
        assert seen[0].headers["last-modified"] == seen[1].headers["last-modified"], path
        dated = {r.headers.get("last-modified") for r in early if r.url.path == path}
        assert dated - {None} <= {seen[0].headers["last-modified"]}, path
        for client, other in ((first, seen[1]), (second, seen[0])):
            etag = other.headers["etag"]
            assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
            if path == content:  # the history answers no ranges
                ranged = client.get(path, headers={"Range": "bytes=0-3", "If-Range": etag})
                assert ranged.status_code == 206
    assert written.json()["etag"] == second.get(f"/v1/chats/{chat}/history").headers["etag"]
    etag = second.get(f"/v1/chats/{chat}/history").headers["etag"]
    condition = {"If-Match": etag}
    appended = first.post(f"/v1/chats/{chat}/history", content=b"more\n", headers=condition)
    assert appended.status_code == 200, appended.text
    replaced = upload(second, chat, "a.txt", b"new", **{"If-Match": stored_etag(first, content)})
    assert replaced.status_code == 201, replaced.text


def stored_etag(client: httpx.Client, path: str) -> str:
    """The ETag of the content at `path`, from a HEAD."""
    return client.head(path).headers["etag"]


def test_a_write_against_an_older_version_never_overwrites_the_other_replicas(
    replicas: list[RunningServer],
) -> None:
    """The first replica reads the history's ETag, the second appends (200), the first
    writes with If-Match on the ETag it read: 412 every time (PUT and POST), and every
    acknowledged append of the second is in the history at the end. The same for an
    attachment replaced through the second replica."""
    first, second, chat = new_chat(replicas)
    history = f"/v1/chats/{chat}/history"
    acknowledged = []
    for index in range(ROUNDS):
        etag = first.get(history).headers["etag"]
        block = f"append {index} from the second replica\n".encode()
        assert second.post(history, content=block).status_code == 200
        acknowledged.append(block)
        method = first.put if index % 2 else first.post
        refused = method(history, content=b"stale write\n", headers={"If-Match": etag})
        assert refused.status_code == 412, (index, refused.text)
    final = first.get(history).content
    assert final == b"".join(acknowledged)
    stored = upload(first, chat, "b.bin", b"first version").json()["files"][0]
    old = first.head(f"/v1/chats/{chat}/files/{stored['file_id']}/content").headers["etag"]
    assert upload(second, chat, "b.bin", b"second version").status_code == 201
    refused = upload(first, chat, "b.bin", b"stale version", **{"If-Match": old})
    assert refused.status_code == 412, refused.text
    [current] = second.get(f"/v1/chats/{chat}/files?name=b.bin").json()["files"]
    body = second.get(f"/v1/chats/{chat}/files/{current['file_id']}/content").content
    assert body == b"second version"


def test_a_read_after_a_write_on_the_other_replica_sees_it(
    replicas: list[RunningServer],
) -> None:
    """Appends alternate between the replicas and each is read back at once through the
    other: every read returns every byte acknowledged before it (history, messages, an
    attachment's content and metadata)."""
    first, second, chat = new_chat(replicas)
    history = f"/v1/chats/{chat}/history"
    expected = b""
    for index in range(3 * ROUNDS):
        writer, reader = (first, second) if index % 2 else (second, first)
        block = f"block {index}\n".encode() * 5
        assert writer.post(history, content=block).status_code == 200
        expected += block
        read = reader.get(history)
        assert read.content == expected, index
        assert int(read.headers["content-length"]) == len(expected)
    for index in range(ROUNDS):
        writer, reader = (first, second) if index % 2 else (second, first)
        message = {"role": "user", "content": f"m{index}"}
        posted = writer.post(f"/v1/chats/{chat}/messages", json=message)
        assert posted.status_code == 201, posted.text
        last = reader.get(f"/v1/chats/{chat}/messages", params={"limit": 1}).json()["messages"]
        assert last[0]["content"] == f"m{index}"
        stored = upload(writer, chat, "c.txt", f"version {index}".encode()).json()["files"][0]
        got = reader.get(f"/v1/chats/{chat}/files/{stored['file_id']}/content")
        assert got.content == f"version {index}".encode()


def test_a_file_replaced_through_one_replica_reads_through_the_other_without_500(
    replicas: list[RunningServer],
) -> None:
    """A history replaced (PUT) and an attachment replaced (upload over its name)
    through one replica read back through the other, right after: the new bytes every
    time, never 500 (a stale handle is opened again)."""
    first, second, chat = new_chat(replicas)
    history = f"/v1/chats/{chat}/history"
    for index in range(2 * ROUNDS):
        writer, reader = (first, second) if index % 2 else (second, first)
        body = f"history version {index}\n".encode() * 3
        assert writer.put(history, content=body).status_code == 200
        read = reader.get(history)
        assert read.status_code == 200, read.text
        assert read.content == body
        stored = upload(writer, chat, "d.txt", body).json()["files"][0]
        path = f"/v1/chats/{chat}/files/{stored['file_id']}/content"
        assert reader.head(path).status_code == 200
        got = reader.get(path)
        assert got.status_code == 200, got.text
        assert got.content == body
        if "last-modified" in got.headers:  # given only once the version's second is over
            modified = parsedate_to_datetime(got.headers["last-modified"])
            assert modified < datetime.now(UTC)
    for server in replicas:
        assert "Traceback" not in server.log, server.log
