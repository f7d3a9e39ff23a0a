from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from test.conftest import make_chat


async def test_put_creates_then_finds(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """PUT answers 201 with the new workspace, then 200 with the same one."""
    created = await client.put("/v1/workspace", headers=user)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {
        "workspace_id",
        "user_id",
        "created_at",
        "quota_bytes",
        "used_bytes",
        "quota_inodes",
        "used_inodes",
    }
    assert body["quota_bytes"] == 1024**3
    assert body["used_bytes"] == 0
    assert body["quota_inodes"] == 100_000
    assert body["used_inodes"] == 0
    assert body["created_at"].endswith("+00:00")
    again = await client.put("/v1/workspace", headers=user)
    assert again.status_code == 200
    assert again.json() == body


async def test_put_sets_the_quota(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """quota_bytes in the body sets the quota on create and on update."""
    created = await client.put("/v1/workspace", headers=user, json={"quota_bytes": 10})
    assert created.json()["quota_bytes"] == 10
    updated = await client.put("/v1/workspace", headers=user, json={"quota_bytes": 0})
    assert updated.status_code == 200
    assert updated.json()["quota_bytes"] == 0
    assert (await client.get("/v1/workspace", headers=user)).json()["quota_bytes"] == 0


@pytest.mark.parametrize(
    "content",
    [
        b'{"quota_bytes": -1}',
        b'{"quota_bytes": 9223372036854775808}',
        b'{"quota_bytes": 1e308}',
        b'{"quota_bytes": "10"}',
        b'{"quota_bytes": 1.5}',
        b'{"quota_bytes": true}',
        b'{"quota": 10}',
        b"[1, 2]",
        b"{not json",
        b'"text"',
    ],
)
async def test_bad_bodies_are_invalid_request(
    client: httpx.AsyncClient, user: dict[str, str], content: bytes
) -> None:
    """Malformed JSON, wrong types, quotas below 0 or past 2**63-1 (what the stores hold)
    and unknown fields are 400."""
    headers = {**user, "Content-Type": "application/json"}
    response = await client.put("/v1/workspace", headers=headers, content=content)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert (await client.get("/v1/workspace", headers=user)).status_code == 404


async def test_body_without_content_type_is_json(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A body without Content-Type is read as JSON."""
    response = await client.put("/v1/workspace", headers=user, content=b'{"quota_bytes": 7}')
    assert response.status_code == 201
    assert response.json()["quota_bytes"] == 7


async def test_json_with_parameters_is_accepted(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """application/json with a charset parameter is JSON."""
    headers = {**user, "Content-Type": "Application/JSON; charset=utf-8"}
    response = await client.put("/v1/workspace", headers=headers, content=b'{"quota_bytes": 7}')
    assert response.status_code == 201


async def test_other_media_type_is_415(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """A non-empty body of another media type is 415; an empty one is fine."""
    headers = {**user, "Content-Type": "text/plain"}
    refused = await client.put("/v1/workspace", headers=headers, content=b'{"quota_bytes": 1}')
    assert refused.status_code == 415
    assert refused.json()["error"]["code"] == "unsupported_media_type"
    empty = await client.put("/v1/workspace", headers=headers, content=b"")
    assert empty.status_code == 201


async def test_json_body_over_one_mib_is_413(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A JSON body over 1 MiB is 413 request_too_large."""
    content = b'{"quota_bytes": 1' + b" " * (1024 * 1024) + b"}"
    response = await client.put("/v1/workspace", headers=user, content=content)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


async def test_get_before_put_is_404(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    """GET and DELETE without a workspace answer workspace_not_found."""
    for method in ("GET", "DELETE"):
        response = await client.request(method, "/v1/workspace", headers=user)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "workspace_not_found"


async def test_delete_removes_everything(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """DELETE answers 204 and leaves no chat, history or directory behind."""
    chat_id = await make_chat(client, user)
    await client.put(f"/v1/chats/{chat_id}/history", headers=user, content=b"hello")
    workspace_id = (await client.get("/v1/workspace", headers=user)).json()["workspace_id"]
    response = await client.delete("/v1/workspace", headers=user)
    assert response.status_code == 204
    assert response.content == b""
    assert not (data_dir / "workspaces" / workspace_id).exists()
    assert (await client.get(f"/v1/chats/{chat_id}", headers=user)).status_code == 404
    assert (await client.get("/v1/workspace", headers=user)).status_code == 404
    assert (await client.put("/v1/workspace", headers=user)).status_code == 201


async def test_used_bytes_follows_history_writes(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """used_bytes equals the history bytes after each write and after a chat deletion."""
    chat_id = await make_chat(client, user)
    await client.put(f"/v1/chats/{chat_id}/history", headers=user, content=b"x" * 100)
    await client.post(f"/v1/chats/{chat_id}/history", headers=user, content=b"y" * 20)
    assert (await client.get("/v1/workspace", headers=user)).json()["used_bytes"] == 120
    await client.put(f"/v1/chats/{chat_id}/history", headers=user, content=b"z" * 5)
    assert (await client.get("/v1/workspace", headers=user)).json()["used_bytes"] == 5
    await client.delete(f"/v1/chats/{chat_id}", headers=user)
    assert (await client.get("/v1/workspace", headers=user)).json()["used_bytes"] == 0
