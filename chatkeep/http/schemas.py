"""Request and response bodies; the OpenAPI document is generated from these."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from chatkeep.domain.chat import Chat, ChatFile, ChatOrder, ChatStatus
from chatkeep.domain.cursor import MAX_CURSOR_CHARS
from chatkeep.domain.sandbox import SandboxSession
from chatkeep.domain.workspace import Workspace, WorkspaceUsage
from chatkeep.http.schema_types import (
    LeaseSeconds,
    QueryModel,
    QuotaBytes,
    QuotaInodes,
    SandboxId,
    Timestamp,
    Title,
)
from chatkeep.usecase.chats import listing as list_chats


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable snake_case error code.")
    message: str
    request_id: str = Field(
        description="The request's id, as in the X-Request-Id header: the caller's when it "
        "sent one of 1-200 visible ASCII characters, else a new one."
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(
        description="Each readiness check by name: 'ok', or the reason it does not hold."
    )


class WorkspacePut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quota_bytes: QuotaBytes | None = None
    quota_inodes: QuotaInodes | None = None


class WorkspaceOut(BaseModel):
    workspace_id: UUID
    user_id: UUID
    created_at: Timestamp
    quota_bytes: int
    used_bytes: int
    quota_inodes: int = Field(description="Most files and directories its chats may hold.")
    used_inodes: int = Field(
        description="Files and directories under its chat directories, chat directories "
        "included, a hard-linked file once."
    )

    @classmethod
    def of(cls, workspace: Workspace, usage: WorkspaceUsage) -> WorkspaceOut:
        """The JSON form of a workspace with its usage and quotas (bytes, inodes)."""
        return cls(
            workspace_id=workspace.workspace_id,
            user_id=workspace.user_id,
            created_at=workspace.created_at,
            quota_bytes=usage.quota_bytes,
            used_bytes=usage.used_bytes,
            quota_inodes=usage.quota_inodes,
            used_inodes=usage.used_inodes,
        )


class ChatCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None


class ChatPatch(BaseModel):
    """Any of title (null clears it) and status; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    status: ChatStatus | None = None


class ChatOut(BaseModel):
    chat_id: UUID
    workspace_id: UUID
    title: str | None
    status: ChatStatus
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, chat: Chat) -> ChatOut:
        """The JSON form of a chat."""
        return cls(
            chat_id=chat.chat_id,
            workspace_id=chat.workspace_id,
            title=chat.title,
            status=chat.status,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
        )


class ChatList(BaseModel):
    chats: list[ChatOut]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next page; null on the last one."
    )


class ChatsQuery(QueryModel):
    status: ChatStatus | None = None
    order: ChatOrder = "created_at"
    limit: Annotated[int, Field(ge=1, le=list_chats.MAX_LIMIT)] = list_chats.DEFAULT_LIMIT
    cursor: Annotated[str, Field(max_length=MAX_CURSOR_CHARS)] | None = None


# Python's parser lets through what ISO 8601 has no place for (a NUL or a line feed before
# the offset, for one): only the standard's characters (and RFC 3339's space) reach it.
_ISO_8601_CHARACTERS = re.compile(r"[0-9TWZtz:.,+\- ]{1,64}")


def _iso_8601_with_offset(value: object) -> datetime:
    """ISO 8601 with a UTC offset (`Z` accepted); not pydantic's laxer forms, such as a
    bare number of seconds."""
    if not isinstance(value, str) or not _ISO_8601_CHARACTERS.fullmatch(value):
        raise ValueError("must be an ISO 8601 timestamp, such as 2026-11-27T10:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp, such as 2026-11-27T10:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry a UTC offset, such as Z or +02:00")
    return parsed


class PruneQuery(QueryModel):
    updated_before: Annotated[datetime, BeforeValidator(_iso_8601_with_offset)]


class PrunedOut(BaseModel):
    deleted: list[UUID]
    skipped: list[UUID] = Field(description="Idle chats kept because a sandbox is active.")


class HistoryWritten(BaseModel):
    size_bytes: int = Field(description="Size of the history after the write.")
    etag: str = Field(description="The new ETag, quotes included, usable as is in If-Match.")


class ChatFileOut(BaseModel):
    file_id: UUID
    chat_id: UUID
    name: str
    content_type: str | None
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the bytes as stored.")
    created_at: Timestamp

    @classmethod
    def of(cls, chat_file: ChatFile) -> ChatFileOut:
        """The JSON form of an attachment's metadata."""
        return cls(
            file_id=chat_file.file_id,
            chat_id=chat_file.chat_id,
            name=chat_file.name.value,
            content_type=chat_file.content_type,
            size_bytes=chat_file.size_bytes,
            sha256=chat_file.sha256,
            created_at=chat_file.created_at,
        )


class ChatFileList(BaseModel):
    files: list[ChatFileOut]

    @classmethod
    def of(cls, files: list[ChatFile]) -> ChatFileList:
        """The JSON list of the files an upload stored."""
        return cls(files=[ChatFileOut.of(chat_file) for chat_file in files])


class SandboxPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sandbox_id: SandboxId
    lease_seconds: LeaseSeconds | None = None


class SandboxOut(BaseModel):
    sandbox_id: str
    chat_id: UUID
    workdir: str = Field(description="Absolute path of the chat directory, to mount.")
    started_at: Timestamp
    expires_at: Timestamp | None

    @classmethod
    def of(cls, session: SandboxSession, workdir: str) -> SandboxOut:
        """The JSON form of a sandbox session with the directory to mount."""
        return cls(
            sandbox_id=session.sandbox_id,
            chat_id=session.chat_id,
            workdir=workdir,
            started_at=session.started_at,
            expires_at=session.expires_at,
        )
