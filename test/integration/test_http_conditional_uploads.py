"""Conditional uploads: If-None-Match: * creates only, If-Match replaces only the version
named; raw and multipart, all or nothing, decided again under the chat's lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from test.integration.validators import ATTACHMENT, Chat, new_chat


@pytest.fixture
async def chat(client: httpx.AsyncClient, user: dict[str, str], data_dir: Path) -> Chat:
    return await new_chat(client, user, data_dir)


async def upload(
    chat: Chat, names: list[str], headers: dict[str, str], *, multipart: bool
) -> httpx.Response:
    """Upload `names` (each holding b'new <name>') raw (one name) or as one multipart."""
    headers = {**chat.user, **headers}
    if not multipart:
        [name] = names
        url = f"{chat.files}?name={name}"
        return await chat.client.post(url, headers=headers, content=f"new {name}".encode())
    files = [("file", (name, f"new {name}".encode(), "text/plain")) for name in names]
    return await chat.client.post(chat.files, headers=headers, files=files)


async def content_etag(chat: Chat, name: str) -> str:
    listed = await chat.client.get(f"{chat.files}?name={name}", headers=chat.user)
    file_id = listed.json()["files"][0]["file_id"]
    head = await chat.client.head(f"{chat.files}/{file_id}/content", headers=chat.user)
    return str(head.headers["etag"])


@pytest.mark.parametrize("multipart", [False, True], ids=["raw", "multipart"])
async def test_if_none_match_star_creates_only(chat: Chat, multipart: bool) -> None:
    """If-None-Match: * stores a new name (201), and refuses a taken one (412), changing
    nothing: no byte, no metadata, no usage."""
    star = {"If-None-Match": "*"}
    assert (await upload(chat, ["b.txt"], star, multipart=multipart)).status_code == 201
    before = await chat.snapshot()
    refused = await upload(chat, ["b.txt"], star, multipart=multipart)
    assert refused.status_code == 412
    assert refused.json()["error"]["code"] == "precondition_failed"
    assert await chat.snapshot() == before


async def test_one_taken_name_refuses_the_whole_multipart(chat: Chat) -> None:
    """A create-only multipart whose second part names an existing attachment stores none of
    its parts, the new first one included."""
    before = await chat.snapshot()
    refused = await upload(chat, ["new.txt", "a.txt"], {"If-None-Match": "*"}, multipart=True)
    assert refused.status_code == 412
    assert await chat.snapshot() == before


@pytest.mark.parametrize("multipart", [False, True], ids=["raw", "multipart"])
async def test_if_match_replaces_only_the_version_named(chat: Chat, multipart: bool) -> None:
    """If-Match with the content's current ETag replaces it; the ETag it had before, now
    stale, is 412 and changes nothing."""
    old = await content_etag(chat, "a.txt")
    replaced = await upload(chat, ["a.txt"], {"If-Match": old}, multipart=multipart)
    assert replaced.status_code == 201
    assert replaced.json()["files"][0]["file_id"] != chat.file_id
    before = await chat.snapshot()
    refused = await upload(chat, ["a.txt"], {"If-Match": old}, multipart=multipart)
    assert refused.status_code == 412
    assert await chat.snapshot() == before


async def test_multipart_if_match_needs_every_part_listed(chat: Chat) -> None:
    """A multipart with If-Match stores only when every part's current ETag is listed."""
    assert (await upload(chat, ["b.txt"], {}, multipart=False)).status_code == 201
    a, b = await content_etag(chat, "a.txt"), await content_etag(chat, "b.txt")
    before = await chat.snapshot()
    partial = await upload(chat, ["a.txt", "b.txt"], {"If-Match": a}, multipart=True)
    assert partial.status_code == 412
    assert await chat.snapshot() == before
    both = await upload(chat, ["a.txt", "b.txt"], {"If-Match": f"{a}, {b}"}, multipart=True)
    assert both.status_code == 201


@pytest.mark.parametrize("value", ['"whatever"', "*"])
async def test_if_match_on_a_free_name_is_412(chat: Chat, value: str) -> None:
    """If-Match, an ETag list or *, never creates: a name with no attachment is 412."""
    before = await chat.snapshot()
    assert (
        await upload(chat, ["free.txt"], {"If-Match": value}, multipart=False)
    ).status_code == 412
    assert await chat.snapshot() == before


async def test_a_file_a_sandbox_wrote_counts_as_existing(chat: Chat) -> None:
    """A regular file a sandbox wrote, not yet an attachment: If-None-Match: * and an If-Match
    ETag refuse to touch it (412); If-Match: *, the complement of If-None-Match: *, replaces."""
    directory = next(chat.workspace_dir.glob(f"chats/{chat.chat_id}"))
    (directory / "sandbox.txt").write_bytes(b"the sandbox's")
    for value in ({"If-None-Match": "*"}, {"If-Match": '"sandbox"'}):
        refused = await upload(chat, ["sandbox.txt"], value, multipart=False)
        assert refused.status_code == 412
        assert (directory / "sandbox.txt").read_bytes() == b"the sandbox's"
    assert (await upload(chat, ["sandbox.txt"], {"If-Match": "*"}, multipart=False)).is_success
    assert (directory / "sandbox.txt").read_bytes() == b"new sandbox.txt"


async def test_raw_upload_is_refused_before_its_body_is_read(chat: Chat) -> None:
    """A raw upload whose preconditions fail is answered 412 with Connection: close without
    one byte of its body being read."""
    pulled: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        pulled.append(b"first")
        yield ATTACHMENT

    headers = {**chat.user, "If-None-Match": "*", "Content-Length": str(len(ATTACHMENT))}
    refused = await chat.client.post(f"{chat.files}?name=a.txt", headers=headers, content=body())
    assert refused.status_code == 412
    assert refused.headers["connection"] == "close"
    assert pulled == []


async def test_a_refusal_after_the_body_keeps_the_connection(chat: Chat) -> None:
    """A 412 decided once the body was read (messages read theirs first) leaves the
    connection open: nothing of the request is still on its way."""
    url = f"/v1/chats/{chat.chat_id}/messages"
    headers = {**chat.user, "If-Match": '"stale"'}
    refused = await chat.client.post(url, headers=headers, json={"role": "user", "content": "x"})
    assert refused.status_code == 412
    assert "connection" not in refused.headers


@pytest.mark.parametrize("header", ["If-None-Match", "If-Match"])
async def test_concurrent_conditional_uploads_of_one_name_let_one_through(
    chat: Chat, header: str
) -> None:
    """Two uploads of one name that both pass the early check (create-only of a free name, or
    If-Match of the same version) are decided again under the chat's lock: one lands, the
    other is 412, and usage matches the disk."""
    name = "race.txt" if header == "If-None-Match" else "a.txt"
    value = "*" if header == "If-None-Match" else await content_etag(chat, "a.txt")
    started = [asyncio.Event(), asyncio.Event()]
    release = asyncio.Event()

    async def body(index: int) -> AsyncIterator[bytes]:
        yield b"from "
        started[index].set()
        await release.wait()
        yield str(index).encode()

    async def send(index: int) -> httpx.Response:
        headers = {**chat.user, header: value}
        url = f"{chat.files}?name={name}"
        return await chat.client.post(url, headers=headers, content=body(index))

    racing = [asyncio.create_task(send(index)) for index in (0, 1)]
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in started)), 10)
    release.set()
    statuses = sorted(response.status_code for response in await asyncio.gather(*racing))
    assert statuses == [201, 412]
    snapshot = await chat.snapshot()
    disk = snapshot["disk"]
    assert isinstance(disk, dict)
    assert snapshot["used_bytes"] == sum(len(data) for data in disk.values())
    assert disk[f"chats/{chat.chat_id}/{name}"] in (b"from 0", b"from 1")
