"""The inode quota (contract, Version 1.1, "Hostile trees and resource limits"): every
file and directory under a workspace's chat directories counts, a hard-linked file once;
an API request that would create entries past the quota is 413 and creates nothing;
what a sandbox wrote counts from its rescan on."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from test.conftest import chat_path, make_chat
from test.disk import on_disk


async def workspace(client: httpx.AsyncClient, user: dict[str, str]) -> dict[str, Any]:
    answer = await client.get("/v1/workspace", headers=user)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


async def set_quota(client: httpx.AsyncClient, user: dict[str, str], **quotas: int) -> None:
    assert (await client.put("/v1/workspace", headers=user, json=quotas)).is_success


def chats_dir(data_dir: Path, workspace_id: str) -> Path:
    return data_dir / "workspaces" / workspace_id / "chats"


def refused(answer: httpx.Response) -> bool:
    return answer.status_code == 413 and answer.json()["error"]["code"] == (
        "workspace_quota_exceeded"
    )


async def test_put_sets_the_inode_quota(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """quota_inodes sets the inode quota on create and on update, alone or beside
    quota_bytes, which it leaves as it is."""
    created = await client.put("/v1/workspace", headers=user, json={"quota_inodes": 7})
    assert created.status_code == 201
    assert (created.json()["quota_inodes"], created.json()["quota_bytes"]) == (7, 1024**3)
    both = await client.put(
        "/v1/workspace", headers=user, json={"quota_inodes": 0, "quota_bytes": 5}
    )
    assert (both.json()["quota_inodes"], both.json()["quota_bytes"]) == (0, 5)
    bytes_only = await client.put("/v1/workspace", headers=user, json={"quota_bytes": 6})
    assert bytes_only.json()["quota_inodes"] == 0
    assert (await workspace(client, user))["quota_inodes"] == 0


@pytest.mark.parametrize(
    "content",
    [b"-1", b"9223372036854775808", b"1e308", b'"10"', b"1.5", b"true", b"null"],
)
async def test_bad_inode_quotas_are_invalid_request(
    client: httpx.AsyncClient, user: dict[str, str], content: bytes
) -> None:
    """An inode quota below 0, past 2**63-1 (the schema's maximum) or not an integer is
    400 and creates no workspace."""
    headers = {**user, "Content-Type": "application/json"}
    body = b'{"quota_inodes": ' + content + b"}"
    answer = await client.put("/v1/workspace", headers=headers, content=body)
    if content == b"null":  # null is "not given", as for quota_bytes
        assert answer.status_code == 201
        return
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_request"
    assert (await client.get("/v1/workspace", headers=user)).status_code == 404


async def test_chat_creation_stops_at_the_inode_quota(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """A chat takes two inodes (its directory, its history): with a quota of 5, two chats
    are made and the third is 413, leaving disk, listing and usage as they were."""
    await set_quota(client, user, quota_inodes=5, quota_bytes=1)
    for _ in range(2):
        assert (await client.post("/v1/chats", headers=user)).status_code == 201
    ws = await workspace(client, user)
    assert ws["used_inodes"] == 4
    before = sorted(os.listdir(chats_dir(data_dir, ws["workspace_id"])))
    answer = await client.post("/v1/chats", headers=user)
    assert refused(answer)
    assert "inodes" in answer.json()["error"]["message"]
    assert sorted(os.listdir(chats_dir(data_dir, ws["workspace_id"]))) == before
    assert len((await client.get("/v1/chats", headers=user)).json()["chats"]) == 2
    assert (await workspace(client, user))["used_inodes"] == 4


async def test_raw_uploads_count_a_new_name_and_not_a_replacement(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """With a quota of 3, a chat (2) and one attachment (3) fit; a second name is 413 and
    nothing of it stays; replacing the first is allowed; deleting it frees its inode."""
    chat_id = await make_chat(client, user)
    await set_quota(client, user, quota_inodes=3)
    files = f"/v1/chats/{chat_id}/files"
    assert (await client.post(files, params={"name": "a"}, headers=user, content=b"1")).is_success
    answer = await client.post(files, params={"name": "b"}, headers=user, content=b"2")
    assert refused(answer)
    ws = await workspace(client, user)
    directory = chat_path(data_dir, ws["workspace_id"], chat_id)
    assert sorted(os.listdir(directory)) == ["a", "history.md"]
    assert os.listdir(data_dir / "tmp") == []
    assert (ws["used_inodes"], ws["used_bytes"]) == (3, 1)
    listed = (await client.get(files, headers=user)).json()["files"]
    assert [f["name"] for f in listed] == ["a"]
    replaced = await client.post(files, params={"name": "a"}, headers=user, content=b"new")
    assert replaced.status_code == 201
    assert (await workspace(client, user))["used_inodes"] == 3
    file_id = replaced.json()["files"][0]["file_id"]
    assert (await client.delete(f"{files}/{file_id}", headers=user)).status_code == 204
    assert (await workspace(client, user))["used_inodes"] == 2
    assert (await client.post(files, params={"name": "b"}, headers=user, content=b"2")).is_success


async def test_a_multipart_upload_past_the_inode_quota_stores_no_part(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """With room for two new entries, a multipart of three new names is 413 and stores
    none; one of an existing name and two new ones fits."""
    chat_id = await make_chat(client, user)
    files = f"/v1/chats/{chat_id}/files"
    assert (await client.post(files, params={"name": "a"}, headers=user, content=b"1")).is_success
    await set_quota(client, user, quota_inodes=5)
    three = [("file", (name, b"x", "text/plain")) for name in ("b", "c", "d")]
    assert refused(await client.post(files, headers=user, files=three))
    ws = await workspace(client, user)
    assert sorted(os.listdir(chat_path(data_dir, ws["workspace_id"], chat_id))) == [
        "a",
        "history.md",
    ]
    assert (ws["used_inodes"], ws["used_bytes"]) == (3, 1)
    fits = [("file", (name, b"y", "text/plain")) for name in ("a", "b", "c")]
    stored = await client.post(files, headers=user, files=fits)
    assert stored.status_code == 201
    assert (await workspace(client, user))["used_inodes"] == 5


async def test_what_a_sandbox_wrote_counts_from_its_rescan_and_stops_api_creations(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """A sandbox makes 200 empty files and a directory of 50 (nothing stops it); ending
    the session recounts: used_inodes is what is on disk, over the quota of 100. From
    then on a chat or a new name is 413, while replacing an attachment and deleting go."""
    chat_id = await make_chat(client, user)
    await set_quota(client, user, quota_inodes=100)
    sandbox = f"/v1/chats/{chat_id}/sandbox"
    assert (await client.put(sandbox, headers=user, json={"sandbox_id": "s"})).status_code == 201
    ws = await workspace(client, user)
    directory = chat_path(data_dir, ws["workspace_id"], chat_id)
    for i in range(200):
        (directory / f"empty-{i}.txt").touch()
    (directory / "sub").mkdir()
    for i in range(50):
        (directory / "sub" / str(i)).touch()
    assert (await workspace(client, user))["used_inodes"] == 2  # not counted yet
    assert (await client.delete(sandbox, headers=user)).status_code == 204
    used = (await workspace(client, user))["used_inodes"]
    assert used == on_disk(chats_dir(data_dir, ws["workspace_id"])).entries == 2 + 200 + 51
    assert refused(await client.post("/v1/chats", headers=user))
    files = f"/v1/chats/{chat_id}/files"
    assert refused(await client.post(files, params={"name": "new"}, headers=user, content=b""))
    replaced = await client.post(files, params={"name": "empty-0.txt"}, headers=user, content=b"x")
    assert replaced.status_code == 201
    assert (await workspace(client, user))["used_inodes"] == used
    assert (await client.delete(f"/v1/chats/{chat_id}", headers=user)).status_code == 204
    assert (await workspace(client, user))["used_inodes"] == 0
    assert (await client.post("/v1/chats", headers=user)).status_code == 201


async def test_a_hard_linked_file_counts_once_and_frees_nothing_while_linked(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """A sandbox links chat A's attachment into chat B and into a subdirectory of A: one
    inode, one size. Deleting chat B frees B's directory and history only, since A still
    holds the file; usage then equals the disk, in bytes and inodes."""
    first = await make_chat(client, user)
    second = await make_chat(client, user)
    files = f"/v1/chats/{first}/files"
    assert (
        await client.post(files, params={"name": "f"}, headers=user, content=b"12345")
    ).is_success
    ws = await workspace(client, user)
    a, b = (chat_path(data_dir, ws["workspace_id"], chat) for chat in (first, second))
    os.link(a / "f", b / "g")
    (a / "sub").mkdir()
    os.link(a / "f", a / "sub" / "h")
    assert (await client.post(f"/v1/chats/{second}/rescan", headers=user)).status_code == 200
    ws = await workspace(client, user)
    assert (ws["used_inodes"], ws["used_bytes"]) == (2 + 2 + 1 + 1, 5)
    assert (await client.delete(f"/v1/chats/{second}", headers=user)).status_code == 204
    ws = await workspace(client, user)
    there = on_disk(chats_dir(data_dir, ws["workspace_id"]))
    assert (ws["used_inodes"], ws["used_bytes"]) == (there.entries, there.bytes) == (4, 5)


async def test_concurrent_chat_creations_never_exceed_the_inode_quota(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """30 chats asked at once against room for 10: exactly 10 are made, the others are
    413, and usage, listing and disk agree at the quota."""
    await set_quota(client, user, quota_inodes=20)
    answers = await asyncio.gather(*(client.post("/v1/chats", headers=user) for _ in range(30)))
    assert sorted(answer.status_code for answer in answers) == [201] * 10 + [413] * 20
    ws = await workspace(client, user)
    assert ws["used_inodes"] == 20
    assert len(os.listdir(chats_dir(data_dir, ws["workspace_id"]))) == 10
    assert len((await client.get("/v1/chats", headers=user)).json()["chats"]) == 10


async def test_concurrent_uploads_never_exceed_the_inode_quota(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """30 uploads of new names at once, raw and multipart, against room for 8 entries:
    8 land, and the count on disk is the quota."""
    chat_id = await make_chat(client, user)
    await set_quota(client, user, quota_inodes=10)
    files = f"/v1/chats/{chat_id}/files"

    async def upload(i: int) -> httpx.Response:
        if i % 2:
            return await client.post(files, params={"name": f"r{i}"}, headers=user, content=b"r")
        return await client.post(files, headers=user, files=[("file", (f"m{i}", b"m"))])

    answers = await asyncio.gather(*(upload(i) for i in range(30)))
    assert sorted(answer.status_code for answer in answers) == [201] * 8 + [413] * 22
    ws = await workspace(client, user)
    assert ws["used_inodes"] == on_disk(chats_dir(data_dir, ws["workspace_id"])).entries == 10
