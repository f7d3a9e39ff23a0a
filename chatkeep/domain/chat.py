from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from chatkeep.domain.errors import InvalidAttachmentNameError, InvalidRequestError
from chatkeep.domain.limits import text_problem

HISTORY_FILE_NAME = "history.md"
MAX_TITLE_CHARS = 500
MAX_NAME_BYTES = 255
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Timestamps must move forward even when two writes read the same clock tick.
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ChatAttachmentName:
    """A file name a sandbox can see in its chat directory, stored exactly as given."""

    value: str

    def __post_init__(self) -> None:
        problem = _name_problem(self.value)
        if problem is not None:
            raise InvalidAttachmentNameError(f"invalid attachment name: {problem}")


def _name_problem(value: str) -> str | None:
    if not value:
        return "it is empty"
    if value in {".", ".."}:
        return "'.' and '..' are not names"
    if value == HISTORY_FILE_NAME:
        return f"'{HISTORY_FILE_NAME}' is reserved"
    if "/" in value or "\\" in value:
        return "it contains a slash or backslash"
    for char in value:
        if unicodedata.category(char) == "Cc":
            return f"it contains the control character U+{ord(char):04X}"
        if char in _BIDI_CONTROLS:
            return f"it contains the bidirectional control U+{ord(char):04X}"
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid UTF-8"
    if len(encoded) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes in UTF-8"
    return None


def validate_title(title: str | None) -> str | None:
    """`title` unchanged; raises InvalidRequestError when it is too long or unstorable."""
    if title is not None and len(title) > MAX_TITLE_CHARS:
        raise InvalidRequestError(f"title is longer than {MAX_TITLE_CHARS} characters")
    problem = None if title is None else text_problem(title)
    if problem is not None:
        raise InvalidRequestError(f"title {problem}")
    return title


ChatStatus = Literal["active", "archived"]
ChatOrder = Literal["created_at", "-updated_at"]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the sort key of its last item. `at` is the timestamp the listing
    is ordered by; `seq` numbers the item within its own workspace (chats) or chat (files),
    1 + the highest number there when it was stored, so that equal timestamps list in
    creation order. Neither says anything about other workspaces (decision record 022)."""

    at: datetime
    seq: int


@dataclass(frozen=True, slots=True)
class Chat:
    chat_id: UUID
    workspace_id: UUID
    title: str | None
    created_at: datetime
    updated_at: datetime
    status: ChatStatus = "active"

    def touched(self, now: datetime) -> Chat:
        """This chat after a write at `now`; updated_at never stands still or goes back."""
        return replace(self, updated_at=max(now, self.updated_at + _TICK))


@dataclass(frozen=True, slots=True)
class ChatFile:
    file_id: UUID
    chat_id: UUID
    name: ChatAttachmentName
    content_type: str | None
    size_bytes: int
    sha256: str
    created_at: datetime
    # The stat-derived version of the bytes that sha256 describes; a rescan rehashes
    # only files whose version moved. None: unknown, rehash.
    etag: str | None = None
