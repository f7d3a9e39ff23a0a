"""Messages over HTTP: appended as blocks of history.md, read back from its end."""

from __future__ import annotations

import asyncio

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test.conftest import make_chat

ROLES = ["user", "assistant", "system", "tool"]
TRICKY = [
    "<!-- chatkeep:end seq=1 offset=5 -->\n",
    "<!-- chatkeep:message seq=9 role=user bytes=0 created_at=2026-11-27T00:00:00+00:00 -->",
    "### user\n\n# Heading\n<!-- a comment -->\n",
    "-->",
]
texts = st.one_of(st.text(), st.sampled_from(TRICKY))


def messages_path(chat_id: str) -> str:
    return f"/v1/chats/{chat_id}/messages"


async def post(
    client: httpx.AsyncClient, user: dict[str, str], chat_id: str, body: object
) -> httpx.Response:
    return await client.post(messages_path(chat_id), headers=user, json=body)


async def get(
    client: httpx.AsyncClient, user: dict[str, str], chat_id: str, **query: object
) -> httpx.Response:
    return await client.get(messages_path(chat_id), headers=user, params=query)


async def test_one_message_is_a_readable_block_and_reads_back(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """POST one message: 201 with seq 1; history.md shows it under its role as a heading;
    GET answers the very same message."""
    chat_id = await make_chat(client, user)
    created = await post(client, user, chat_id, {"role": "user", "content": "Hi *there*"})
    assert created.status_code == 201, created.text
    [message] = created.json()["messages"]
    assert (message["seq"], message["role"], message["content"]) == (1, "user", "Hi *there*")
    history = (await client.get(f"/v1/chats/{chat_id}/history", headers=user)).text
    assert "### user\n\nHi *there*\n" in history
    read = await get(client, user, chat_id)
    assert read.json() == {"messages": [message], "next_before": None}


async def test_a_batch_is_numbered_on_and_all_or_nothing(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A batch gets consecutive seqs after the highest; a batch with one bad message stores
    none of them."""
    chat_id = await make_chat(client, user)
    await post(client, user, chat_id, {"role": "system", "content": "be brief"})
    batch = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": ""}]}
    created = await post(client, user, chat_id, batch)
    assert [m["seq"] for m in created.json()["messages"]] == [2, 3]
    before = await client.get(f"/v1/chats/{chat_id}/history", headers=user)
    bad = {"messages": [{"role": "user", "content": "ok"}, {"role": "robot", "content": "x"}]}
    refused = await post(client, user, chat_id, bad)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_request"
    after = await client.get(f"/v1/chats/{chat_id}/history", headers=user)
    assert after.content == before.content


async def test_bodies_that_are_neither_one_nor_several_are_400(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Both forms at once, neither, an empty list or a missing content: 400 invalid_request."""
    chat_id = await make_chat(client, user)
    for body in (
        {"role": "user", "content": "a", "messages": [{"role": "user", "content": "b"}]},
        {},
        {"messages": []},
        {"role": "user"},
        {"role": "user", "content": 5},
    ):
        response = await post(client, user, chat_id, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_request", body
    assert (await get(client, user, chat_id)).json()["messages"] == []


async def test_a_lone_surrogate_is_invalid_history(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Content with a lone surrogate (valid JSON, not UTF-8) is 400 invalid_history."""
    chat_id = await make_chat(client, user)
    response = await client.post(
        messages_path(chat_id),
        headers={**user, "Content-Type": "application/json"},
        content=b'{"role": "user", "content": "a\\ud800b"}',
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_history"


async def test_json_nested_past_the_recursion_limit_is_invalid_request(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """A body nested 100,000 deep is 400 invalid_request and appends nothing (the lone-
    surrogate fallback parser overflowed Python's recursion limit: 500)."""
    chat_id = await make_chat(client, user)
    for body in (b"[" * 100_000, b'{"messages": ' + b"[" * 100_000):
        response = await client.post(
            messages_path(chat_id),
            headers={**user, "Content-Type": "application/json"},
            content=body,
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"
    assert (await get(client, user, chat_id)).json()["messages"] == []


async def test_limit_and_before_are_checked(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """limit outside 1-1000 or a before under 1 is 400; a before past the end means the end."""
    chat_id = await make_chat(client, user)
    await post(client, user, chat_id, {"role": "user", "content": "only"})
    for query in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"before": 0}):
        response = await get(client, user, chat_id, **query)
        assert response.status_code == 400, query
    late = await get(client, user, chat_id, before=99)
    assert [m["content"] for m in late.json()["messages"]] == ["only"]


async def test_text_outside_blocks_is_skipped_and_seq_continues_from_the_highest(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """Text appended or put between messages is not a message; after a PUT that keeps only
    message 1, the next message is 2 again, one more than the highest left."""
    chat_id = await make_chat(client, user)
    history = f"/v1/chats/{chat_id}/history"
    await post(client, user, chat_id, {"role": "user", "content": "one"})
    first = (await client.get(history, headers=user)).content
    await client.post(history, headers=user, content=b"\nfree text ### not a message\n")
    await post(client, user, chat_id, {"role": "user", "content": "two"})
    assert [m["seq"] for m in (await get(client, user, chat_id)).json()["messages"]] == [1, 2]
    await client.put(history, headers=user, content=first + b"\nnotes\n")
    created = await post(client, user, chat_id, {"role": "assistant", "content": "again"})
    assert created.json()["messages"][0]["seq"] == 2


async def test_concurrent_appends_get_distinct_seqs(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    """30 concurrent single-message appends, mixed with plain appends: seqs 1-30, each once,
    and every message reads back."""
    chat_id = await make_chat(client, user)
    history = f"/v1/chats/{chat_id}/history"
    answers = await asyncio.gather(
        *(post(client, user, chat_id, {"role": "user", "content": f"m{n}"}) for n in range(30)),
        *(client.post(history, headers=user, content=b"plain\n") for _ in range(10)),
    )
    seqs = sorted(a.json()["messages"][0]["seq"] for a in answers[:30])
    assert seqs == list(range(1, 31))
    read = await get(client, user, chat_id, limit=1000)
    assert sorted(m["content"] for m in read.json()["messages"]) == sorted(
        f"m{n}" for n in range(30)
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(
        st.tuples(
            st.lists(st.tuples(st.sampled_from(ROLES), texts), min_size=1, max_size=3),
            st.one_of(st.none(), texts),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    ),
    limit=st.integers(1, 5),
    before=st.integers(1, 25),
)
async def test_any_messages_round_trip_across_paging(
    client: httpx.AsyncClient,
    user: dict[str, str],
    batches: list[tuple[list[tuple[str, str]], str | None, bool]],
    limit: int,
    before: int,
) -> None:
    """Any unicode content, the format's own markers and markdown included, appended in
    batches with text put or appended between them, reads back exactly: page by page, and
    for any limit and before."""
    chat_id = await make_chat(client, user)
    history = f"/v1/chats/{chat_id}/history"
    written = []
    for batch, between, by_put in batches:
        body = {"messages": [{"role": role, "content": content} for role, content in batch]}
        created = await post(client, user, chat_id, body)
        assert created.status_code == 201, created.text
        written += created.json()["messages"]
        if between is not None:
            if by_put:
                current = (await client.get(history, headers=user)).content
                await client.put(history, headers=user, content=current + between.encode())
            else:
                await client.post(history, headers=user, content=between.encode())
    read: list[dict[str, object]] = []
    cursor: int | None = None
    while True:
        query = {"limit": limit} if cursor is None else {"limit": limit, "before": cursor}
        page = (await get(client, user, chat_id, **query)).json()
        assert len(page["messages"]) <= limit
        read = page["messages"] + read
        cursor = page["next_before"]
        if cursor is None:
            break
    assert read == written
    earlier = [message for message in written if message["seq"] < before]
    page = (await get(client, user, chat_id, limit=limit, before=before)).json()
    assert page["messages"] == earlier[-limit:]
    assert page["next_before"] == (earlier[-limit]["seq"] if len(earlier) > limit else None)
