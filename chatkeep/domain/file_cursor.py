"""The opaque cursor of a chat's attachment listing (`GET …/files`, `POST …/rescan`): where
the last page ended, bound to the chat listed."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.chat import Position
from chatkeep.domain.cursor import (
    decode_fields,
    decode_position,
    encode_fields,
    position_fields,
    scope_tag,
    unknown_cursor,
)

_KIND = "files"


@dataclass(frozen=True, slots=True)
class FileCursor:
    position: Position
    # scope_tag() of the chat listed.
    scope: str

    @classmethod
    def after(cls, chat_id: UUID, last: Position) -> FileCursor:
        """The cursor of the page after `last` in `chat_id`'s listing."""
        return cls(last, scope_tag(chat_id))

    def encode(self) -> str:
        """The cursor's text: URL-safe base64 of a JSON list, at most 100 characters."""
        return encode_fields([_KIND, self.scope, *position_fields(self.position)])

    @classmethod
    def decode(cls, text: str) -> FileCursor:
        """The cursor `text` names. Raises InvalidRequestError (400, unknown cursor) for
        any text an attachment listing did not issue (too long, forged, another kind)."""
        scope, at, seq = decode_fields(text, _KIND, 3)
        if not isinstance(scope, str):
            raise unknown_cursor()
        return cls(decode_position(at, seq), scope)

    def position_in(self, chat_id: UUID) -> Position:
        """Where the next page starts in `chat_id`'s listing; a cursor of another chat's
        listing is unknown there (InvalidRequestError, 400)."""
        if self.scope != scope_tag(chat_id):
            raise unknown_cursor()
        return self.position
