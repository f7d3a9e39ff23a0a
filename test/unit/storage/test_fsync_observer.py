from __future__ import annotations

import uuid
from pathlib import Path

from chatkeep.storage.filesystem import FileSystemChatStorage
from test.unit.storage.conftest import QUOTA, body


async def test_an_observer_hears_each_fsync_while_the_storage_is_started(tmp_path: Path) -> None:
    """A storage given an fsync observer reports the duration of every fsync of a write
    (a history replacement fsyncs the file and its directory), in seconds; once closed,
    it reports nothing more."""
    heard: list[float] = []
    storage = FileSystemChatStorage(tmp_path / "data", fsync_observer=heard.append)
    await storage.start()
    workspace_id, chat_id = uuid.uuid4(), uuid.uuid4()
    await storage.create_workspace(workspace_id)
    await storage.create_chat(workspace_id, chat_id)
    before = len(heard)
    await storage.replace_history(
        workspace_id, chat_id, body(b"# one\n"), quota_bytes=QUOTA, preconditions=None
    )
    assert len(heard) - before >= 2
    assert all(0 <= seconds < 60 for seconds in heard)
    await storage.close()
    after_close = len(heard)
    other = FileSystemChatStorage(tmp_path / "other")
    await other.start()
    await other.create_workspace(workspace_id)
    await other.create_chat(workspace_id, chat_id)
    await other.replace_history(
        workspace_id, chat_id, body(b"# two\n"), quota_bytes=QUOTA, preconditions=None
    )
    await other.close()
    assert len(heard) == after_close
