"""Pages of a chat's attachments over HTTP (contract 1.1, "Hostile trees and resource
limits"; decision record 022): `GET …/files` and `POST …/rescan` answer `?limit=` files
after `?cursor=`, oldest first, with `next_cursor`."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from chatkeep.domain.chat import Position
from chatkeep.domain.chat_cursor import ChatCursor
from chatkeep.domain.file_cursor import FileCursor
from test.conftest import FakeClock, chat_path, make_chat


async def workspace_id(client: httpx.AsyncClient, user: dict[str, str]) -> str:
    return str((await client.get("/v1/workspace", headers=user)).json()["workspace_id"])


async def files_page(
    client: httpx.AsyncClient, user: dict[str, str], chat_id: str, **query: object
) -> dict:
    response = await client.get(f"/v1/chats/{chat_id}/files", headers=user, params=query)
    assert response.status_code == 200, response.text
    return response.json()


async def every_file(
    client: httpx.AsyncClient, user: dict[str, str], chat_id: str, limit: int
) -> list[str]:
    names: list[str] = []
    cursor = None
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await files_page(client, user, chat_id, **query)
        names += [f["name"] for f in page["files"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return names
        assert len(page["files"]) == limit


async def upload(client: httpx.AsyncClient, user: dict[str, str], chat_id: str, name: str) -> dict:
    response = await client.post(
        f"/v1/chats/{chat_id}/files", params={"name": name}, headers=user, content=name.encode()
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["files"][0])


async def planted_chat(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path, count: int
) -> tuple[str, list[str]]:
    """A chat whose `count` files a sandbox wrote (not yet adopted), and their names."""
    chat_id = await make_chat(client, user)
    directory = chat_path(data_dir, await workspace_id(client, user), chat_id)
    names = [f"f{n:05}.txt" for n in range(count)]
    for name in names:
        (directory / name).write_bytes(b"")
    return chat_id, names


async def test_pages_walk_2500_files_once_each_in_order(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """2,500 files (adopted by a rescan) come in pages of 1000 by default, each once,
    oldest first; next_cursor is null exactly on the last page; one page of 10000 holds
    them all."""
    chat_id, names = await planted_chat(client, user, data_dir, 2500)
    rescan = await client.post(f"/v1/chats/{chat_id}/rescan", headers=user)
    assert rescan.status_code == 200
    first = rescan.json()
    assert [f["name"] for f in first["files"]] == names[:1000]
    assert first["next_cursor"] is not None
    assert await every_file(client, user, chat_id, 1000) == names
    whole = await files_page(client, user, chat_id, limit=10_000)
    assert ([f["name"] for f in whole["files"]], whole["next_cursor"]) == (names, None)
    exact = await files_page(client, user, chat_id, limit=2500)
    assert exact["next_cursor"] is None
    default = await files_page(client, user, chat_id)
    assert len(default["files"]) == 1000


@pytest.mark.parametrize("limit", [0, -1, 10_001, 2**63, "ten", ""])
async def test_a_limit_outside_1_to_10000_is_400(
    client: httpx.AsyncClient, user: dict[str, str], limit: object
) -> None:
    """?limit= must be a whole number from 1 to 10000, on a listing and on a rescan; a
    refused rescan changes nothing."""
    chat_id = await make_chat(client, user)
    for method, path in (("GET", "files"), ("POST", "rescan")):
        response = await client.request(
            method, f"/v1/chats/{chat_id}/{path}", params={"limit": limit}, headers=user
        )
        assert response.status_code == 400, (method, response.text)
        assert response.json()["error"]["code"] == "invalid_request"


async def test_rescan_answers_a_page_and_its_cursor_goes_on_in_the_listing(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """POST …/rescan?limit=N answers the first N attachments after the rescan with a
    cursor that GET …/files (or another rescan) takes up; a bad cursor is refused before
    the rescan runs."""
    chat_id, names = await planted_chat(client, user, data_dir, 5)
    refused = await client.post(
        f"/v1/chats/{chat_id}/rescan", params={"cursor": "nonsense"}, headers=user
    )
    assert refused.status_code == 400
    assert (await files_page(client, user, chat_id))["files"] == []  # nothing adopted
    rescan = await client.post(f"/v1/chats/{chat_id}/rescan", params={"limit": 2}, headers=user)
    page = rescan.json()
    assert [f["name"] for f in page["files"]] == names[:2]
    rest = await files_page(client, user, chat_id, cursor=page["next_cursor"])
    assert ([f["name"] for f in rest["files"]], rest["next_cursor"]) == (names[2:], None)
    again = await client.post(
        f"/v1/chats/{chat_id}/rescan",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=user,
    )
    assert [f["name"] for f in again.json()["files"]] == names[2:4]


async def test_the_name_filter_is_one_page_without_a_cursor(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """?name= lists that attachment alone (or none) with a null next_cursor, whatever the
    limit; beside a cursor it is 400, a filtered listing issuing no cursor."""
    chat_id = await make_chat(client, user)
    for name in ("a", "b", "c"):
        await upload(client, user, chat_id, name)
    named = await files_page(client, user, chat_id, name="b", limit=1)
    assert ([f["name"] for f in named["files"]], named["next_cursor"]) == (["b"], None)
    none = await files_page(client, user, chat_id, name="zzz")
    assert (none["files"], none["next_cursor"]) == ([], None)
    cursor = (await files_page(client, user, chat_id, limit=1))["next_cursor"]
    response = await client.get(
        f"/v1/chats/{chat_id}/files", params={"name": "b", "cursor": cursor}, headers=user
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


async def test_pages_stay_stable_while_files_are_added(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Uploading and replacing files between pages (in the same clock tick) neither
    skips nor repeats a file that existed when the walk began: they come once, in order,
    and the new and replaced ones after them."""
    chat_id = await make_chat(client, user)
    existing = [f"e{n}" for n in range(7)]
    for name in existing:
        await upload(client, user, chat_id, name)
    seen: list[str] = []
    cursor = None
    added = 0
    while True:
        page = await files_page(
            client, user, chat_id, limit=2, **({"cursor": cursor} if cursor else {})
        )
        seen += [f["name"] for f in page["files"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        added += 1
        await upload(client, user, chat_id, f"new{added}")
        await upload(client, user, chat_id, "e0")  # replaced: a new id, at the end
    assert seen[:7] == existing
    assert seen[7:] == [f"new{n}" for n in range(1, added + 1)] + ["e0"]


async def test_a_cursor_of_another_chat_or_workspace_is_400(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A files cursor is bound to its chat: on another chat of the same workspace, or of
    another user, it is 400 invalid_request, not a page of that chat; a chats cursor is
    bound to its workspace alike."""
    mine, other_mine = await make_chat(client, user), await make_chat(client, user)
    stranger = {"X-User-Id": str(uuid.uuid4())}
    theirs = await make_chat(client, stranger)
    for chat_id, headers in ((mine, user), (theirs, stranger)):
        for name in ("a", "b"):
            await upload(client, headers, chat_id, name)
    cursor = (await files_page(client, user, mine, limit=1))["next_cursor"]
    their_cursor = (await files_page(client, stranger, theirs, limit=1))["next_cursor"]
    for chat_id, used in ((other_mine, cursor), (mine, their_cursor)):
        for method, path in (("GET", "files"), ("POST", "rescan")):
            response = await client.request(
                method, f"/v1/chats/{chat_id}/{path}", params={"cursor": used}, headers=user
            )
            assert response.status_code == 400, (method, path, response.text)
            assert response.json()["error"]["code"] == "invalid_request"
    await make_chat(client, stranger)
    their_chats = await client.get("/v1/chats", params={"limit": 1}, headers=stranger)
    refused = await client.get(
        "/v1/chats", params={"cursor": their_chats.json()["next_cursor"]}, headers=user
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_request"


async def test_cursors_reveal_nothing_of_other_workspaces(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """A chats cursor and a files cursor are what the caller's own data alone makes (its
    workspace or chat, the last item's timestamp and its number there), however many
    chats and files other users create in between: the old cursor carried a
    service-wide ordinal that moved with everyone's activity."""
    stranger = {"X-User-Id": str(uuid.uuid4())}
    first = await make_chat(client, user)
    for _ in range(5):
        busy = await make_chat(client, stranger)
        await upload(client, stranger, busy, "x")
    clock.advance(1)
    second = await make_chat(client, user)
    await make_chat(client, user)
    await upload(client, user, first, "mine")
    await upload(client, stranger, busy, "y")
    await upload(client, user, first, "also mine")
    chats = (await client.get("/v1/chats", params={"limit": 2}, headers=user)).json()
    last = chats["chats"][-1]
    assert last["chat_id"] == second
    mine = uuid.UUID(await workspace_id(client, user))
    at = Position(datetime.fromisoformat(last["created_at"]), 2)
    assert chats["next_cursor"] == ChatCursor.after(mine, "created_at", None, at).encode()
    files = await files_page(client, user, first, limit=1)
    mine_file = files["files"][0]
    expected = FileCursor.after(
        uuid.UUID(first), Position(datetime.fromisoformat(mine_file["created_at"]), 1)
    )
    assert files["next_cursor"] == expected.encode()
    decoded = base64.urlsafe_b64decode(files["next_cursor"] + "==")
    assert json.loads(decoded)[-1] == 1
