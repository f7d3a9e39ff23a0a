"""Making a chat's metadata match its directory, after a sandbox had its way with it."""

from __future__ import annotations

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
        for name in sorted(on_disk):
            changed |= await adopt_file(ports, workspace_id, chat.chat_id, name)
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


async def adopt_file(ports: Ports, workspace_id: UUID, chat_id: UUID, name: str) -> bool:
    """Make a file a sandbox wrote an attachment, if the API would accept its name."""
    try:
        attachment_name = ChatAttachmentName(name)
    except InvalidAttachmentNameError:
        return False
    hashed = await ports.storage.hash_attachment(workspace_id, chat_id, attachment_name)
    if hashed is None:
        return False
    content_type, _ = mimetypes.guess_type(name, strict=False)
    await ports.files.save(
        ChatFile(
            ports.ids.new(),
            chat_id,
            attachment_name,
            content_type,
            hashed.size_bytes,
            hashed.sha256,
            ports.clock.now(),
            hashed.etag,
        )
    )
    return True
