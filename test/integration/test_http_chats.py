from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from test.conftest import FakeClock, chat_path, make_chat


async def test_create_without_workspace_is_404(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """POST /v1/chats before the workspace exists is workspace_not_found."""
    response = await client.post("/v1/chats", headers=user, json={"title": "t"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "workspace_not_found"


async def test_create_makes_a_chat_with_directory_and_history(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """POST answers 201 with the chat; its directory holds an empty history.md."""
    await client.put("/v1/workspace", headers=user)
    response = await client.post("/v1/chats", headers=user, json={"title": "Plans"})
    assert response.status_code == 201
    chat = response.json()
    assert set(chat) == {"chat_id", "workspace_id", "title", "status", "created_at", "updated_at"}
    assert chat["status"] == "active"
    assert chat["title"] == "Plans"
    assert datetime.fromisoformat(chat["created_at"]).utcoffset() is not None
    history = chat_path(data_dir, chat["workspace_id"], chat["chat_id"]) / "history.md"
    assert history.read_bytes() == b""


async def test_title_is_optional_and_bounded(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """No body means no title; a 501-character or non-string title is 400."""
    await client.put("/v1/workspace", headers=user)
    untitled = await client.post("/v1/chats", headers=user)
    assert untitled.status_code == 201
    assert untitled.json()["title"] is None
    for title in ("x" * 501, 5):
        refused = await client.post("/v1/chats", headers=user, json={"title": title})
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "invalid_request"
    assert len((await client.get("/v1/chats", headers=user)).json()["chats"]) == 1


async def test_list_is_oldest_first(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """GET /v1/chats lists the caller's chats in creation order."""
    ids = []
    for index in range(3):
        ids.append(await make_chat(client, user, title=f"chat {index}"))
        clock.advance(1)
    listed = (await client.get("/v1/chats", headers=user)).json()["chats"]
    assert [chat["chat_id"] for chat in listed] == ids


async def test_another_users_chat_is_404_everywhere(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A chat of another workspace answers chat_not_found on every chat route."""
    chat_id = await make_chat(client, user)
    stranger = {"X-User-Id": str(uuid.uuid4())}
    await client.put("/v1/workspace", headers=stranger)
    assert (await client.get("/v1/chats", headers=stranger)).json()["chats"] == []
    for method, path in [
        ("GET", f"/v1/chats/{chat_id}"),
        ("DELETE", f"/v1/chats/{chat_id}"),
        ("GET", f"/v1/chats/{chat_id}/history"),
        ("PUT", f"/v1/chats/{chat_id}/history"),
        ("POST", f"/v1/chats/{chat_id}/history"),
    ]:
        response = await client.request(method, path, headers=stranger, content=b"x")
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "chat_not_found"
    assert (await client.get(f"/v1/chats/{chat_id}/history", headers=user)).content == b""


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1234", "%2e%2e", "0" * 35, "g" * 36])
async def test_malformed_chat_id_is_chat_not_found(
    client: httpx.AsyncClient, user: dict[str, str], bad_id: str
) -> None:
    """A chat id that is not a UUID answers 404 chat_not_found."""
    await make_chat(client, user)
    response = await client.get(f"/v1/chats/{bad_id}", headers=user)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "chat_not_found"


async def test_delete_removes_directory_and_metadata(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """DELETE answers 204; the chat and its directory are gone; a second DELETE is 404."""
    chat_id = await make_chat(client, user)
    workspace_id = (await client.get("/v1/workspace", headers=user)).json()["workspace_id"]
    response = await client.delete(f"/v1/chats/{chat_id}", headers=user)
    assert response.status_code == 204
    assert not chat_path(data_dir, workspace_id, chat_id).exists()
    assert (await client.get(f"/v1/chats/{chat_id}", headers=user)).status_code == 404
    assert (await client.delete(f"/v1/chats/{chat_id}", headers=user)).status_code == 404


async def test_trailing_slash_is_not_redirected(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A path with a trailing slash is 404 not_found, never a redirect."""
    await client.put("/v1/workspace", headers=user)
    response = await client.get("/v1/workspace/", headers=user)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
