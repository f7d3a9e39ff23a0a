"""Pages of a chat's attachments: `GET …/files` and the answer of `POST …/rescan`
(contract 1.1, "Hostile trees and resource limits"; decision record 022)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chatkeep.domain.chat import ChatAttachmentName, ChatFile, Position
from chatkeep.domain.cursor import unknown_cursor
from chatkeep.domain.errors import InvalidAttachmentNameError, InvalidRequestError
from chatkeep.domain.file_cursor import FileCursor
from chatkeep.usecase.ports import Ports

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class FilePage:
    files: list[ChatFile]
    # Where the next page starts, as the client passes it back; None on the last page.
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What page a client asks for, checked before any work is done for it."""

    limit: int
    cursor: FileCursor | None
    name: str | None

    @classmethod
    def of(
        cls, limit: int = DEFAULT_LIMIT, cursor: str | None = None, name: str | None = None
    ) -> PageRequest:
        """Raises InvalidRequestError (400) for a limit outside 1 to MAX_LIMIT, a cursor
        no attachment listing issued, or a cursor beside `name`: a listing filtered by
        name is one page and issues no cursor."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequestError(f"limit must be between 1 and {MAX_LIMIT}")
        if cursor is not None and name is not None:
            raise unknown_cursor()
        return cls(limit, None if cursor is None else FileCursor.decode(cursor), name)

    def after_in(self, chat_id: UUID) -> Position | None:
        """Where the page starts in `chat_id`'s listing. Raises InvalidRequestError (400)
        for a cursor of another chat's listing."""
        return None if self.cursor is None else self.cursor.position_in(chat_id)


async def page_of_files(ports: Ports, chat_id: UUID, request: PageRequest) -> FilePage:
    """The page `request` asks for of the chat's attachments, oldest first; the chat is
    the caller's (checked by the caller). Raises InvalidRequestError (400) for a cursor
    of another chat's listing. Costs one indexed lookup plus the page."""
    if request.name is not None:
        return FilePage(await _named(ports, chat_id, request.name), None)
    after = request.after_in(chat_id)
    files, last = await ports.files.list_page(chat_id, after=after, limit=request.limit)
    return FilePage(files, None if last is None else FileCursor.after(chat_id, last).encode())


async def _named(ports: Ports, chat_id: UUID, name: str) -> list[ChatFile]:
    try:
        found = await ports.files.get_by_chat_id_and_name(chat_id, ChatAttachmentName(name))
    except InvalidAttachmentNameError:
        return []  # no attachment can have a name the API refuses
    return [] if found is None else [found]
