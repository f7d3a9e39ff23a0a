from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from chatkeep.storage.filesystem import FileSystemChatStorage
from test.unit.storage.conftest import QUOTA, body, read_all


async def new_chat(storage: FileSystemChatStorage) -> tuple[uuid.UUID, uuid.UUID]:
    chat = uuid.uuid4(), uuid.uuid4()
    await storage.create_workspace(chat[0])
    await storage.create_chat(*chat)
    return chat


async def test_start_removes_leftover_temp_files(tmp_path: Path) -> None:
    """Temp files and half-deleted trees left by a crash are gone after start."""
    data = tmp_path / "data"
    (data / "tmp" / "x.trash" / "sub").mkdir(parents=True)
    (data / "tmp" / "abc.part").write_bytes(b"partial")
    storage = FileSystemChatStorage(data)
    await storage.start()
    assert os.listdir(data / "tmp") == []
    await storage.close()


async def test_start_cuts_back_a_torn_append(tmp_path: Path) -> None:
    """An append intent left by a crash cuts the history back to its recorded size."""
    data = tmp_path / "data"
    storage = FileSystemChatStorage(data)
    await storage.start()
    chat = await new_chat(storage)
    await storage.append_history(*chat, body(b"whole\n"), quota_bytes=QUOTA, if_match=None)
    await storage.close()
    history = storage.chat_dir(*chat) / "history.md"
    info = history.stat()
    with open(history, "ab") as torn:
        torn.write(b"half of an app")
    intent = {
        "workspace_id": str(chat[0]),
        "chat_id": str(chat[1]),
        "dev": info.st_dev,
        "ino": info.st_ino,
        "size": info.st_size,
    }
    (data / "journal" / f"{chat[1]}.append").write_text(json.dumps(intent))

    restarted = FileSystemChatStorage(data)
    await restarted.start()
    assert await read_all(restarted, chat) == b"whole\n"
    assert os.listdir(data / "journal") == []
    await restarted.close()


async def test_successful_appends_leave_no_intent(tmp_path: Path) -> None:
    """After an append completes, the journal is empty again."""
    storage = FileSystemChatStorage(tmp_path / "data")
    await storage.start()
    chat = await new_chat(storage)
    await storage.append_history(*chat, body(b"a"), quota_bytes=QUOTA, if_match=None)
    assert os.listdir(tmp_path / "data" / "journal") == []
    await storage.close()


async def test_usage_of_an_existing_workspace_is_counted_from_disk(tmp_path: Path) -> None:
    """A restarted storage counts a workspace's bytes by walking its directories."""
    data = tmp_path / "data"
    storage = FileSystemChatStorage(data)
    await storage.start()
    chat = await new_chat(storage)
    await storage.replace_history(*chat, body(b"x" * 123), quota_bytes=QUOTA, if_match=None)
    (storage.chat_dir(*chat) / "sandbox-wrote").write_bytes(b"y" * 7)
    await storage.close()
    restarted = FileSystemChatStorage(data)
    await restarted.start()
    assert await restarted.workspace_used_bytes(chat[0]) == 130
    await restarted.close()
