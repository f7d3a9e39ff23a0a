from __future__ import annotations

import base64
from datetime import datetime

import pytest

from chatkeep.domain.chat import ChatPosition
from chatkeep.domain.chat_cursor import MAX_CURSOR_CHARS, ChatCursor
from chatkeep.domain.errors import InvalidRequestError

LAST = datetime.fromisoformat("9999-12-31T23:59:59.999999-23:59")


def test_the_longest_cursor_round_trips_within_the_bound() -> None:
    """A cursor at the last instant, with the largest ordinal the stores hold, encodes
    within MAX_CURSOR_CHARS and decodes to itself."""
    cursor = ChatCursor("-updated_at", "archived", ChatPosition(LAST, 2**63 - 1))
    text = cursor.encode()
    assert len(text) <= MAX_CURSOR_CHARS
    assert ChatCursor.decode(text, "-updated_at", "archived") == cursor


def forged(fields: str) -> str:
    return base64.urlsafe_b64encode(fields.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        forged('["created_at", null, "2026-01-01T00:00:00+00:00", 9223372036854775808]'),
        forged('["created_at", null, "2026-01-01T00:00:00+00:00", -1]'),
        forged('["created_at", null, "2026-01-01T00:00:00+00:00", 1.0]'),
        forged('["created_at", null, "2026-01-01T00:00:00+00:00", true]'),
        forged('["created_at", null, "2026-01-01T00:00:00+00:00", "5"]'),
        forged('["created_at", null, "2026-01-01T00:00:00+00:00", Infinity]'),
        forged("[" * 150),
        "A" * (MAX_CURSOR_CHARS + 1),
    ],
    ids=["2**63", "negative", "float", "bool", "text", "Infinity", "nested", "long"],
)
def test_forged_cursors_are_unknown(text: str) -> None:
    """An ordinal that is not an integer from 0 to 2**63-1, nesting, or a text longer than
    any cursor is an unknown cursor (Infinity raised OverflowError: 500)."""
    with pytest.raises(InvalidRequestError, match="unknown cursor"):
        ChatCursor.decode(text, "created_at", None)
