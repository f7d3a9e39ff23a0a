from __future__ import annotations

import asyncio
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
    storage: FileSystemChatStorage,
    chat: tuple[uuid.UUID, uuid.UUID],
    journal: Path,
    recorded_size: int | None = None,
) -> None:
    """Leave what a crash in the middle of an append leaves: half of a 28-byte append
    after the history, and the intent that recorded the size before it (or
    `recorded_size`, as a stale attribute cache would have given it) and its end."""
    history = storage.chat_dir(*chat) / "history.md"
    info = history.stat()
    with open(history, "ab") as torn:
        torn.write(b"half of an app")
    size = info.st_size if recorded_size is None else recorded_size
    intent = {
        "workspace_id": str(chat[0]),
        "chat_id": str(chat[1]),
        "ino": info.st_ino,
        "size": size,
        "end": size + 28,
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
    assert (await restarted.workspace_usage(chat[0])).bytes == 130
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


async def test_a_torn_append_followed_by_other_writes_is_not_cut(tmp_path: Path) -> None:
    """A dead replica's torn append that another replica's acknowledged append followed
    (the dead one's lock went with it) is left in place: cutting back to the recorded
    size would erase the later append."""
    data = tmp_path / "data"
    dead = shared(data)
    await dead.start()
    chat = await new_chat(dead)
    await dead.append_history(*chat, body(b"whole\n"), quota_bytes=QUOTA, preconditions=None)
    [process] = os.listdir(data / "journal")
    tear_append(dead, chat, data / "journal" / process)
    await dead.close()
    with open(dead.chat_dir(*chat) / "history.md", "ab") as history:
        history.write(b"\nanother replica's acknowledged append\n")

    next_one = shared(data)
    await next_one.start()
    content = await read_all(next_one, chat)
    assert content.endswith(b"another replica's acknowledged append\n")
    assert os.listdir(data / "journal" / os.listdir(data / "journal")[0]) == []
    await next_one.close()


async def test_a_stale_recorded_size_never_cuts_into_earlier_bytes(tmp_path: Path) -> None:
    """An intent whose recorded size was stale (smaller than the history was, as an
    attribute cache that missed another replica's append would give it) cuts nothing:
    the bytes between the stale size and the real one were acknowledged."""
    data = tmp_path / "data"
    storage = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await storage.start()
    chat = await new_chat(storage)
    acknowledged = b"whole\n" + b"another replica's append, 40 bytes long\n"
    await storage.append_history(*chat, body(acknowledged), quota_bytes=QUOTA, preconditions=None)
    await storage.close()
    tear_append(storage, chat, data / "journal", recorded_size=len(b"whole\n"))

    restarted = FileSystemChatStorage(data, locks=LocalKeyedLocks())
    await restarted.start()
    assert (await read_all(restarted, chat)).startswith(acknowledged)
    assert os.listdir(data / "journal") == []
    await restarted.close()


async def test_a_dead_processs_intent_is_settled_under_its_chats_lock(tmp_path: Path) -> None:
    """A dead replica's torn append is cut back only once the chat's cross-replica lock
    is free: a live replica holding it (appending) is never cut under."""
    data = tmp_path / "data"
    locks = LocalKeyedLocks()
    dead = FileSystemChatStorage(data, locks=locks, shared=True)
    await dead.start()
    chat = await new_chat(dead)
    await dead.append_history(*chat, body(b"whole\n"), quota_bytes=QUOTA, preconditions=None)
    [process] = os.listdir(data / "journal")
    tear_append(dead, chat, data / "journal" / process)
    await dead.close()

    next_one = FileSystemChatStorage(data, locks=locks, shared=True)
    async with locks.hold(f"chat-bytes:{chat[1]}"):
        starting = asyncio.create_task(next_one.start())
        await asyncio.sleep(0.3)
        assert not starting.done()
        history = next_one.chat_dir(*chat) / "history.md"
        assert history.read_bytes() == b"whole\nhalf of an app"
    await starting
    assert await read_all(next_one, chat) == b"whole\n"
    await next_one.close()
