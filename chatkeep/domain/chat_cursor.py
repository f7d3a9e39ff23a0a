"""The opaque cursor of a chat listing: where the last page ended, bound to the workspace,
order and status filter of its listing, so that it cannot be replayed against another."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.chat import ChatOrder, ChatStatus, Position
from chatkeep.domain.cursor import (
    MAX_CURSOR_CHARS,
    decode_fields,
    decode_position,
    encode_fields,
    position_fields,
    scope_tag,
    unknown_cursor,
)

__all__ = ["MAX_CURSOR_CHARS", "ChatCursor"]
_KIND = "chats"


@dataclass(frozen=True, slots=True)
class ChatCursor:
    order: ChatOrder
    status: ChatStatus | None
    position: Position
    # scope_tag() of the workspace listed.
    scope: str

    @classmethod
    def after(
        cls, workspace_id: UUID, order: ChatOrder, status: ChatStatus | None, last: Position
    ) -> ChatCursor:
        """The cursor of the page after `last` in `workspace_id`'s listing."""
        return cls(order, status, last, scope_tag(workspace_id))

    def encode(self) -> str:
        """The cursor's text: URL-safe base64 of a JSON list, at most 134 characters."""
        fields = [_KIND, self.scope, self.order, self.status, *position_fields(self.position)]
        return encode_fields(fields)

    @classmethod
    def decode(cls, text: str, order: ChatOrder, status: ChatStatus | None) -> ChatCursor:
        """The cursor `text` names, which must come from a listing in `order` and `status`.

        Raises InvalidRequestError (400, unknown cursor) for any other text: one longer
        than MAX_CURSOR_CHARS, or whose seq is not an integer the stores hold. Which
        workspace it belongs to is checked by `position_in`.
        """
        scope, cursor_order, cursor_status, at, seq = decode_fields(text, _KIND, 5)
        if (cursor_order, cursor_status) != (order, status) or not isinstance(scope, str):
            raise unknown_cursor()
        return cls(order, status, decode_position(at, seq), scope)

    def position_in(self, workspace_id: UUID) -> Position:
        """Where the page after this cursor starts in `workspace_id`'s listing; a cursor
        of another workspace's listing is unknown there (InvalidRequestError, 400)."""
        if self.scope != scope_tag(workspace_id):
            raise unknown_cursor()
        return self.position
