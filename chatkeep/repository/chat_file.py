from __future__ import annotations

from uuid import UUID

from chatkeep.domain.chat import ChatAttachmentName, ChatFile


class InMemoryChatFileRepository:
    """Files by id, with at most one file per (chat, name): saving a name replaces it."""

    def __init__(self) -> None:
        self._by_id: dict[UUID, ChatFile] = {}
        self._id_by_name: dict[tuple[UUID, str], UUID] = {}

    async def get(self, file_id: UUID) -> ChatFile | None:
        return self._by_id.get(file_id)

    async def get_by_chat_id_and_name(
        self, chat_id: UUID, name: ChatAttachmentName
    ) -> ChatFile | None:
        file_id = self._id_by_name.get((chat_id, name.value))
        return None if file_id is None else self._by_id.get(file_id)

    async def list_by_chat_id(self, chat_id: UUID) -> list[ChatFile]:
        # Insertion order is upload order, even for the files of one request.
        return [f for f in self._by_id.values() if f.chat_id == chat_id]

    async def save(self, chat_file: ChatFile) -> None:
        previous = self._by_id.get(chat_file.file_id)
        if previous is not None:
            self._id_by_name.pop((previous.chat_id, previous.name.value), None)
        key = (chat_file.chat_id, chat_file.name.value)
        replaced_id = self._id_by_name.get(key)
        if replaced_id is not None and replaced_id != chat_file.file_id:
            del self._by_id[replaced_id]
        self._by_id[chat_file.file_id] = chat_file
        self._id_by_name[key] = chat_file.file_id

    async def delete(self, file_id: UUID) -> None:
        chat_file = self._by_id.pop(file_id, None)
        if chat_file is not None:
            del self._id_by_name[(chat_file.chat_id, chat_file.name.value)]

    async def delete_by_chat_id(self, chat_id: UUID) -> None:
        for file_id in [f.file_id for f in self._by_id.values() if f.chat_id == chat_id]:
            await self.delete(file_id)
