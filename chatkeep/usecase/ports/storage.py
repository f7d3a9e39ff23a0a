"""The storage as one adapter implements it: every storage port, started and closed with the
server."""

from __future__ import annotations

from typing import Protocol

from chatkeep.usecase.ports.attachments import AttachmentStore
from chatkeep.usecase.ports.chat_dirs import ChatDirectories
from chatkeep.usecase.ports.history import HistoryStore
from chatkeep.usecase.ports.quota import UsageCounts


class ChatStorage(HistoryStore, AttachmentStore, ChatDirectories, UsageCounts, Protocol):
    """The bytes of workspaces and chats, and the quotas that bound them."""

    async def start(self) -> None:
        """Prepare the storage and repair what a crash left behind."""
        ...

    async def close(self) -> None:
        """Release what start() acquired."""
        ...
