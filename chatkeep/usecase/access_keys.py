"""Lock keys, shared by every use case that must not interleave with another."""

from __future__ import annotations

from uuid import UUID


def workspace_lock(user_id: UUID) -> str:
    return f"workspace:{user_id}"


def chat_lock(chat_id: UUID) -> str:
    return f"chat:{chat_id}"


def messages_lock(chat_id: UUID) -> str:
    return f"messages:{chat_id}"
