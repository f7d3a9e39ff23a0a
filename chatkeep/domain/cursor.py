"""The text of a listing cursor: a few JSON fields in URL-safe base64, bound to the workspace
or chat whose listing issued it (decision record 022). Clients pass it back as they got it;
it holds nothing but the caller's own values."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from chatkeep.domain.chat import Position
from chatkeep.domain.errors import InvalidRequestError
from chatkeep.domain.limits import MAX_STORED_INTEGER

# The longest cursor issued is 134 characters (a chat's); a longer text is no cursor.
MAX_CURSOR_CHARS = 256


def unknown_cursor() -> InvalidRequestError:
    """The error (400 invalid_request) for a cursor that this listing did not issue."""
    return InvalidRequestError("unknown cursor: pass next_cursor as the same listing gave it")


def scope_tag(scope_id: UUID) -> str:
    """A short digest of the workspace or chat a cursor belongs to: it binds the cursor to
    its listing without spelling out the id (cursors end up in URLs and access logs)."""
    digest = hashlib.blake2b(scope_id.bytes, digest_size=6, person=b"chatkeep-cursor").digest()
    return base64.urlsafe_b64encode(digest).decode()


def encode_fields(fields: list[object]) -> str:
    """`fields` (JSON values) as cursor text."""
    text = json.dumps(fields, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_fields(text: str, kind: str, count: int) -> list[Any]:
    """The `count` fields after `kind` that `encode_fields([kind, ...])` wrote.

    Raises InvalidRequestError (unknown cursor) for anything else: a text longer than
    MAX_CURSOR_CHARS (checked before decoding), not base64, not a JSON list of that shape.
    """
    if len(text) > MAX_CURSOR_CHARS:
        raise unknown_cursor()
    try:
        fields = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    # RecursionError: deeply nested JSON, should a longer text ever be let through.
    except (binascii.Error, ValueError, TypeError, RecursionError):
        raise unknown_cursor() from None
    if not isinstance(fields, list) or len(fields) != count + 1 or fields[0] != kind:
        raise unknown_cursor()
    return fields[1:]


def decode_position(at: object, seq: object) -> Position:
    """A position from its two cursor fields: an ISO 8601 time with an offset and an
    integer the stores hold (it goes to the database as is). Raises InvalidRequestError."""
    if not isinstance(at, str) or type(seq) is not int or not 0 <= seq <= MAX_STORED_INTEGER:
        raise unknown_cursor()
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise unknown_cursor() from None
    if moment.tzinfo is None:
        raise unknown_cursor()
    return Position(moment, seq)


def position_fields(position: Position) -> list[object]:
    """A position as the two cursor fields `decode_position` reads back."""
    return [position.at.isoformat(), position.seq]
