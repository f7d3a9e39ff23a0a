"""The ports: each adapter built once, on the data directory and the metadata store, and
bundled for the use cases."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from chatkeep.bootstrap.metadata import Repositories, in_memory
from chatkeep.domain.workspace import DEFAULT_QUOTA_INODES
from chatkeep.local.locks import LocalKeyedLocks
from chatkeep.local.system import SystemClock, Uuid4Generator
from chatkeep.repository.message_seq import InMemoryMessageSeqs
from chatkeep.storage.files import FsyncObserver
from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.usecase.ports import Clock, IdGenerator, KeyedLocks, Ports


def build_ports(
    data_dir: Path,
    *,
    default_quota_bytes: int,
    default_quota_inodes: int = DEFAULT_QUOTA_INODES,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    repositories: Repositories | None = None,
    fsync_observer: FsyncObserver | None = None,
) -> Ports:
    """The production adapters on `data_dir`, with `repositories` (in memory by default);
    `fsync_observer(seconds)` hears every fsync of the storage."""
    repositories = repositories or in_memory()
    locks: KeyedLocks = LocalKeyedLocks()
    ledger = None
    engine = repositories.engine
    if repositories.shared and engine is not None:
        # Other processes use the same database and data directory: locks and the quota
        # are agreed through the database.
        from chatkeep.repository.sql.locks import AdvisoryKeyedLocks
        from chatkeep.repository.sql.usage import SqlUsageLedger

        locks = AdvisoryKeyedLocks(engine, locks)
        ledger = partial(SqlUsageLedger, engine)
    storage = FileSystemChatStorage(
        data_dir,
        ledger,
        locks=locks,
        shared=repositories.shared,
        fsync_observer=fsync_observer,
    )
    return Ports(
        workspaces=repositories.workspaces,
        chats=repositories.chats,
        files=repositories.files,
        sandboxes=repositories.sandboxes,
        storage=storage,
        message_seqs=InMemoryMessageSeqs(),
        locks=locks,
        ids=ids or Uuid4Generator(),
        clock=clock or SystemClock(),
        default_quota_bytes=default_quota_bytes,
        default_quota_inodes=default_quota_inodes,
    )
