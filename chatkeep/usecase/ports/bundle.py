"""Everything a use case may depend on, in one value the composition root builds."""

from __future__ import annotations

from dataclasses import dataclass

from chatkeep.domain.workspace import DEFAULT_QUOTA_INODES
from chatkeep.usecase.ports.locks import KeyedLocks
from chatkeep.usecase.ports.repositories import (
    ChatFileRepository,
    ChatRepository,
    MessageSeqs,
    SandboxSessionRepository,
    WorkspaceRepository,
)
from chatkeep.usecase.ports.storage import ChatStorage
from chatkeep.usecase.ports.system import Clock, IdGenerator


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything a use case may depend on, wired by the composition root."""

    workspaces: WorkspaceRepository
    chats: ChatRepository
    files: ChatFileRepository
    sandboxes: SandboxSessionRepository
    storage: ChatStorage
    message_seqs: MessageSeqs
    locks: KeyedLocks
    ids: IdGenerator
    clock: Clock
    default_quota_bytes: int
    default_quota_inodes: int = DEFAULT_QUOTA_INODES
