"""Request and response bodies; the OpenAPI document is generated from these."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    StrictStr,
)

from chatkeep.domain.chat import MAX_TITLE_CHARS, Chat, ChatFile, ChatOrder, ChatStatus
from chatkeep.domain.cursor import MAX_CURSOR_CHARS
from chatkeep.domain.limits import MAX_STORED_INTEGER, text_problem
from chatkeep.domain.message import Message, Role
from chatkeep.domain.sandbox import MAX_LEASE_SECONDS, SandboxSession
from chatkeep.domain.workspace import Workspace, WorkspaceUsage
from chatkeep.usecase import list_chats, read_messages
from chatkeep.usecase.sandbox_session import MAX_SANDBOX_ID_CHARS

# Past 2**53 a JSON number with a fraction or an exponent reaches us as a float that has
# already lost digits: 123456789012345678.9 arrives as 123456789012345680.0.
_EXACT_FLOATS = 2**53


def _whole_number(value: object) -> int:
    """JSON Schema's integer: 5 and 5.0, not 5.5, "5" or true; past 2**53 only written
    as an integer (a float there may have been rounded on its way in)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("must be a whole number")
    if isinstance(value, float) and abs(value) >= _EXACT_FLOATS:
        raise ValueError("must be written without a fraction or exponent past 2**53")
    return int(value)


# Every integer a client sends is bounded, at most by what the stores hold (contract,
# "Limits of values"). The bounds come before the validator so that the JSON schema shows
# them as `minimum` and `maximum`: the document states the very bounds that are checked.
QuotaBytes = Annotated[int, Field(ge=0, le=MAX_STORED_INTEGER), BeforeValidator(_whole_number)]
QuotaInodes = Annotated[int, Field(ge=0, le=MAX_STORED_INTEGER), BeforeValidator(_whole_number)]
LeaseSeconds = Annotated[int, Field(ge=1, le=MAX_LEASE_SECONDS), BeforeValidator(_whole_number)]


def _storable_text(value: object) -> object:
    """Refuses a text no store can hold; anything else goes on to the type's own checks."""
    problem = text_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise ValueError(problem)
    return value


# Texts that go into a metadata store. The bounds come before the validator so that a
# long text is told its length, and the pattern tells clients what the validator checks.
_NO_NUL = Field(json_schema_extra={"pattern": "^[^\\x00]*$"})
Title = Annotated[
    StrictStr, Field(max_length=MAX_TITLE_CHARS), BeforeValidator(_storable_text), _NO_NUL
]
SandboxId = Annotated[
    StrictStr,
    Field(min_length=1, max_length=MAX_SANDBOX_ID_CHARS),
    BeforeValidator(_storable_text),
    _NO_NUL,
]

# ISO 8601 with an explicit UTC offset (+00:00), not pydantic's "Z".
Timestamp = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]


class QueryModel(BaseModel):
    """Query parameters (the last value of a repeated one; unknown ones ignored)."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def parameter_schemas(cls) -> dict[str, dict[str, object]]:
        """The JSON schema of each parameter, by name, from the model's own: the document
        states the bounds that validation checks."""
        properties = cls.model_json_schema()["properties"]
        return {name: _parameter_schema(schema) for name, schema in properties.items()}


def _parameter_schema(schema: dict[str, Any]) -> dict[str, object]:
    """A property's schema as a query parameter's: a parameter left out stands for null, so
    the null option goes, and with it a null default; titles go too."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if len(options) == 1:
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    return {k: v for k, v in schema.items() if k != "title" and (k, v) != ("default", None)}


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
        return cls(
            sandbox_id=session.sandbox_id,
            chat_id=session.chat_id,
            workdir=workdir,
            started_at=session.started_at,
            expires_at=session.expires_at,
        )


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    content: StrictStr


class ManyMessages(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[MessageIn] = Field(min_length=1)


class MessagesPost(RootModel[MessageIn | ManyMessages]):
    """One message (`role` + `content`) or several (`messages`), not both."""


class MessageOut(BaseModel):
    seq: int
    role: Role
    content: str
    created_at: Timestamp

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls.model_validate(message, from_attributes=True)


class MessageList(BaseModel):
    messages: list[MessageOut]
    next_before: int | None = Field(
        default=None,
        description="The seq of the oldest message returned; null when none precedes it.",
    )


class MessagesQuery(QueryModel):
    limit: Annotated[int, Field(ge=1, le=read_messages.MAX_LIMIT)] = read_messages.DEFAULT_LIMIT
    before: Annotated[int, Field(ge=1, le=MAX_STORED_INTEGER)] | None = None
