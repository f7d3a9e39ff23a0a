"""Ranges of attachment content (RFC 9110 §14) and If-Range beside the validators (§13.1.5)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from test.integration.validators import ATTACHMENT, Chat, new_chat


@pytest.fixture
async def chat(client: httpx.AsyncClient, user: dict[str, str], data_dir: Path) -> Chat:
    return await new_chat(client, user, data_dir)


async def empty_file(chat: Chat) -> str:
    url = f"{chat.files}?name=empty.bin"
    uploaded = await chat.client.post(url, headers=chat.user, content=b"")
    assert uploaded.status_code == 201
    return f"{chat.files}/{uploaded.json()['files'][0]['file_id']}/content"


async def test_range_unit_is_case_insensitive(chat: Chat) -> None:
    """`Range: BYTES=0-1` is a byte range: 206 with those two bytes."""
    response = await chat.client.get(chat.content, headers={**chat.user, "Range": "BYTES=0-1"})
    assert response.status_code == 206
    assert response.content == ATTACHMENT[:2]
    assert response.headers["content-range"] == f"bytes 0-1/{len(ATTACHMENT)}"


@pytest.mark.parametrize("value", ["bytes=-5", "Bytes=-1"])
async def test_suffix_of_an_empty_file_is_the_empty_body(chat: Chat, value: str) -> None:
    """A suffix range of an empty attachment is satisfiable: 200 with the empty body."""
    content = await empty_file(chat)
    response = await chat.client.get(content, headers={**chat.user, "Range": value})
    assert response.status_code == 200
    assert response.content == b""
    assert "content-range" not in response.headers


@pytest.mark.parametrize("value", ["bytes=0-", "bytes=-0"])
async def test_nothing_else_of_an_empty_file_is_satisfiable(chat: Chat, value: str) -> None:
    """A range from byte 0, or a zero-length suffix, of an empty file is 416 with
    Content-Range: bytes */0 (RFC 9110 §14.1.1)."""
    content = await empty_file(chat)
    response = await chat.client.get(content, headers={**chat.user, "Range": value})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */0"


@pytest.mark.parametrize("value", ["bytes=0-1,4-5", "bytes=0 - 1 , 3-", "items=0-1"])
async def test_several_ranges_or_other_units_send_the_whole_file(chat: Chat, value: str) -> None:
    """Several ranges or another unit are ignored, as RFC 9110 §14.2 allows: 200, all bytes."""
    response = await chat.client.get(chat.content, headers={**chat.user, "Range": value})
    assert response.status_code == 200
    assert response.content == ATTACHMENT


async def test_if_range_with_the_current_etag_serves_the_range(chat: Chat) -> None:
    """If-Range naming the current ETag keeps the Range (206); a stale or weak one sends the
    whole file (200)."""
    etag, _ = await chat.validators(chat.content)
    ranged = {**chat.user, "Range": "bytes=1-2"}
    current = await chat.client.get(chat.content, headers={**ranged, "If-Range": etag})
    assert current.status_code == 206
    assert current.content == ATTACHMENT[1:3]
    for stale in ('"stale"', f"W/{etag}"):
        whole = await chat.client.get(chat.content, headers={**ranged, "If-Range": stale})
        assert whole.status_code == 200
        assert whole.content == ATTACHMENT


async def test_if_range_with_a_date_sends_the_whole_file(chat: Chat) -> None:
    """If-Range with the Last-Modified date sends the whole file: a file can change twice in
    one second, so the date is no strong validator (RFC 9110 §8.8.2.2, §13.1.5)."""
    head = await chat.client.head(chat.content, headers=chat.user)
    headers = {**chat.user, "Range": "bytes=1-2", "If-Range": head.headers["last-modified"]}
    response = await chat.client.get(chat.content, headers=headers)
    assert response.status_code == 200
    assert response.content == ATTACHMENT


async def test_preconditions_come_before_the_range(chat: Chat) -> None:
    """A failed If-None-Match is 304 even with a Range past the end (RFC 9110 §13.2.2: the
    range is only looked at once the preconditions hold)."""
    etag, _ = await chat.validators(chat.content)
    headers = {**chat.user, "If-None-Match": etag, "Range": "bytes=999-"}
    response = await chat.client.get(chat.content, headers=headers)
    assert response.status_code == 304
