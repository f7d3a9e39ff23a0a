"""A chat with a history and an attachment, its validators, and a snapshot of everything a
refused write must leave as it was, for the conditional-request tests."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import httpx

from test.conftest import make_chat

HISTORY = b"# kept\n"
ATTACHMENT = b"kept bytes"


@dataclass
class Chat:
    client: httpx.AsyncClient
    user: dict[str, str]
    chat_id: str
    workspace_dir: Path
    tmp_dir: Path
    file_id: str

    @property
    def history(self) -> str:
        return f"/v1/chats/{self.chat_id}/history"

    @property
    def files(self) -> str:
        return f"/v1/chats/{self.chat_id}/files"

    @property
    def content(self) -> str:
        return f"/v1/chats/{self.chat_id}/files/{self.file_id}/content"

    async def validators(self, path: str) -> tuple[str, datetime]:
        """The ETag and Last-Modified a HEAD of `path` answers."""
        head = await self.client.head(path, headers=self.user)
        assert head.status_code == 200, head.text
        return head.headers["etag"], parsedate_to_datetime(head.headers["last-modified"])

    async def snapshot(self) -> dict[str, object]:
        """Every byte on disk (and the temp area), the attachments' metadata, the usage and
        both ETags: what a refused write must leave unchanged."""
        files = await self.client.get(self.files, headers=self.user)
        workspace = await self.client.get("/v1/workspace", headers=self.user)
        etags = [
            (await self.client.head(path, headers=self.user)).headers.get("etag")
            for path in (self.history, self.content)
        ]
        return {
            "disk": _tree(self.workspace_dir),
            "tmp": sorted(os.listdir(self.tmp_dir)),
            "files": files.json(),
            "used_bytes": workspace.json()["used_bytes"],
            "etags": etags,
        }


async def new_chat(client: httpx.AsyncClient, user: dict[str, str], data_dir: Path) -> Chat:
    """A chat whose history is HISTORY and which holds one attachment `a.txt`."""
    chat_id = await make_chat(client, user)
    workspace_id = (await client.get("/v1/workspace", headers=user)).json()["workspace_id"]
    put = await client.put(f"/v1/chats/{chat_id}/history", headers=user, content=HISTORY)
    assert put.status_code == 200
    uploaded = await client.post(
        f"/v1/chats/{chat_id}/files?name=a.txt", headers=user, content=ATTACHMENT
    )
    assert uploaded.status_code == 201
    file_id = uploaded.json()["files"][0]["file_id"]
    chat_dir = data_dir / "workspaces" / workspace_id / "chats" / chat_id
    for written in (chat_dir / "history.md", chat_dir / "a.txt"):
        settle(written)
    return Chat(
        client, user, chat_id, data_dir / "workspaces" / workspace_id, data_dir / "tmp", file_id
    )


def settle(path: Path) -> None:
    """Date the file a minute back: a Last-Modified is given out only for a second that is
    over (http/dates.py last_modified_field), and these tests compare it to the file's."""
    minute_ago = time.time_ns() - 60 * 10**9
    os.utime(path, ns=(minute_ago, minute_ago))


def http_date(moment: datetime, shift_seconds: int = 0) -> str:
    """`moment` moved by `shift_seconds`, as an IMF-fixdate."""
    return format_datetime(moment + timedelta(seconds=shift_seconds), usegmt=True)


def _tree(root: Path) -> dict[str, bytes]:
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            found[str(path.relative_to(root))] = path.read_bytes()
    return found
