"""Making a chat's metadata match its directory, after a sandbox had its way with it."""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import replace
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatAttachmentName, ChatFile
from chatkeep.domain.errors import InvalidAttachmentNameError
from chatkeep.usecase.access_keys import chat_lock
from chatkeep.usecase.interface import Ports


async def reconcile_chat(ports: Ports, workspace_id: UUID, chat: Chat) -> list[ChatFile]:
    """Adopt new top-level files, drop vanished ones, rehash changed ones, recount usage.

    Answers the chat's attachments afterwards, oldest first.
    """
    async with ports.locks.hold(chat_lock(chat.chat_id)):
        on_disk = {f.name: f for f in await ports.storage.scan_chat(workspace_id, chat.chat_id)}
        changed = False
        for known in await ports.files.list_by_chat_id(chat.chat_id):
            found = on_disk.pop(known.name.value, None)
            if found is not None and found.etag == known.etag:
                continue
            changed |= await refresh_file(ports, workspace_id, known)
        if await adopt_files(ports, workspace_id, chat.chat_id, sorted(on_disk)):
            changed = True
        await ports.storage.recount_usage(workspace_id)
        if changed:
            await ports.chats.touch(chat.chat_id, ports.clock.now())
        return await ports.files.list_by_chat_id(chat.chat_id)


async def refresh_file(ports: Ports, workspace_id: UUID, known: ChatFile) -> bool:
    """Rehash a file whose version moved; drop it if it is no longer a regular file."""
    hashed = await ports.storage.hash_attachment(workspace_id, known.chat_id, known.name)
    if hashed is None:
        await ports.files.delete(known.file_id)
        return True
    content_changed = (hashed.size_bytes, hashed.sha256) != (known.size_bytes, known.sha256)
    refreshed = replace(known, size_bytes=hashed.size_bytes, sha256=hashed.sha256, etag=hashed.etag)
    await ports.files.save(refreshed)
    return content_changed


# Files adopted at once: hashed side by side, their rows committed together.
ADOPT_BATCH = 256


async def adopt_files(ports: Ports, workspace_id: UUID, chat_id: UUID, names: list[str]) -> int:
    """Make the files a sandbox wrote attachments, in the order given, where the API
    would accept their names; answer how many were adopted. A batch at a time, so that
    a directory of many files costs few commits rather than one each."""
    adopted = 0
    for start in range(0, len(names), ADOPT_BATCH):
        batch = [valid for name in names[start : start + ADOPT_BATCH] if (valid := _named(name))]
        hashed = await asyncio.gather(
            *(ports.storage.hash_attachment(workspace_id, chat_id, name) for name in batch)
        )
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
        await asyncio.gather(*(ports.files.save(chat_file) for chat_file in files))
        adopted += len(files)
    return adopted


def _named(name: str) -> ChatAttachmentName | None:
    try:
        return ChatAttachmentName(name)
    except InvalidAttachmentNameError:
        return None
