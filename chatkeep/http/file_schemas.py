"""The bodies of attachment listings: a page of files and the query that asks for it
(contract 1.1, "Hostile trees and resource limits")."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from chatkeep.domain.cursor import MAX_CURSOR_CHARS
from chatkeep.http.schema_types import QueryModel
from chatkeep.http.schemas import ChatFileOut
from chatkeep.usecase.files import pages as file_pages
from chatkeep.usecase.files.pages import FilePage


class ChatFilePage(BaseModel):
    files: list[ChatFileOut]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next page; null on the last one."
    )

    @classmethod
    def of(cls, page: FilePage) -> ChatFilePage:
        """The JSON page of a FilePage: its files and next_cursor (None on the last page)."""
        files = [ChatFileOut.of(chat_file) for chat_file in page.files]
        return cls(files=files, next_cursor=page.next_cursor)


class FilesQuery(QueryModel):
    """A page of attachments; `name` is read from the raw query (strict UTF-8) and only
    documented here."""

    name: str | None = Field(default=None, description="Only the attachment of this name.")
    limit: Annotated[int, Field(ge=1, le=file_pages.MAX_LIMIT)] = file_pages.DEFAULT_LIMIT
    cursor: Annotated[str, Field(max_length=MAX_CURSOR_CHARS)] | None = None
