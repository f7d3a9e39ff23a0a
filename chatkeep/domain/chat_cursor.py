"""The opaque cursor of a chat listing: where the last page ended, bound to the listing's
order and status filter, so that it cannot be replayed against another listing."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from chatkeep.domain.chat import ChatOrder, ChatPosition, ChatStatus
from chatkeep.domain.errors import InvalidRequestError
from chatkeep.domain.limits import MAX_STORED_INTEGER

# The longest cursor `encode` makes is about 120 characters; a longer text is no cursor.
MAX_CURSOR_CHARS = 256


@dataclass(frozen=True, slots=True)
class ChatCursor:
    order: ChatOrder
    status: ChatStatus | None
    position: ChatPosition

    def encode(self) -> str:
        fields = [self.order, self.status, self.position.at.isoformat(), self.position.ordinal]
        return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, order: ChatOrder, status: ChatStatus | None) -> ChatCursor:
        """The cursor `text` names, which must come from a listing in `order` and `status`.

        Raises InvalidRequestError for any other text: one longer than MAX_CURSOR_CHARS, or
        whose ordinal is not an integer the stores hold (it goes to the database as is).
        """
        unknown = InvalidRequestError("unknown cursor: pass next_cursor as a listing gave it")
        if len(text) > MAX_CURSOR_CHARS:
            raise unknown
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            cursor_order, cursor_status, at, ordinal = json.loads(raw)
            position = ChatPosition(datetime.fromisoformat(at), ordinal)
        # RecursionError: deeply nested JSON, should a longer text ever be let through.
        except (binascii.Error, ValueError, TypeError, RecursionError):
            raise unknown from None
        if (
            (cursor_order, cursor_status) != (order, status)
            or position.at.tzinfo is None
            or type(ordinal) is not int
            or not 0 <= ordinal <= MAX_STORED_INTEGER
        ):
            raise unknown
        return cls(order, status, position)
