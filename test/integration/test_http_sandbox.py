from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import httpx
import pytest

from test.conftest import FakeClock, chat_path, make_chat


async def workspace_id(client: httpx.AsyncClient, user: dict[str, str]) -> str:
    return str((await client.get("/v1/workspace", headers=user)).json()["workspace_id"])


async def test_start_renew_and_conflict(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path, clock: FakeClock
) -> None:
    """PUT starts (201) with the chat directory as workdir; the same id renews (200) and
    its body replaces the lease; another id is 409 while the first is active."""
    chat_id = await make_chat(client, user)
    url = f"/v1/chats/{chat_id}/sandbox"
    started = await client.put(url, headers=user, json={"sandbox_id": "sb-1", "lease_seconds": 60})
    assert started.status_code == 201
    session = started.json()
    expected_dir = chat_path(data_dir, await workspace_id(client, user), chat_id)
    assert session["workdir"] == str(expected_dir.resolve())
    assert Path(session["workdir"]).is_absolute()
    assert session["expires_at"] is not None
    assert (await client.get(url, headers=user)).json() == session
    clock.advance(30)
    renewed = await client.put(url, headers=user, json={"sandbox_id": "sb-1"})
    assert renewed.status_code == 200
    assert renewed.json()["expires_at"] is None
    assert renewed.json()["started_at"] == session["started_at"]
    other = await client.put(url, headers=user, json={"sandbox_id": "sb-2"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "chat_has_active_sandbox"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sandbox_id": ""},
        {"sandbox_id": "x" * 201},
        {"sandbox_id": "a", "lease_seconds": 0},
        {"sandbox_id": "a", "lease_seconds": 1.5},
        {"sandbox_id": "a", "lease_seconds": 366 * 24 * 3600 + 1},
        {"sandbox_id": "a", "lease_seconds": 162743877463235328},
        {"sandbox_id": 5},
        {"sandbox_id": "a", "x": 1},
    ],
)
async def test_bad_sandbox_bodies_are_400(
    client: httpx.AsyncClient, user: dict[str, str], body: dict[str, object]
) -> None:
    """A missing, empty or overlong sandbox_id, or a lease below 1 second or beyond a
    year (none means no expiry), is 400."""
    chat_id = await make_chat(client, user)
    response = await client.put(f"/v1/chats/{chat_id}/sandbox", headers=user, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


async def test_expired_lease_ends_the_session(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """Once the lease runs out the session is gone: GET is 404, the chat can be deleted,
    and another sandbox may start."""
    chat_id = await make_chat(client, user)
    url = f"/v1/chats/{chat_id}/sandbox"
    await client.put(url, headers=user, json={"sandbox_id": "sb-1", "lease_seconds": 10})
    clock.advance(9)
    assert (await client.get(url, headers=user)).status_code == 200
    assert (await client.delete(f"/v1/chats/{chat_id}", headers=user)).status_code == 409
    clock.advance(1)
    gone = await client.get(url, headers=user)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "sandbox_session_not_found"
    second = await client.put(url, headers=user, json={"sandbox_id": "sb-2", "lease_seconds": 10})
    assert second.status_code == 201
    clock.advance(11)
    assert (await client.delete(f"/v1/chats/{chat_id}", headers=user)).status_code == 204


async def test_renewal_extends_the_lease(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """Renewing before expiry moves expires_at to now + the new lease."""
    chat_id = await make_chat(client, user)
    url = f"/v1/chats/{chat_id}/sandbox"
    await client.put(url, headers=user, json={"sandbox_id": "sb", "lease_seconds": 10})
    clock.advance(8)
    await client.put(url, headers=user, json={"sandbox_id": "sb", "lease_seconds": 10})
    clock.advance(8)
    assert (await client.get(url, headers=user)).status_code == 200
    clock.advance(2)
    assert (await client.get(url, headers=user)).status_code == 404


async def test_active_sandbox_blocks_workspace_deletion(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """DELETE /v1/workspace is 409 while any chat has an active sandbox; nothing goes."""
    chat_id = await make_chat(client, user)
    await client.put(f"/v1/chats/{chat_id}/sandbox", headers=user, json={"sandbox_id": "sb"})
    refused = await client.delete("/v1/workspace", headers=user)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "chat_has_active_sandbox"
    assert chat_path(data_dir, await workspace_id(client, user), chat_id).is_dir()
    assert (await client.delete(f"/v1/chats/{chat_id}/sandbox", headers=user)).status_code == 204
    assert (await client.delete("/v1/workspace", headers=user)).status_code == 204


async def test_ending_a_session_adopts_what_the_sandbox_wrote(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """After DELETE …/sandbox, top-level files the sandbox wrote are attachments with the
    right sha256 and guessed type, and used_bytes counts every regular file on disk."""
    chat_id = await make_chat(client, user)
    await client.put(f"/v1/chats/{chat_id}/history", headers=user, content=b"# h\n")
    directory = chat_path(data_dir, await workspace_id(client, user), chat_id)
    before = (await client.get(f"/v1/chats/{chat_id}", headers=user)).json()["updated_at"]
    await client.put(f"/v1/chats/{chat_id}/sandbox", headers=user, json={"sandbox_id": "sb"})
    plot = os.urandom(5000)
    (directory / "plot.png").write_bytes(plot)
    (directory / "notes").write_bytes(b"no extension")
    (directory / "sub" / "deep").mkdir(parents=True)
    (directory / "sub" / "deep" / "cache.bin").write_bytes(b"c" * 300)
    (directory / "bad\x01name").write_bytes(b"not adoptable")
    assert (await client.delete(f"/v1/chats/{chat_id}/sandbox", headers=user)).status_code == 204
    files = (await client.get(f"/v1/chats/{chat_id}/files", headers=user)).json()["files"]
    by_name = {f["name"]: f for f in files}
    assert set(by_name) == {"notes", "plot.png"}
    assert by_name["plot.png"]["sha256"] == hashlib.sha256(plot).hexdigest()
    assert by_name["plot.png"]["content_type"] == "image/png"
    assert by_name["notes"]["content_type"] is None
    content = await client.get(
        f"/v1/chats/{chat_id}/files/{by_name['plot.png']['file_id']}/content", headers=user
    )
    assert content.content == plot
    used = (await client.get("/v1/workspace", headers=user)).json()["used_bytes"]
    assert used == 4 + 5000 + 12 + 300 + 13
    after = (await client.get(f"/v1/chats/{chat_id}", headers=user)).json()["updated_at"]
    assert after > before


async def test_rescan_updates_changes_and_drops_vanished_files(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path
) -> None:
    """A changed attachment keeps id, name, type and created_at with a new size and sha256;
    a vanished or symlinked one is dropped; an unchanged rescan keeps updated_at."""
    chat_id = await make_chat(client, user)
    directory = chat_path(data_dir, await workspace_id(client, user), chat_id)
    files_url = f"/v1/chats/{chat_id}/files"
    kept = (
        await client.post(
            f"{files_url}?name=a.txt", headers={**user, "Content-Type": "text/x-a"}, content=b"old"
        )
    ).json()["files"][0]
    await client.post(f"{files_url}?name=gone.txt", headers=user, content=b"bye")
    await client.post(f"{files_url}?name=linked.txt", headers=user, content=b"link")
    (directory / "a.txt").write_bytes(b"changed by the sandbox")
    (directory / "gone.txt").unlink()
    (directory / "linked.txt").unlink()
    (directory / "linked.txt").symlink_to("/etc/hostname")
    rescanned = await client.post(f"/v1/chats/{chat_id}/rescan", headers=user)
    assert rescanned.status_code == 200
    (changed,) = rescanned.json()["files"]
    assert changed["file_id"] == kept["file_id"]
    assert changed["content_type"] == "text/x-a"
    assert changed["created_at"] == kept["created_at"]
    assert changed["size_bytes"] == len(b"changed by the sandbox")
    assert changed["sha256"] == hashlib.sha256(b"changed by the sandbox").hexdigest()
    assert rescanned.json() == (await client.get(files_url, headers=user)).json()
    stamp = (await client.get(f"/v1/chats/{chat_id}", headers=user)).json()["updated_at"]
    again = await client.post(f"/v1/chats/{chat_id}/rescan", headers=user)
    assert again.json() == rescanned.json()
    assert (await client.get(f"/v1/chats/{chat_id}", headers=user)).json()["updated_at"] == stamp


async def test_sandbox_of_another_user_does_not_exist(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Another user's sandbox routes answer chat_not_found."""
    chat_id = await make_chat(client, user)
    stranger = {"X-User-Id": str(uuid.uuid4())}
    await client.put("/v1/workspace", headers=stranger)
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/v1/chats/{chat_id}/sandbox", headers=stranger)
        assert response.json()["error"]["code"] == "chat_not_found"
    response = await client.post(f"/v1/chats/{chat_id}/rescan", headers=stranger)
    assert response.status_code == 404


async def test_lease_expiry_rescans_before_the_next_request(
    client: httpx.AsyncClient, user: dict[str, str], data_dir: Path, clock: FakeClock
) -> None:
    """When the lease runs out, the next request concerning the workspace sees the files
    the sandbox wrote, counted and listed, with no DELETE …/sandbox."""
    chat_id = await make_chat(client, user)
    directory = chat_path(data_dir, await workspace_id(client, user), chat_id)
    url = f"/v1/chats/{chat_id}/sandbox"
    await client.put(url, headers=user, json={"sandbox_id": "sb", "lease_seconds": 5})
    (directory / "result.csv").write_bytes(b"a,b\n1,2\n")
    assert (await client.get("/v1/workspace", headers=user)).json()["used_bytes"] == 0
    clock.advance(5)
    assert (await client.put("/v1/workspace", headers=user)).json()["used_bytes"] == 8
    files = (await client.get(f"/v1/chats/{chat_id}/files", headers=user)).json()["files"]
    assert [(f["name"], f["content_type"]) for f in files] == [("result.csv", "text/csv")]
    assert (await client.get(url, headers=user)).status_code == 404
