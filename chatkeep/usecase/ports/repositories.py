"""The metadata the use cases keep: workspaces, chats, attachments' records, sandbox
sessions, and the message numbers remembered per history version. Adapters: repository/
(in memory, SQL, and SQLite mirrored in memory)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from chatkeep.domain.chat import Chat, ChatAttachmentName, ChatFile, ChatOrder, ChatStatus, Position
from chatkeep.domain.sandbox import SandboxSession
from chatkeep.domain.workspace import Workspace


class WorkspaceRepository(Protocol):
    async def get(self, workspace_id: UUID) -> Workspace | None:
        """The workspace of that id; None if there is none."""
        ...

    async def get_by_user_id(self, user_id: UUID) -> Workspace | None:
        """The user's workspace (at most one per user); None if there is none."""
        ...

    async def list_all(self) -> list[Workspace]:
        """Every workspace, in no particular order."""
        ...

    async def get_or_add(self, workspace: Workspace) -> Workspace:
        """Store `workspace` unless its user has one already; return the user's workspace
        (`workspace` itself, the same object, when it was stored)."""
        ...

    async def save(self, workspace: Workspace) -> None:
        """Store `workspace`, replacing the row of that id, or the user's previous workspace."""
        ...

    async def delete(self, workspace_id: UUID) -> None:
        """Forget the workspace's row; a missing one is no error."""
        ...


class ChatRepository(Protocol):
    async def get(self, chat_id: UUID) -> Chat | None:
        """The chat of that id, whatever its workspace (the caller checks the owner); None
        if gone."""
        ...

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

    async def save(self, chat: Chat) -> None:
        """Store `chat`; a new one is numbered (seq) after its workspace's newest (decision record
        022), one saved again keeps its number."""
        ...

    async def describe(self, chat_id: UUID, title: str | None, status: ChatStatus) -> Chat | None:
        """Set title and status, leaving `updated_at` as it is; None if gone."""
        ...

    async def touch(self, chat_id: UUID, at: datetime) -> Chat | None:
        """Move `updated_at` forward to `at` (or just past its current value); None if gone."""
        ...

    async def delete(self, chat_id: UUID) -> None:
        """Forget the chat's row; a missing one is no error. Its files and session are the
        caller's to delete."""
        ...


class ChatFileRepository(Protocol):
    async def get(self, file_id: UUID) -> ChatFile | None:
        """The attachment's record of that id, whatever its chat; None if there is none."""
        ...

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None:
        """The chat's attachment record of that name (names are unique in a chat); None if none."""
        ...

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

    async def delete(self, file_id: UUID) -> None:
        """Forget the record; a missing one is no error."""
        ...

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """Forget every record of the chat."""
        ...


class SandboxSessionRepository(Protocol):
    async def get_by_chat_id(self, chat_id: UUID) -> SandboxSession | None:
        """The chat's session, active or with its lease run out; None if it has none."""
        ...

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

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """Forget the chat's session; none is no error."""
        ...


class MessageSeqs(Protocol):
    """The highest message seq of a chat's history, remembered for one history version, so
    that appending a message need not read the history through."""

    async def get(self, chat_id: UUID, etag: str) -> int | None:
        """The highest seq remembered for the chat's history at version `etag`; None if unknown."""
        ...

    async def put(self, chat_id: UUID, etag: str, seq: int) -> None:
        """Remember `seq` as the highest of the history at version `etag` (one version per chat)."""
        ...

    async def forget(self, chat_id: UUID) -> None:
        """Forget what is remembered of the chat (deleted)."""
        ...
