from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from test.conftest import chat_path, make_chat


async def history(client: httpx.AsyncClient, user: dict[str, str], chat_id: str) -> bytes:
    response = await client.get(f"/v1/chats/{chat_id}/history", headers=user)
    assert response.status_code == 200
    return response.content


async def test_new_history_is_empty_markdown_with_etag(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A new chat's history is 200, empty, text/markdown, with an ETag."""
    chat_id = await make_chat(client, user)
    response = await client.get(f"/v1/chats/{chat_id}/history", headers=user)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["etag"].startswith('"')


async def test_put_and_post_answer_size_and_etag(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """PUT replaces, POST appends; each answers size_bytes and the ETag, also as header,
    and a GET then serves exactly those bytes under that ETag."""
    chat_id = await make_chat(client, user)
    path = f"/v1/chats/{chat_id}/history"
    put = await client.put(path, headers=user, content="# Título\n".encode())
    assert put.status_code == 200
    assert put.json() == {"size_bytes": 10, "etag": put.headers["etag"]}
    post = await client.post(path, headers=user, content=b"more\n")
    assert post.json()["size_bytes"] == 15
    assert post.json()["etag"] == post.headers["etag"] != put.headers["etag"]
    got = await client.get(path, headers=user)
    assert got.content == "# Título\nmore\n".encode()
    assert got.headers["etag"] == post.headers["etag"]
    assert got.headers["content-length"] == "15"


async def test_stale_if_match_is_412_and_history_unchanged(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """If-Match with an old ETag is 412 for PUT and POST; the current one succeeds."""
    chat_id = await make_chat(client, user)
    path = f"/v1/chats/{chat_id}/history"
    first = (await client.put(path, headers=user, content=b"one")).headers["etag"]
    second = (await client.post(path, headers=user, content=b" two")).headers["etag"]
    for method in ("PUT", "POST"):
        stale = await client.request(
            method, path, headers={**user, "If-Match": first}, content=b"lost"
        )
        assert stale.status_code == 412
        assert stale.json()["error"]["code"] == "precondition_failed"
    assert await history(client, user, chat_id) == b"one two"
    fresh = await client.post(path, headers={**user, "If-Match": second}, content=b" three")
    assert fresh.status_code == 200
    listed = await client.put(
        path, headers={**user, "If-Match": f'"nope", {fresh.headers["etag"]}'}, content=b"new"
    )
    assert listed.status_code == 200
    star = await client.post(path, headers={**user, "If-Match": "*"}, content=b"!")
    assert star.status_code == 200
    assert await history(client, user, chat_id) == b"new!"


async def test_weak_or_malformed_if_match(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """A weak ETag never matches If-Match (412); a malformed header is 400."""
    chat_id = await make_chat(client, user)
    path = f"/v1/chats/{chat_id}/history"
    etag = (await client.put(path, headers=user, content=b"x")).headers["etag"]
    weak = await client.put(path, headers={**user, "If-Match": f"W/{etag}"}, content=b"y")
    assert weak.status_code == 412
    bad = await client.put(path, headers={**user, "If-Match": "no-quotes"}, content=b"y")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_request"
    assert await history(client, user, chat_id) == b"x"


async def test_non_utf8_is_400_and_history_unchanged(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A body that is not valid UTF-8 is 400 invalid_history for PUT and POST."""
    chat_id = await make_chat(client, user)
    path = f"/v1/chats/{chat_id}/history"
    await client.put(path, headers=user, content=b"intact")
    for method in ("PUT", "POST"):
        response = await client.request(method, path, headers=user, content=b"bad \xff\xfe")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_history"
    assert await history(client, user, chat_id) == b"intact"


async def test_write_over_quota_is_413_and_history_unchanged(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """A history write that would pass the quota is 413; history and usage stay."""
    chat_id = await make_chat(client, user, quota_bytes=100)
    path = f"/v1/chats/{chat_id}/history"
    assert (await client.put(path, headers=user, content=b"a" * 80)).status_code == 200
    for method, size in (("POST", 21), ("PUT", 101)):
        response = await client.request(method, path, headers=user, content=b"b" * size)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "workspace_quota_exceeded"
    assert await history(client, user, chat_id) == b"a" * 80
    workspace = (await client.get("/v1/workspace", headers=user)).json()
    assert workspace["used_bytes"] == 80
    assert os.listdir(data_dir / "tmp") == []
    fits = await client.post(path, headers=user, content=b"c" * 20)
    assert fits.status_code == 200
    assert fits.json()["size_bytes"] == 100


async def test_200_concurrent_appends_land_whole(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """200 concurrent POSTs all land, each exactly once and never interleaved."""
    chat_id = await make_chat(client, user)
    path = f"/v1/chats/{chat_id}/history"
    blocks = [f"## block {i:03d}\n" + f"{i:03d} " * 200 + "\n" for i in range(200)]

    async def append(block: str) -> int:
        return (await client.post(path, headers=user, content=block.encode())).status_code

    statuses = await asyncio.gather(*(append(block) for block in blocks))
    assert statuses == [200] * 200
    content = (await history(client, user, chat_id)).decode()
    found = [f"## block {part}" for part in content.split("## block ")[1:]]
    assert sorted(found) == sorted(blocks)
    total = sum(len(block) for block in blocks)
    assert (await client.get("/v1/workspace", headers=user)).json()["used_bytes"] == total


async def test_if_none_match_and_head(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """If-None-Match with the current ETag is 304; HEAD gives the headers without body."""
    chat_id = await make_chat(client, user)
    path = f"/v1/chats/{chat_id}/history"
    etag = (await client.put(path, headers=user, content=b"abc")).headers["etag"]
    cached = await client.get(path, headers={**user, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    changed = await client.get(path, headers={**user, "If-None-Match": '"other"'})
    assert changed.status_code == 200
    head = await client.head(path, headers=user)
    assert head.status_code == 200
    assert head.headers["content-length"] == "3"
    assert head.headers["etag"] == etag
    assert head.content == b""


async def test_writes_move_updated_at(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """Each history write moves the chat's updated_at forward."""
    chat_id = await make_chat(client, user)
    before = (await client.get(f"/v1/chats/{chat_id}", headers=user)).json()["updated_at"]
    await client.post(f"/v1/chats/{chat_id}/history", headers=user, content=b"x")
    after = (await client.get(f"/v1/chats/{chat_id}", headers=user)).json()
    assert after["updated_at"] > before
    assert after["created_at"] == before


async def test_large_history_streams_back_whole(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """A 5 MB history written by PUT is served back byte for byte."""
    chat_id = await make_chat(client, user)
    content = ("line of text ü\n" * 330_000).encode()
    response = await client.put(f"/v1/chats/{chat_id}/history", headers=user, content=content)
    assert response.json()["size_bytes"] == len(content)
    assert await history(client, user, chat_id) == content
    workspace_id = (await client.get("/v1/workspace", headers=user)).json()["workspace_id"]
    assert (chat_path(data_dir, workspace_id, chat_id) / "history.md").read_bytes() == content
