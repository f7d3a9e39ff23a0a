from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.chat import ChatAttachmentName, ChatFile
from chatkeep.domain.conditions import Preconditions, Representation, upload_target
from chatkeep.domain.errors import (
    ChecksumMismatchError,
    InvalidAttachmentNameError,
    InvalidRequestError,
)
from chatkeep.usecase.access import chat_lock, find_chat, inode_quota
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports, StagedAttachment, UploadCheck


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """One file of an upload request, its bytes still to be read."""

    name: str
    content_type: str | None
    body: AsyncIterator[bytes]
    declared_size: int | None = None
    expected_sha256: str | None = None


async def upload_files(
    ports: Ports,
    user_id: UUID,
    chat_id: UUID,
    incoming: AsyncIterator[IncomingFile],
    preconditions: Preconditions | None = None,
) -> list[ChatFile]:
    """Store every incoming file as an attachment, all or nothing, in request order.

    A file whose name exists in the chat replaces that attachment under a new id.
    `preconditions` (RFC 9110 §13) hold for every file or nothing is stored
    (PreconditionFailedError, 412): decided for each file before its body is read, then,
    binding, for all of them under the chat's lock as they are published. What they are
    decided against is `upload_target`'s.

    Also raises InvalidAttachmentNameError (a name refused, or given twice),
    InvalidRequestError (no file), ChecksumMismatchError, ChatNotFoundError,
    NameConflictError, WorkspaceQuotaExceededError, InsufficientStorageError; nothing is
    stored then.
    """
    await end_expired_session(ports, user_id, chat_id)
    workspace, chat = await find_chat(ports, user_id, chat_id)
    staged: list[StagedAttachment] = []
    content_types: list[str | None] = []
    try:
        async for item in incoming:
            name = ChatAttachmentName(item.name)
            if any(file.name == name for file in staged):
                raise InvalidAttachmentNameError(f"'{item.name}' is uploaded twice")
            file = await ports.storage.stage_attachment(
                workspace.workspace_id,
                chat.chat_id,
                name,
                item.body,
                quota_bytes=workspace.quota_bytes,
                quota_inodes=inode_quota(ports, workspace),
                expected_size=item.declared_size,
                check=await _check(ports, chat.chat_id, [name], preconditions),
            )
            staged.append(file)
            content_types.append(item.content_type)
            if item.expected_sha256 is not None and item.expected_sha256 != file.sha256:
                raise ChecksumMismatchError(
                    f"the body hashes to {file.sha256}, not {item.expected_sha256}; "
                    "nothing was stored"
                )
        if not staged:
            raise InvalidRequestError("the request holds no file")
        async with ports.locks.hold(chat_lock(chat.chat_id)):
            await end_expired_session(ports, user_id, chat_id)
            await find_chat(ports, user_id, chat_id)  # not deleted while we received
            names = [file.name for file in staged]
            etags = await ports.storage.publish_attachments(
                workspace.workspace_id,
                chat.chat_id,
                staged,
                check=await _check(ports, chat.chat_id, names, preconditions),
            )
            now = ports.clock.now()
            # With its version (ETag), so that a later rescan need not hash it again.
            files = [
                ChatFile(
                    ports.ids.new(), chat.chat_id, s.name, kind, s.size_bytes, s.sha256, now, etag
                )
                for s, kind, etag in zip(staged, content_types, etags, strict=True)
            ]
            for chat_file in files:
                await ports.files.save(chat_file)
            await ports.chats.touch(chat.chat_id, now)
    finally:
        await ports.storage.discard_staged(staged)
    return files


async def _check(
    ports: Ports,
    chat_id: UUID,
    names: list[ChatAttachmentName],
    preconditions: Preconditions | None,
) -> UploadCheck | None:
    """The storage's check of `preconditions` for these names, knowing which of them are
    attachments now; None without preconditions."""
    if preconditions is None:
        return None
    attached = {name for name in names if await ports.files.get_by_chat_id_and_name(chat_id, name)}

    def check(name: ChatAttachmentName, on_disk: Representation | None) -> None:
        preconditions.require(upload_target(name in attached, on_disk))

    return check
