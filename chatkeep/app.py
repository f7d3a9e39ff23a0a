"""The composition root: production adapters wired into the use cases and the HTTP app."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

from chatkeep.config import Settings
from chatkeep.domain.workspace import DEFAULT_QUOTA_INODES
from chatkeep.http.app import build_app
from chatkeep.http.dispatch import ApiDispatch
from chatkeep.locks import LocalKeyedLocks
from chatkeep.metadata import Repositories, coordination, in_memory, open_metadata
from chatkeep.pruning import prune_forever
from chatkeep.repository.message_seq import InMemoryMessageSeqs
from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.system import SystemClock, Uuid4Generator
from chatkeep.usecase.interface import Clock, IdGenerator, KeyedLocks, Ports
from chatkeep.usecase.reconcile_store import reconcile_store

ORPHAN_GRACE = timedelta(hours=1)
log = logging.getLogger("chatkeep")


def build_ports(
    data_dir: Path,
    *,
    default_quota_bytes: int,
    default_quota_inodes: int = DEFAULT_QUOTA_INODES,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    repositories: Repositories | None = None,
) -> Ports:
    repositories = repositories or in_memory()
    if repositories.shared and repositories.engine is not None:
        shared = coordination(repositories.engine)
        locks: KeyedLocks = shared.locks
        storage = FileSystemChatStorage(data_dir, shared.ledger, shared_locks=shared.locks)
    else:
        locks, storage = LocalKeyedLocks(), FileSystemChatStorage(data_dir)
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


def create_app(settings: Settings | None = None, *, ports: Ports | None = None) -> ApiDispatch:
    settings = settings or Settings()
    startup = []
    if ports is None:
        repositories = open_metadata(settings.metadata, settings.data_dir)
        ports = build_ports(
            settings.data_dir,
            default_quota_bytes=settings.quota_bytes,
            default_quota_inodes=settings.quota_inodes,
            repositories=repositories,
        )
        if settings.metadata != "memory":  # metadata in memory starts empty: nothing to match
            # Another process may be creating a chat right now: its directory is young.
            grace = ORPHAN_GRACE if repositories.shared else timedelta(0)
            startup.append(partial(reconcile_at_startup, ports, grace))
    background = []
    if settings.chat_ttl_seconds is not None:
        background.append(
            partial(prune_forever, ports, timedelta(seconds=settings.chat_ttl_seconds))
        )
    return build_app(ports, api_token=settings.api_token, startup=startup, background=background)


async def reconcile_at_startup(ports: Ports, grace: timedelta) -> None:
    started = time.monotonic()
    repairs = await reconcile_store(ports, ports.clock.now() - grace)
    elapsed = time.monotonic() - started
    if repairs:
        log.warning("start-up reconciliation (%.1f s): %s", elapsed, repairs)
    for failure in repairs.failures:
        log.warning("start-up reconciliation left as it is: %s", failure)
