"""Messages as blocks of history.md: markdown a person can read, bytes a parser can find
from the end of the file without reading what it does not return.

A block, for message 12 with content C (UTF-8, N bytes):

    <!-- chatkeep:message seq=12 role=assistant bytes=N created_at=2026-11-27T14:00:00+00:00 -->
    ### assistant

    C
    <!-- chatkeep:end seq=12 offset=M -->

M is the number of bytes from the block's first byte to the end marker's first byte, so a
reader that finds an end marker jumps straight to the block's start and checks it, without
looking inside C: C may hold anything, the markers themselves included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from chatkeep.domain.errors import InvalidHistoryError

Role = Literal["user", "assistant", "system", "tool"]
ROLES: frozenset[str] = frozenset(get_args(Role))

END_PREFIX = b"<!-- chatkeep:end "
# The longest end marker: both numbers at their widest.
END_MAX_BYTES = len(END_PREFIX) + len(b"seq= offset= -->\n") + 2 * 19
_END = re.compile(rb"<!-- chatkeep:end seq=(\d{1,19}) offset=(\d{1,19}) -->\n")
_START = re.compile(
    rb"<!-- chatkeep:message seq=(\d{1,19}) role=(user|assistant|system|tool) "
    rb"bytes=(\d{1,19}) created_at=([0-9T:.+\-]{19,40}) -->\n### (\w+)\n\n"
)
# The longest start marker and heading: a reader fetches this much at a block's start.
START_MAX_BYTES = 200


@dataclass(frozen=True, slots=True)
class Message:
    seq: int
    role: Role
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A message block found in the history: its header, and where its content lies."""

    seq: int
    role: Role
    created_at: datetime
    start: int
    content_start: int
    content_bytes: int

    def message(self, content: bytes) -> Message:
        """The block's message, given its content's bytes; bytes that are not UTF-8 (a sandbox's)
        read as U+FFFD."""
        # Only a sandbox can put bytes that are not UTF-8 inside a consistent block.
        text = content.decode("utf-8", errors="replace")
        return Message(self.seq, self.role, text, self.created_at)


def render_block(message: Message) -> bytes:
    """The message as a block of history.md, UTF-8 bytes with its start and end markers. Raises
    InvalidHistoryError for content UTF-8 cannot hold (a lone surrogate)."""
    try:
        content = message.content.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidHistoryError("message content is not valid UTF-8") from None
    head = (
        f"<!-- chatkeep:message seq={message.seq} role={message.role} bytes={len(content)} "
        f"created_at={message.created_at.isoformat()} -->\n### {message.role}\n\n"
    ).encode()
    offset = len(head) + len(content) + 1
    end = f"<!-- chatkeep:end seq={message.seq} offset={offset} -->\n".encode()
    return head + content + b"\n" + end


def end_marker_at(data: bytes, position: int) -> tuple[int, int] | None:
    """(seq, offset) of the end marker starting at `position` in `data`, if one does."""
    match = _END.match(data, position)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def block_at(head: bytes, start: int, seq: int, offset: int) -> BlockRef | None:
    """The block starting at `start` (whose first bytes are `head`) that the end marker
    (seq, offset) closes, if the start marker agrees with it in every detail."""
    match = _START.match(head)
    if match is None or int(match.group(1)) != seq or match.group(5) != match.group(2):
        return None
    content_bytes = int(match.group(3))
    if match.end() + content_bytes + 1 != offset:
        return None
    try:
        created_at = datetime.fromisoformat(match.group(4).decode("ascii"))
    except ValueError:
        return None
    if created_at.tzinfo is None:
        return None
    role = match.group(2).decode("ascii")
    assert role in ROLES
    return BlockRef(seq, role, created_at, start, start + match.end(), content_bytes)  # type: ignore[arg-type]
