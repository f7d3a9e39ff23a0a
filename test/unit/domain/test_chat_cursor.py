from __future__ import annotations

import base64
import uuid
from datetime import datetime

import pytest

from chatkeep.domain.chat import Position
from chatkeep.domain.chat_cursor import MAX_CURSOR_CHARS, ChatCursor
from chatkeep.domain.cursor import scope_tag
from chatkeep.domain.errors import InvalidRequestError
from chatkeep.domain.file_cursor import FileCursor

LAST = datetime.fromisoformat("9999-12-31T23:59:59.999999-23:59")
WORKSPACE = uuid.UUID("5f0c6a52-8c1e-4d1a-9a55-0a6cf1b2c3d4")


def test_the_longest_cursor_round_trips_within_the_bound() -> None:
    """A cursor at the last instant, with the largest seq the stores hold, encodes within
    MAX_CURSOR_CHARS and decodes to itself, in its own workspace."""
    cursor = ChatCursor.after(WORKSPACE, "-updated_at", "archived", Position(LAST, 2**63 - 1))
    text = cursor.encode()
    assert len(text) <= MAX_CURSOR_CHARS
    decoded = ChatCursor.decode(text, "-updated_at", "archived")
    assert decoded == cursor
    assert decoded.position_in(WORKSPACE) == Position(LAST, 2**63 - 1)
    files = FileCursor.after(WORKSPACE, Position(LAST, 2**63 - 1))
    assert len(files.encode()) <= MAX_CURSOR_CHARS
    assert FileCursor.decode(files.encode()) == files


def test_a_cursor_holds_only_the_callers_own_values() -> None:
    """Decoded, a cursor is its kind, a digest of its workspace (not the id), the order,
    the status, the last item's timestamp and its number within the workspace."""
    cursor = ChatCursor.after(WORKSPACE, "created_at", None, Position(LAST, 7))
    raw = base64.urlsafe_b64decode(cursor.encode() + "==").decode()
    assert raw == f'["chats","{scope_tag(WORKSPACE)}","created_at",null,"{LAST.isoformat()}",7]'
    assert str(WORKSPACE) not in raw


def test_a_cursor_of_another_workspace_or_chat_is_unknown() -> None:
    """A cursor is bound to the workspace (chats) or chat (files) whose listing issued it."""
    chats = ChatCursor.after(WORKSPACE, "created_at", None, Position(LAST, 1))
    decoded = ChatCursor.decode(chats.encode(), "created_at", None)
    with pytest.raises(InvalidRequestError, match="unknown cursor"):
        decoded.position_in(uuid.uuid4())
    files = FileCursor.decode(FileCursor.after(WORKSPACE, Position(LAST, 1)).encode())
    with pytest.raises(InvalidRequestError, match="unknown cursor"):
        files.position_in(uuid.uuid4())
    with pytest.raises(InvalidRequestError, match="unknown cursor"):
        FileCursor.decode(chats.encode())
    with pytest.raises(InvalidRequestError, match="unknown cursor"):
        ChatCursor.decode(files.encode(), "created_at", None)


def forged(fields: str) -> str:
    return base64.urlsafe_b64encode(fields.encode()).decode().rstrip("=")


AT = '"2026-01-01T00:00:00+00:00"'


@pytest.mark.parametrize(
    "text",
    [
        forged(f'["chats", "x", "created_at", null, {AT}, 9223372036854775808]'),
        forged(f'["chats", "x", "created_at", null, {AT}, -1]'),
        forged(f'["chats", "x", "created_at", null, {AT}, 1.0]'),
        forged(f'["chats", "x", "created_at", null, {AT}, true]'),
        forged(f'["chats", "x", "created_at", null, {AT}, "5"]'),
        forged(f'["chats", "x", "created_at", null, {AT}, Infinity]'),
        forged('["chats", "x", "created_at", null, "2026-01-01T00:00:00", 1]'),
        forged('["chats", "x", "created_at", null, 5, 1]'),
        forged(f'["chats", 5, "created_at", null, {AT}, 1]'),
        forged(f'["created_at", null, {AT}, 1]'),
        forged("[" * 150),
        forged('{"a": 1}'),
        "A" * (MAX_CURSOR_CHARS + 1),
    ],
    ids=[
        "2**63",
        "negative",
        "float",
        "bool",
        "text",
        "Infinity",
        "naive",
        "number-time",
        "number-scope",
        "old-layout",
        "nested",
        "object",
        "long",
    ],
)
def test_forged_cursors_are_unknown(text: str) -> None:
    """A seq that is not an integer from 0 to 2**63-1, a time without an offset, another
    layout, nesting, or a text longer than any cursor is an unknown cursor (Infinity
    raised OverflowError: 500)."""
    with pytest.raises(InvalidRequestError, match="unknown cursor"):
        ChatCursor.decode(text, "created_at", None)
