from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from chatkeep.domain.chat import ChatAttachmentName, ChatFile, Position

# (created_at, seq): a file's place in its chat's listing.
_Key = tuple[datetime, int]


class _ChatListing:
    """One chat's files in listing order (created_at, then seq), kept sorted, so that a
    page costs a binary search plus the page, whatever the chat's size."""

    def __init__(self) -> None:
        self.keys: list[_Key] = []
        self.file_at: dict[_Key, UUID] = {}
        self.high_seq = 0

    def add(self, key: _Key, file_id: UUID) -> None:
        bisect.insort(self.keys, key)
        self.file_at[key] = file_id
        self.high_seq = max(self.high_seq, key[1])

    def remove(self, key: _Key) -> None:
        del self.keys[bisect.bisect_left(self.keys, key)]
        del self.file_at[key]
        if key[1] == self.high_seq:  # rare: the newest went; find the highest again
            self.high_seq = max((seq for _, seq in self.keys), default=0)

    def after(self, position: Position | None, count: int) -> list[_Key]:
        if position is None:
            return self.keys[:count]
        start = bisect.bisect_right(self.keys, (position.at, position.seq))
        return self.keys[start : start + count]


class InMemoryChatFileRepository:
    """Files by id, with at most one file per (chat, name): saving a name replaces it.

    A new file is numbered 1 + the highest seq among its chat's files, as the SQL
    repository numbers it, so that a mirror of the database numbers alike."""

    def __init__(self) -> None:
        self._by_id: dict[UUID, ChatFile] = {}
        self._id_by_name: dict[tuple[UUID, str], UUID] = {}
        # Where each file is listed: its chat and its key there.
        self._place: dict[UUID, tuple[UUID, _Key]] = {}
        self._listings: dict[UUID, _ChatListing] = {}

    async def get(self, file_id: UUID) -> ChatFile | None:
        """In memory. See ChatFileRepository.get."""
        return self._by_id.get(file_id)

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None:
        """In memory. See ChatFileRepository.get_by_chat_id_and_name."""
        file_id = self._id_by_name.get((chat_id, name.value))
        return None if file_id is None else self._by_id.get(file_id)

    async def list_by_chat_id(self, chat_id: UUID) -> list[ChatFile]:
        """In memory. See ChatFileRepository.list_by_chat_id."""
        listing = self._listings.get(chat_id)
        if listing is None:
            return []
        return [self._by_id[listing.file_at[key]] for key in listing.keys]

    async def list_page(
        self, chat_id: UUID, *, after: Position | None, limit: int
    ) -> tuple[list[ChatFile], Position | None]:
        """In memory. See ChatFileRepository.list_page."""
        listing = self._listings.get(chat_id)
        if listing is None:
            return [], None
        keys = listing.after(after, limit + 1)
        files = [self._by_id[listing.file_at[key]] for key in keys[:limit]]
        return files, Position(*keys[limit - 1]) if len(keys) > limit else None

    async def save(self, chat_file: ChatFile) -> None:
        """In memory. See ChatFileRepository.save."""
        self.restore(chat_file)

    def restore(self, chat_file: ChatFile, seq: int | None = None) -> None:
        """Save `chat_file`, numbered `seq` as the database holds it; None numbers a new
        file 1 + the highest seq of its chat before this save, and keeps an existing
        file's number."""
        file_id = chat_file.file_id
        place = self._place.get(file_id)
        if seq is None and place is not None:
            seq = place[1][1]
        if seq is None:
            listing = self._listings.get(chat_file.chat_id)
            seq = 1 + (0 if listing is None else listing.high_seq)
        previous = self._by_id.get(file_id)
        if previous is not None:
            self._id_by_name.pop((previous.chat_id, previous.name.value), None)
        name_key = (chat_file.chat_id, chat_file.name.value)
        replaced_id = self._id_by_name.get(name_key)
        if replaced_id is not None and replaced_id != file_id:
            del self._by_id[replaced_id]
            self._unlist(replaced_id)
        self._by_id[file_id] = chat_file
        self._id_by_name[name_key] = file_id
        key = (chat_file.created_at, seq)
        if place == (chat_file.chat_id, key):
            return  # an update in place: the file keeps its place in the listing
        self._unlist(file_id)
        self._listings.setdefault(chat_file.chat_id, _ChatListing()).add(key, file_id)
        self._place[file_id] = (chat_file.chat_id, key)

    async def save_all(self, files: Sequence[ChatFile]) -> None:
        """In memory. See ChatFileRepository.save_all."""
        for chat_file in files:
            self.restore(chat_file)

    async def delete(self, file_id: UUID) -> None:
        """In memory. See ChatFileRepository.delete."""
        chat_file = self._by_id.pop(file_id, None)
        if chat_file is not None:
            del self._id_by_name[(chat_file.chat_id, chat_file.name.value)]
            self._unlist(file_id)

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        """In memory. See ChatFileRepository.delete_by_chat_id."""
        # The listing goes whole: removing its keys one by one would move the rest each time.
        listing = self._listings.pop(chat_id, None)
        for file_id in [] if listing is None else listing.file_at.values():
            chat_file = self._by_id.pop(file_id)
            del self._id_by_name[(chat_id, chat_file.name.value)]
            del self._place[file_id]

    def _unlist(self, file_id: UUID) -> None:
        place = self._place.pop(file_id, None)
        if place is None:
            return
        chat_id, key = place
        listing = self._listings[chat_id]
        listing.remove(key)
        if not listing.keys:
            del self._listings[chat_id]
