"""Chat lifecycle over HTTP: title and status, listing order, cursors, pruning."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from test.conftest import FakeClock, make_chat


async def chat_of(client: httpx.AsyncClient, user: dict[str, str], chat_id: str) -> dict:
    return (await client.get(f"/v1/chats/{chat_id}", headers=user)).json()


async def listing(client: httpx.AsyncClient, user: dict[str, str], **query: object) -> dict:
    response = await client.get("/v1/chats", headers=user, params=query)
    assert response.status_code == 200, response.text
    return response.json()


async def every_page(client: httpx.AsyncClient, user: dict[str, str], **query: object) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await listing(client, user, **query, **({"cursor": cursor} if cursor else {}))
        ids += [chat["chat_id"] for chat in page["chats"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


async def test_patch_retitles_and_archives_without_moving_updated_at(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """PATCH sets title and status, null clears the title, and updated_at stays put."""
    chat_id = await make_chat(client, user, title="draft")
    before = await chat_of(client, user, chat_id)
    clock.advance(60)
    path = f"/v1/chats/{chat_id}"
    patched = await client.patch(path, headers=user, json={"title": "Plans", "status": "archived"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["title"], patched.json()["status"]) == ("Plans", "archived")
    assert patched.json()["updated_at"] == before["updated_at"]
    cleared = await client.patch(path, headers=user, json={"title": None})
    assert (cleared.json()["title"], cleared.json()["status"]) == (None, "archived")
    reactivated = await client.patch(path, headers=user, json={"status": "active"})
    assert reactivated.json()["status"] == "active"
    assert await chat_of(client, user, chat_id) == reactivated.json()


async def test_patch_refuses_unknown_fields_and_values(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Unknown fields, unknown statuses and over-long titles are 400; nothing changes."""
    chat_id = await make_chat(client, user, title="keep")
    for body in ({"colour": "red"}, {"status": "deleted"}, {"title": "t" * 501}, {"title": 5}):
        response = await client.patch(f"/v1/chats/{chat_id}", headers=user, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_request"
    assert (await chat_of(client, user, chat_id))["title"] == "keep"


async def test_listing_filters_by_status_and_orders_by_activity(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """status= filters; order=-updated_at puts the chat written last first; the default is
    oldest first."""
    first = await make_chat(client, user)
    clock.advance(1)
    second = await make_chat(client, user)
    clock.advance(1)
    third = await make_chat(client, user)
    await client.patch(f"/v1/chats/{second}", headers=user, json={"status": "archived"})
    clock.advance(1)
    await client.post(f"/v1/chats/{first}/history", headers=user, content=b"news\n")
    assert await every_page(client, user) == [first, second, third]
    assert await every_page(client, user, order="-updated_at") == [first, third, second]
    assert await every_page(client, user, status="archived") == [second]
    assert await every_page(client, user, status="active", order="-updated_at") == [first, third]


async def test_pages_follow_each_other_and_refuse_foreign_cursors(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """limit pages through every chat once, ties in creation order; a cursor is refused by
    another order or status, and a made-up cursor or a bad limit is 400."""
    created = [await make_chat(client, user) for _ in range(7)]  # one clock tick: all ties
    assert await every_page(client, user, limit=3) == created
    assert await every_page(client, user, limit=2, order="-updated_at") == created[::-1]
    cursor = (await listing(client, user, limit=3))["next_cursor"]
    for query in (
        {"cursor": cursor, "order": "-updated_at"},
        {"cursor": cursor, "status": "active"},
        {"cursor": "not-a-cursor"},
        {"cursor": cursor[:-2]},
        {"limit": 0},
        {"limit": 1001},
        {"order": "title"},
        {"status": "gone"},
    ):
        response = await client.get("/v1/chats", headers=user, params=query)
        assert response.status_code == 400, query
        assert response.json()["error"]["code"] == "invalid_request"


async def test_cursors_stay_valid_while_chats_are_created(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """Paging oldest first while other chats are being created: every chat that existed
    when paging began comes once and in order, and the new ones only after them."""
    existing = []
    for _ in range(9):
        existing.append(await make_chat(client, user))
        clock.advance(0.001)
    seen: list[str] = []
    cursor = None
    created: list[str] = []
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page, *new = await asyncio.gather(
            listing(client, user, **query),
            *(client.post("/v1/chats", headers=user) for _ in range(3)),
        )
        created += [response.json()["chat_id"] for response in new]
        seen += [chat["chat_id"] for chat in page["chats"]]
        cursor = page["next_cursor"]
        if cursor is None or len(seen) > 40:
            break
    assert seen[:9] == existing
    assert len(seen) == len(set(seen))
    assert set(seen[9:]) <= set(created)


async def test_prune_deletes_idle_chats_and_skips_active_sandboxes(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """DELETE /v1/chats?updated_before= deletes the chats idle since then, keeps the one
    with an active sandbox (listed as skipped) and the one written after."""
    idle = await make_chat(client, user)
    sandboxed = await make_chat(client, user)
    await client.put(f"/v1/chats/{sandboxed}/sandbox", headers=user, json={"sandbox_id": "box-1"})
    clock.advance(3600)
    recent = await make_chat(client, user)
    cutoff = (clock.now() - timedelta(seconds=60)).isoformat()
    response = await client.delete("/v1/chats", headers=user, params={"updated_before": cutoff})
    assert response.status_code == 200, response.text
    assert response.json() == {"deleted": [idle], "skipped": [sandboxed]}
    assert await every_page(client, user) == [sandboxed, recent]
    gone = await client.get(f"/v1/chats/{idle}", headers=user)
    assert gone.status_code == 404


async def test_prune_without_a_good_timestamp_deletes_nothing(
    client: httpx.AsyncClient, user: dict[str, str], clock: FakeClock
) -> None:
    """A missing, naive, numeric or malformed updated_before is 400 and deletes nothing;
    Z is accepted."""
    chat_id = await make_chat(client, user)
    clock.advance(10)
    for params in (
        {},
        {"updated_before": "2999-01-01T00:00:00"},
        {"updated_before": "32503680000"},
        {"updated_before": "yesterday"},
    ):
        response = await client.delete("/v1/chats", headers=user, params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "invalid_request"
    assert await every_page(client, user) == [chat_id]
    zulu = await client.delete(
        "/v1/chats", headers=user, params={"updated_before": "2999-01-01T00:00:00Z"}
    )
    assert zulu.json() == {"deleted": [chat_id], "skipped": []}
