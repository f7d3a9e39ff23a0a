"""A chat's attachments: uploads received (staged) outside the chat directory, then published
all or nothing under the chat's lock; read, hashed and deleted by name (decision record 008)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from chatkeep.domain.chat import ChatAttachmentName
from chatkeep.domain.conditions import Representation
from chatkeep.usecase.ports.reading import FileReader


class StagedAttachment(Protocol):
    """An upload received in full, hashed and reserved, not yet visible in the chat."""

    name: ChatAttachmentName
    size_bytes: int
    sha256: str


# Decides an upload's preconditions for one name against the regular file now at that name in
# the chat directory (None: there is none); refuses by raising PreconditionFailedError.
UploadCheck = Callable[[ChatAttachmentName, Representation | None], None]


@dataclass(frozen=True, slots=True)
class HashedFile:
    size_bytes: int
    sha256: str
    etag: str


class AttachmentStore(Protocol):
    """The attachments in each chat directory."""

    async def stage_attachment(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        name: ChatAttachmentName,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        expected_size: int | None,
        check: UploadCheck | None = None,
        quota_inodes: int | None = None,
    ) -> StagedAttachment:
        """Receive `body` outside the chat directory, reserving its bytes against the quota,
        and the inode a new name takes against `quota_inodes` (a replacement takes none).

        `expected_size`, when known, is claimed before any byte is read; `check`, when
        given, runs before any byte is read too, so that a refusal wastes no transfer.
        Raises WorkspaceQuotaExceededError, PreconditionFailedError (from `check`),
        ChatNotFoundError, InsufficientStorageError, or what reading `body` raises; a
        refused upload leaves nothing and holds no reservation.
        """
        ...

    async def publish_attachments(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        staged: Sequence[StagedAttachment],
        check: UploadCheck | None = None,
    ) -> list[str]:
        """Make every staged upload visible under its name, replacing files of that name;
        answer each published file's version (ETag). `check`, when given, runs for every
        name under the chat's lock before anything is published: what it raises refuses
        them all, and nothing changes. Raises that, NameConflictError (a name taken by
        something not a regular file), WorkspaceQuotaExceededError, ChatNotFoundError or
        InsufficientStorageError, and then publishes none."""
        ...

    async def discard_staged(self, staged: Sequence[StagedAttachment]) -> None:
        """Forget staged uploads and release their reservations (published ones stay)."""
        ...

    async def open_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> FileReader | None:
        """The attachment's bytes; None unless it is a regular file reached without a link.
        Raises ChatNotFoundError when the chat directory is gone."""
        ...

    async def delete_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> None:
        """Remove the entry of that name in the chat directory, whatever it is (a sandbox's
        directory included), and take what it held off the usage; a missing name is no error.
        Raises ChatNotFoundError when the chat directory is gone."""
        ...

    async def hash_attachments(
        self, workspace_id: UUID, chat_id: UUID, names: Sequence[ChatAttachmentName]
    ) -> list[HashedFile | None]:
        """For each name, the size, sha256 and version of the regular file reached
        without a link; else None. Raises ChatNotFoundError when the chat directory is gone."""
        ...
