"""The composition root: production adapters wired into the use cases and the HTTP app."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

from chatkeep.config import Settings
from chatkeep.http.app import build_app
from chatkeep.http.dispatch import ApiDispatch
from chatkeep.locks import LocalKeyedLocks
from chatkeep.metadata import Repositories, coordination, in_memory, open_metadata
from chatkeep.pruning import prune_forever
from chatkeep.repository.message_seq import InMemoryMessageSeqs
from chatkeep.storage.filesystem import FileSystemChatStorage
from chatkeep.system import SystemClock, Uuid4Generator
from chatkeep.usecase.interface import Clock, IdGenerator, KeyedLocks, Ports


def build_ports(
    data_dir: Path,
    *,
    default_quota_bytes: int,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    repositories: Repositories | None = None,
) -> Ports:
    repositories = repositories or in_memory()
    locks: KeyedLocks = LocalKeyedLocks()
    storage = FileSystemChatStorage(data_dir)
    if repositories.shared and repositories.engine is not None:
        shared = coordination(repositories.engine)
        locks = shared.locks
        storage = FileSystemChatStorage(data_dir, shared.ledger, shared_locks=shared.locks)
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
    )


def create_app(settings: Settings | None = None, *, ports: Ports | None = None) -> ApiDispatch:
    settings = settings or Settings()
    if ports is None:
        ports = build_ports(
            settings.data_dir,
            default_quota_bytes=settings.quota_bytes,
            repositories=open_metadata(settings.metadata, settings.data_dir),
        )
    background = []
    if settings.chat_ttl_seconds is not None:
        background.append(
            partial(prune_forever, ports, timedelta(seconds=settings.chat_ttl_seconds))
        )
    return build_app(ports, api_token=settings.api_token, background=background)
