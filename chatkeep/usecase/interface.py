"""Ports the use cases depend on; adapters in repository/ and storage/ implement them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from chatkeep.domain.chat import (
    Chat,
    ChatAttachmentName,
    ChatFile,
    ChatOrder,
    ChatStatus,
    Position,
)
from chatkeep.domain.conditions import Preconditions, Representation
from chatkeep.domain.history import HistoryVersion
from chatkeep.domain.sandbox import SandboxSession
from chatkeep.domain.workspace import DEFAULT_QUOTA_INODES, Usage, Workspace


class WorkspaceRepository(Protocol):
    async def get(self, workspace_id: UUID) -> Workspace | None: ...

    async def get_by_user_id(self, user_id: UUID) -> Workspace | None: ...

    async def list_all(self) -> list[Workspace]: ...

    async def get_or_add(self, workspace: Workspace) -> Workspace:
        """Store `workspace` unless its user has one already; return the user's workspace
        (`workspace` itself, the same object, when it was stored)."""
        ...

    async def save(self, workspace: Workspace) -> None: ...

    async def delete(self, workspace_id: UUID) -> None: ...


class ChatRepository(Protocol):
    async def get(self, chat_id: UUID) -> Chat | None: ...

    async def list_by_workspace_id(self, workspace_id: UUID) -> list[Chat]:
        """Oldest first."""
        ...

    async def list_page(
        self,
        workspace_id: UUID,
        *,
        status: ChatStatus | None,
        order: ChatOrder,
        after: Position | None,
        limit: int,
    ) -> tuple[list[Chat], Position | None]:
        """Up to `limit` chats after `after` in `order` (ties by seq: creation order,
        reversed with the order), and the position of the last one when more follow."""
        ...

    async def save(self, chat: Chat) -> None: ...

    async def describe(self, chat_id: UUID, title: str | None, status: ChatStatus) -> Chat | None:
        """Set title and status, leaving `updated_at` as it is; None if gone."""
        ...

    async def touch(self, chat_id: UUID, at: datetime) -> Chat | None:
        """Move `updated_at` forward to `at` (or just past its current value); None if gone."""
        ...

    async def delete(self, chat_id: UUID) -> None: ...


class ChatFileRepository(Protocol):
    async def get(self, file_id: UUID) -> ChatFile | None: ...

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None: ...

    async def list_by_chat_id(self, chat_id: UUID) -> list[ChatFile]:
        """Oldest first (by created_at, then seq), as `list_page` pages them."""
        ...

    async def list_page(
        self, chat_id: UUID, *, after: Position | None, limit: int
    ) -> tuple[list[ChatFile], Position | None]:
        """Up to `limit` of the chat's files after `after`, oldest first (by created_at,
        ties by seq: creation order), and the position of the last one when more follow
        (None on the last page). Costs a lookup plus the page, not the chat's file count."""
        ...

    async def save(self, chat_file: ChatFile) -> None:
        """Store `chat_file`; another file of the same chat and name is replaced."""
        ...

    async def save_all(self, files: Sequence[ChatFile]) -> None:
        """Store `files` as one `save` after another would, at the cost of far fewer."""
        ...

    async def delete(self, file_id: UUID) -> None: ...

    async def delete_by_chat_id(self, chat_id: UUID) -> None: ...


class SandboxSessionRepository(Protocol):
    async def get_by_chat_id(self, chat_id: UUID) -> SandboxSession | None: ...

    async def save(self, session: SandboxSession) -> None:
        """Store `session` as the one session of its chat."""
        ...

    async def list_expired(self, workspace_id: UUID, now: datetime) -> list[SandboxSession]:
        """The workspace's sessions whose lease ended at or before `now`."""
        ...

    async def count_active(self, now: datetime) -> int:
        """How many sessions, of every workspace, are active at `now`: without a lease, or
        with one that ends after `now`."""
        ...

    async def delete_by_chat_id(self, chat_id: UUID) -> None: ...


class FileReader(Protocol):
    """An open file: size, ETag, Last-Modified and bytes all come from the same open file.
    `last_modified` is timezone-aware, whole seconds; None where there is no file (a history
    that is not a regular file reads as empty)."""

    size_bytes: int
    etag: str
    last_modified: datetime | None

    def chunks(self, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]: ...

    def fileno(self) -> int | None:
        """A descriptor of the open file, for zero-copy sending; None if there is none
        (a small file already in memory, or bytes that are not in a local file)."""
        ...

    def version_check(self) -> Callable[[int], bool] | None:
        """For a reader guarded against torn reads (attachment content): a blocking function
        telling, from any descriptor of the open file, whether it still has the version the
        reader opened (identity, size, timestamps: what the ETag is made of). None when the
        bytes cannot change under the reader (held in memory) or are not guarded (a history,
        whose appends land past the bytes served). `chunks` of a guarded reader raises
        ContentChangedError rather than yield its last bytes of a file that moved."""
        ...

    async def aclose(self) -> None: ...


class StagedBody(Protocol):
    """A history body received in full and reserved against the quota, not yet written."""

    size_bytes: int


class StagedAttachment(Protocol):
    """An upload received in full, hashed and reserved, not yet visible in the chat."""

    name: ChatAttachmentName
    size_bytes: int
    sha256: str


# Decides an upload's preconditions for one name against the regular file now at that name in
# the chat directory (None: there is none); refuses by raising PreconditionFailedError.
UploadCheck = Callable[[ChatAttachmentName, Representation | None], None]


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """A regular file found at the top of a chat directory."""

    name: str
    size_bytes: int
    etag: str


@dataclass(frozen=True, slots=True)
class StoredDir:
    """A workspace's or chat's directory found on disk; a chat's with its files."""

    id: UUID
    modified_at: datetime
    files: tuple[ScannedFile, ...] = ()


@dataclass(frozen=True, slots=True)
class HashedFile:
    size_bytes: int
    sha256: str
    etag: str


class ChatStorage(Protocol):
    """The bytes of workspaces and chats, and the quota that bounds them."""

    async def start(self) -> None:
        """Prepare the storage and repair what a crash left behind."""
        ...

    async def close(self) -> None:
        """Release what start() acquired."""
        ...

    async def create_workspace(self, workspace_id: UUID) -> None: ...

    async def delete_workspace(self, workspace_id: UUID) -> None: ...

    async def workspace_usage(self, workspace_id: UUID) -> Usage:
        """The bytes and inodes of the workspace's chat directories (contract: `used_bytes`,
        `used_inodes`), counted on disk when not known."""
        ...

    async def create_chat(
        self, workspace_id: UUID, chat_id: UUID, *, quota_inodes: int | None = None
    ) -> None:
        """Create the chat directory with an empty history: two inodes, reserved against
        `quota_inodes` first (WorkspaceQuotaExceededError, and nothing is made)."""
        ...

    async def delete_chat(self, workspace_id: UUID, chat_id: UUID) -> None: ...

    async def open_history(self, workspace_id: UUID, chat_id: UUID) -> FileReader:
        """Open the history for reading; the caller closes the reader."""
        ...

    async def replace_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        """Replace the history with `body`. `preconditions` are decided before the body is
        read (an early refusal) and again, binding, against the version replaced, under the
        chat's lock; failed, they raise PreconditionFailedError and nothing changes."""
        ...

    async def append_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
    ) -> HistoryVersion:
        """Append `body` to the history; `preconditions` as for `replace_history`, decided
        against the version appended to."""
        ...

    async def stage_history(
        self,
        workspace_id: UUID,
        chat_id: UUID,
        body: AsyncIterator[bytes],
        *,
        quota_bytes: int,
        preconditions: Preconditions | None,
        append: bool = False,
    ) -> StagedBody:
        """Receive `body` outside the chat directory and reserve its growth, so that the
        write itself takes no longer than the disk does. `preconditions`, when they already
        fail, raise PreconditionFailedError before a byte is read; a body past the quota
        raises WorkspaceQuotaExceededError. The caller writes it with replace_ or
        append_staged_history, and discards it in any case."""
        ...

    async def replace_staged_history(self, staged: StagedBody) -> HistoryVersion:
        """Make the staged body the whole history; its preconditions are decided again,
        binding, against the version replaced, under the chat's storage lock.
        Raises PreconditionFailedError, WorkspaceQuotaExceededError, ChatNotFoundError."""
        ...

    async def append_staged_history(self, staged: StagedBody) -> HistoryVersion:
        """Append the staged body whole (appends are written in batches, never
        interleaved); preconditions as for replace_staged_history, against the version
        appended to."""
        ...

    async def discard_staged_history(self, staged: StagedBody) -> None:
        """Drop a staged body and its reservation, unless a write has taken them over."""
        ...

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
        them all, and nothing changes."""
        ...

    async def discard_staged(self, staged: Sequence[StagedAttachment]) -> None:
        """Forget staged uploads and release their reservations (published ones stay)."""
        ...

    async def open_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> FileReader | None:
        """The attachment's bytes; None unless it is a regular file reached without a link."""
        ...

    async def delete_attachment(
        self, workspace_id: UUID, chat_id: UUID, name: ChatAttachmentName
    ) -> None: ...

    def workdir(self, workspace_id: UUID, chat_id: UUID) -> str:
        """The chat directory's absolute path, for an orchestrator to mount."""
        ...

    async def scan_chat(self, workspace_id: UUID, chat_id: UUID) -> list[ScannedFile]:
        """Regular files at the top of the chat directory, history aside, links not followed."""
        ...

    async def hash_attachments(
        self, workspace_id: UUID, chat_id: UUID, names: Sequence[ChatAttachmentName]
    ) -> list[HashedFile | None]:
        """For each name, the size, sha256 and version of the regular file reached
        without a link; else None."""
        ...

    async def recount_usage(self, workspace_id: UUID) -> Usage:
        """Count the workspace's bytes and inodes on disk again, sandbox writes included."""
        ...

    async def list_workspace_dirs(self) -> list[StoredDir]: ...

    async def list_chat_dirs(self, workspace_id: UUID) -> list[StoredDir]:
        """The workspace's chat directories, each with what scan_chat would find in it."""
        ...

    async def restore_chat(self, workspace_id: UUID, chat_id: UUID) -> bool:
        """Make the chat's directory and an empty history where they are missing;
        answer whether anything was made."""
        ...


class MessageSeqs(Protocol):
    """The highest message seq of a chat's history, remembered for one history version, so
    that appending a message need not read the history through."""

    async def get(self, chat_id: UUID, etag: str) -> int | None: ...

    async def put(self, chat_id: UUID, etag: str, seq: int) -> None: ...

    async def forget(self, chat_id: UUID) -> None: ...


class KeyedLocks(Protocol):
    """Readers-writer locks by key, for check-then-act sequences across awaits.

    Reentrant within one task; a task holding a key shared must not ask for it
    exclusively. Waiting exclusive holders go before new shared ones.
    """

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold `key` alone: no other holder, shared or exclusive, meanwhile."""
        ...

    def hold_shared(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold `key` beside other shared holders, never beside an exclusive one."""
        ...


class IdGenerator(Protocol):
    def new(self) -> UUID: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything a use case may depend on, wired by the composition root."""

    workspaces: WorkspaceRepository
    chats: ChatRepository
    files: ChatFileRepository
    sandboxes: SandboxSessionRepository
    storage: ChatStorage
    message_seqs: MessageSeqs
    locks: KeyedLocks
    ids: IdGenerator
    clock: Clock
    default_quota_bytes: int
    default_quota_inodes: int = DEFAULT_QUOTA_INODES
