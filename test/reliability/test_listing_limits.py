"""Listings of a chat with very many attachments (contract 1.1, "Hostile trees and
resource limits"): a sandbox's 100,000 files became 100,000 attachments, and one
`GET …/files` answered 47.5 MB, which four requests in a loop made /healthz wait 3.7 s
for. A listing answers a bounded page now, whose cost grows with the page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatkeep.domain.chat import ChatAttachmentName, ChatFile
from test.reliability.stores import Service, service_on

ATTACHMENTS = 100_000


@pytest.fixture(params=["memory", "sqlite-url"])
async def crowded(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Service]:
    """A service whose chat holds 100,001 attachments (rows saved as a rescan saves them),
    with metadata in memory (as the default store reads it) and through a SQLite URL
    (pages read from the database's index)."""
    async with service_on(request.param, tmp_path / "data", request) as service:
        chat_id = uuid.UUID(service.chat_id)
        at = (await service.ports.files.list_by_chat_id(chat_id))[0].created_at
        for start in range(0, ATTACHMENTS, 1000):
            await service.ports.files.save_all(
                [
                    ChatFile(
                        uuid.uuid4(), chat_id, ChatAttachmentName(f"f{n:06}"), None, 0, "0" * 64, at
                    )
                    for n in range(start, start + 1000)
                ]
            )
        yield service


async def test_a_chat_of_100000_attachments_lists_a_bounded_page(crowded: Service) -> None:
    """GET …/files on a chat of 100,001 attachments answers the first 1000, oldest first
    (under 500 KB where it answered 47.5 MB), with a cursor; the page after it, of the most
    a page holds (10,000), follows on from it; a larger page is refused (400)."""
    files_path = f"/v1/chats/{crowded.chat_id}/files"
    first = await crowded.client.get(files_path, headers=crowded.user)
    assert first.status_code == 200
    body = first.json()
    assert len(body["files"]) == 1000
    assert len(first.content) < 500_000
    assert [f["name"] for f in body["files"][:2]] == ["a.txt", "f000000"]
    after = {"limit": 10_000, "cursor": body["next_cursor"]}
    biggest = await crowded.client.get(files_path, params=after, headers=crowded.user)
    page = biggest.json()
    assert [f["name"] for f in page["files"][:: 10_000 - 1]] == ["f000999", "f010998"]
    assert len(biggest.content) < 5_000_000
    assert page["next_cursor"] is not None
    too_many = await crowded.client.get(files_path, params={"limit": 10_001}, headers=crowded.user)
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "invalid_request"
