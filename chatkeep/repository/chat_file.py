from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from chatkeep.domain.chat import ChatAttachmentName, ChatFile


class InMemoryChatFileRepository:
    """Files by id, with at most one file per (chat, name): saving a name replaces it."""

    def __init__(self) -> None:
        self._by_id: dict[UUID, ChatFile] = {}
        self._id_by_name: dict[tuple[UUID, str], UUID] = {}
        # Each chat's file ids in upload order (a dict as an ordered set).
        self._ids_by_chat: dict[UUID, dict[UUID, None]] = {}

    async def get(self, file_id: UUID) -> ChatFile | None:
        return self._by_id.get(file_id)

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None:
        file_id = self._id_by_name.get((chat_id, name.value))
        return None if file_id is None else self._by_id.get(file_id)

    async def list_by_chat_id(self, chat_id: UUID) -> list[ChatFile]:
        # Insertion order is upload order, even for the files of one request.
        return [self._by_id[file_id] for file_id in self._ids_by_chat.get(chat_id, ())]

    async def save(self, chat_file: ChatFile) -> None:
        previous = self._by_id.get(chat_file.file_id)
        if previous is not None:
            self._id_by_name.pop((previous.chat_id, previous.name.value), None)
            if previous.chat_id != chat_file.chat_id:
                self._unlist(previous)
        key = (chat_file.chat_id, chat_file.name.value)
        replaced_id = self._id_by_name.get(key)
        if replaced_id is not None and replaced_id != chat_file.file_id:
            self._unlist(self._by_id.pop(replaced_id))
        self._by_id[chat_file.file_id] = chat_file
        self._id_by_name[key] = chat_file.file_id
        self._ids_by_chat.setdefault(chat_file.chat_id, {})[chat_file.file_id] = None

    async def save_all(self, files: Sequence[ChatFile]) -> None:
        for chat_file in files:
            await self.save(chat_file)

    async def delete(self, file_id: UUID) -> None:
        chat_file = self._by_id.pop(file_id, None)
        if chat_file is not None:
            del self._id_by_name[(chat_file.chat_id, chat_file.name.value)]
            self._unlist(chat_file)

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        for file_id in list(self._ids_by_chat.get(chat_id, ())):
            await self.delete(file_id)

    def _unlist(self, chat_file: ChatFile) -> None:
        listed = self._ids_by_chat.get(chat_file.chat_id)
        if listed is not None:
            listed.pop(chat_file.file_id, None)
            if not listed:
                del self._ids_by_chat[chat_file.chat_id]
