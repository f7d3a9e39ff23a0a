from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.local.locks import LocalKeyedLocks
from chatkeep.storage.filesystem import FileSystemChatStorage
from test.unit.storage.conftest import QUOTA, body, read_all


async def new_chat(storage: FileSystemChatStorage) -> tuple[uuid.UUID, uuid.UUID]:
    chat = uuid.uuid4(), uuid.uuid4()
    await storage.create_workspace(chat[0])
    await storage.create_chat(*chat)
    return chat


def tear_append(
    storage: FileSystemChatStorage, chat: tuple[uuid.UUID, uuid.UUID], journal: Path
) -> None:
    """Leave what a crash in the middle of an append leaves: half an append after the
    history, and the intent that recorded the size before it."""
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
    (journal / f"{chat[1]}.append").write_text(json.dumps(intent))


async def test_start_removes_leftover_temp_files(tmp_path: Path) -> None:
    """Temp files and half-deleted trees left by a crash are gone after start."""
    data = tmp_path / "data"
    (data / "tmp" / "x.trash" / "sub").mkdir(parents=True)
    (data / "tmp" / "abc.part").write_bytes(b"partial")
    storage = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await storage.start()
    assert os.listdir(data / "tmp") == []
    await storage.close()


async def test_start_cuts_back_a_torn_append(tmp_path: Path) -> None:
    """An append intent left by a crash cuts the history back to its recorded size."""
    data = tmp_path / "data"
    storage = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await storage.start()
    chat = await new_chat(storage)
    await storage.append_history(*chat, body(b"whole\n"), quota_bytes=QUOTA, preconditions=None)
    await storage.close()
    tear_append(storage, chat, data / "journal")

    restarted = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await restarted.start()
    assert await read_all(restarted, chat) == b"whole\n"
    assert os.listdir(data / "journal") == []
    await restarted.close()


async def test_successful_appends_leave_no_intent(tmp_path: Path) -> None:
    """After an append completes, the journal is empty again."""
    storage = FileSystemChatStorage(tmp_path / "data", locks=LocalKeyedLocks())
    await storage.start()
    chat = await new_chat(storage)
    await storage.append_history(*chat, body(b"a"), quota_bytes=QUOTA, preconditions=None)
    assert os.listdir(tmp_path / "data" / "journal") == []
    await storage.close()


async def test_usage_of_an_existing_workspace_is_counted_from_disk(tmp_path: Path) -> None:
    """A restarted storage counts a workspace's bytes by walking its directories."""
    data = tmp_path / "data"
    storage = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await storage.start()
    chat = await new_chat(storage)
    await storage.replace_history(*chat, body(b"x" * 123), quota_bytes=QUOTA, preconditions=None)
    (storage.chat_dir(*chat) / "sandbox-wrote").write_bytes(b"y" * 7)
    await storage.close()
    restarted = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await restarted.start()
    assert await restarted.workspace_used_bytes(chat[0]) == 130
    await restarted.close()


def shared(data: Path) -> FileSystemChatStorage:
    return FileSystemChatStorage(data, locks=LocalKeyedLocks(), shared=True)


async def test_processes_sharing_a_data_dir_keep_out_of_each_others_scratch(
    tmp_path: Path,
) -> None:
    """A process starting beside a live one leaves the live one's bodies in flight
    alone, and each receives into a directory of its own."""
    data = tmp_path / "data"
    first = shared(data)
    await first.start()
    chat = await new_chat(first)
    staged = await first.stage_attachment(
        *chat, ChatAttachmentName("a.bin"), body(b"x" * 2_000_000), quota_bytes=10**7,
        expected_size=None,
    )  # fmt: skip
    [own] = os.listdir(data / "tmp")
    in_flight = os.listdir(data / "tmp" / own)
    assert len(in_flight) == 1  # the body, spooled to disk
    second = shared(data)
    await second.start()
    assert len(os.listdir(data / "tmp")) == 2
    assert os.listdir(data / "tmp" / own) == in_flight
    await first.publish_attachments(*chat, [staged])
    await first.discard_staged([staged])
    assert (first.chat_dir(*chat) / "a.bin").stat().st_size == 2_000_000
    await first.close()
    await second.close()


async def test_a_dead_process_is_recovered_by_the_next_start(tmp_path: Path) -> None:
    """The next process to start cuts back a dead process's torn append and removes
    its scratch directories."""
    data = tmp_path / "data"
    dead = shared(data)
    await dead.start()
    chat = await new_chat(dead)
    await dead.append_history(*chat, body(b"whole\n"), quota_bytes=QUOTA, preconditions=None)
    [process] = os.listdir(data / "journal")
    tear_append(dead, chat, data / "journal" / process)
    await dead.close()  # its lock goes, its directories stay, as after a crash

    next_one = shared(data)
    await next_one.start()
    assert await read_all(next_one, chat) == b"whole\n"
    assert os.listdir(data / "journal") != [process]
    assert process not in os.listdir(data / "tmp")
    await next_one.close()
