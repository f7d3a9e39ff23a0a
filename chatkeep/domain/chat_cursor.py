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
        """The cursor `text` names, which must come from a listing in `order` and `status`."""
        unknown = InvalidRequestError("unknown cursor: pass next_cursor as a listing gave it")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            cursor_order, cursor_status, at, ordinal = json.loads(raw)
            position = ChatPosition(datetime.fromisoformat(at), int(ordinal))
        except (binascii.Error, ValueError, TypeError):
            raise unknown from None
        if (cursor_order, cursor_status) != (order, status) or position.at.tzinfo is None:
            raise unknown
        return cls(order, status, position)
