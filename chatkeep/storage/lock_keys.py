"""The keys of the storage's own locks, held through the same keyed locks as the use cases'
(whose keys are in usecase/access_keys.py, decision record 020). One place for them, so that
every holder of a key spells it alike."""

from __future__ import annotations

from uuid import UUID


def chat_bytes_lock(chat_id: UUID | str) -> str:
    """The key held alone by every write to a chat directory's bytes (history, attachments,
    deletion, the recovery of an append intent)."""
    return f"chat-bytes:{chat_id}"


def usage_lock(workspace_id: UUID) -> str:
    """The key of a workspace's usage: shared around a change of bytes on disk and its
    addition to the usage, alone around a count of the disk."""
    return f"usage:{workspace_id}"
