"""The ports the use cases depend on, one module per need: metadata (`repositories`),
history, attachments, chat directories, quotas, locks, the clock and ids; `storage` is the
storage adapter's whole surface and `bundle` the value the composition root wires them
into. Adapters in repository/, storage/ and local/ implement them; this package imports no
adapter."""

from chatkeep.usecase.ports.attachments import (
    AttachmentStore,
    HashedFile,
    StagedAttachment,
    UploadCheck,
)
from chatkeep.usecase.ports.bundle import Ports
from chatkeep.usecase.ports.chat_dirs import ChatDirectories, ScannedFile, StoredDir
from chatkeep.usecase.ports.history import HistoryStore, StagedBody
from chatkeep.usecase.ports.locks import KeyedLocks
from chatkeep.usecase.ports.quota import Claim, Counter, Ledger, Reservation, UsageCounts
from chatkeep.usecase.ports.reading import FileReader
from chatkeep.usecase.ports.repositories import (
    ChatFileRepository,
    ChatRepository,
    MessageSeqs,
    SandboxSessionRepository,
    WorkspaceRepository,
)
from chatkeep.usecase.ports.storage import ChatStorage
from chatkeep.usecase.ports.system import Clock, IdGenerator

__all__ = [
    "AttachmentStore",
    "ChatDirectories",
    "ChatFileRepository",
    "ChatRepository",
    "ChatStorage",
    "Claim",
    "Clock",
    "Counter",
    "FileReader",
    "HashedFile",
    "HistoryStore",
    "IdGenerator",
    "KeyedLocks",
    "Ledger",
    "MessageSeqs",
    "Ports",
    "Reservation",
    "SandboxSessionRepository",
    "ScannedFile",
    "StagedAttachment",
    "StagedBody",
    "StoredDir",
    "UploadCheck",
    "UsageCounts",
    "WorkspaceRepository",
]
