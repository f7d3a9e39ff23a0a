"""The bodies of `POST` and `GET /v1/chats/{chat_id}/messages` (decision record 012)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictStr

from chatkeep.domain.limits import MAX_STORED_INTEGER
from chatkeep.domain.message import Message, Role
from chatkeep.http.schema_types import QueryModel, Timestamp
from chatkeep.usecase.messages import read as read_messages


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
        """The JSON form of a message."""
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
