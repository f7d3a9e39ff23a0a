"""Making a chat's metadata match its directory, after a sandbox had its way with it."""

from __future__ import annotations

import mimetypes
from dataclasses import replace
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatAttachmentName, ChatFile
from chatkeep.domain.errors import InvalidAttachmentNameError
from chatkeep.usecase.access_keys import chat_lock
from chatkeep.usecase.ports import Ports


async def reconcile_chat(ports: Ports, workspace_id: UUID, chat: Chat) -> None:
    """Adopt new top-level files, drop vanished ones, rehash changed ones, recount usage.
    Raises ChatNotFoundError when the chat directory is gone."""
    async with ports.locks.hold(chat_lock(chat.chat_id)):
        on_disk = {f.name: f for f in await ports.storage.scan_chat(workspace_id, chat.chat_id)}
        moved = []
        for known in await ports.files.list_by_chat_id(chat.chat_id):
            found = on_disk.pop(known.name.value, None)
            if found is None or found.etag != known.etag:
                moved.append(known)
        changed = await refresh_files(ports, workspace_id, chat.chat_id, moved)
        if await adopt_files(ports, workspace_id, chat.chat_id, sorted(on_disk)):
            changed = True
        await ports.storage.recount_usage(workspace_id)
        if changed:
            await ports.chats.touch(chat.chat_id, ports.clock.now())


# Files hashed and saved at once: a directory of many files costs a few commits and
# thread hops per batch rather than one each.
BATCH = 256


async def refresh_files(
    ports: Ports, workspace_id: UUID, chat_id: UUID, known: list[ChatFile]
) -> bool:
    """Rehash files whose version moved; drop those no longer regular files. Answers
    whether any content changed."""
    changed = False
    for start in range(0, len(known), BATCH):
        batch = known[start : start + BATCH]
        names = [chat_file.name for chat_file in batch]
        refreshed = []
        for chat_file, hashed in zip(
            batch, await ports.storage.hash_attachments(workspace_id, chat_id, names), strict=True
        ):
            if hashed is None:
                await ports.files.delete(chat_file.file_id)
                changed = True
                continue
            old, new = (chat_file.size_bytes, chat_file.sha256), (hashed.size_bytes, hashed.sha256)
            changed |= old != new
            refreshed.append(replace(chat_file, size_bytes=new[0], sha256=new[1], etag=hashed.etag))
        await ports.files.save_all(refreshed)
    return changed


async def adopt_files(ports: Ports, workspace_id: UUID, chat_id: UUID, names: list[str]) -> int:
    """Make the files a sandbox wrote attachments, in the order given, where the API
    would accept their names; answer how many were adopted."""
    adopted = 0
    for start in range(0, len(names), BATCH):
        batch = [valid for name in names[start : start + BATCH] if (valid := _named(name))]
        hashed = await ports.storage.hash_attachments(workspace_id, chat_id, batch)
        now = ports.clock.now()
        files = [
            ChatFile(
                ports.ids.new(),
                chat_id,
                name,
                mimetypes.guess_type(name.value, strict=False)[0],
                found.size_bytes,
                found.sha256,
                now,
                found.etag,
            )
            for name, found in zip(batch, hashed, strict=True)
            if found is not None
        ]
        await ports.files.save_all(files)
        adopted += len(files)
    return adopted


def _named(name: str) -> ChatAttachmentName | None:
    try:
        return ChatAttachmentName(name)
    except InvalidAttachmentNameError:
        return None
