"""Lock keys, shared by every use case that must not interleave with another."""

from __future__ import annotations

from uuid import UUID


def workspace_lock(user_id: UUID) -> str:
    """The key of the user's workspace: held alone while chats or sessions are made or deleted."""
    return f"workspace:{user_id}"


def chat_lock(chat_id: UUID) -> str:
    """The key of a chat: shared by its writes, held alone by its deletion, rescans and session
    changes (decision record 020)."""
    return f"chat:{chat_id}"


def messages_lock(chat_id: UUID) -> str:
    """The key of a chat's message appends: held alone from reading the highest seq to
    the append."""
    return f"messages:{chat_id}"
