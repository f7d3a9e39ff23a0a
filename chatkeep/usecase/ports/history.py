"""A chat's transcript, `history.md`: read, replaced or appended to, a body received (staged)
before the chat's lock is taken (decision records 006 and 020)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol
from uuid import UUID

from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.history import HistoryVersion
from chatkeep.usecase.ports.reading import FileReader


class StagedBody(Protocol):
    """A history body received in full and reserved against the quota, not yet written."""

    size_bytes: int


class HistoryStore(Protocol):
    """The history of each chat directory."""

    async def open_history(self, workspace_id: UUID, chat_id: UUID) -> FileReader:
        """Open the history for reading (empty when it is not a regular file); the caller
        closes the reader. Raises ChatNotFoundError when the chat directory is gone."""
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
        chat's lock; failed, they raise PreconditionFailedError and nothing changes. Also
        raises WorkspaceQuotaExceededError, ChatNotFoundError, InsufficientStorageError, or
        what reading `body` raises."""
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
        against the version appended to, and raises as it does."""
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
        raises WorkspaceQuotaExceededError; also ChatNotFoundError, InsufficientStorageError,
        or what reading `body` raises. The caller writes it with replace_ or
        append_staged_history, and discards it in any case."""
        ...

    async def replace_staged_history(self, staged: StagedBody) -> HistoryVersion:
        """Make the staged body the whole history; its preconditions are decided again,
        binding, against the version replaced, under the chat's storage lock.
        Raises PreconditionFailedError, WorkspaceQuotaExceededError, ChatNotFoundError,
        InsufficientStorageError."""
        ...

    async def append_staged_history(self, staged: StagedBody) -> HistoryVersion:
        """Append the staged body whole (appends are written in batches, never
        interleaved); preconditions as for replace_staged_history, against the version
        appended to. Raises as replace_staged_history does, for this append alone."""
        ...

    async def discard_staged_history(self, staged: StagedBody) -> None:
        """Drop a staged body and its reservation, unless a write has taken them over."""
        ...
