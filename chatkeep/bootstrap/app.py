"""The composition root: production adapters wired into the use cases and the HTTP app."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from functools import partial

from chatkeep.bootstrap.background import prune_forever
from chatkeep.bootstrap.logs import logs_at
from chatkeep.bootstrap.metadata import open_metadata
from chatkeep.bootstrap.ports import build_ports
from chatkeep.bootstrap.readiness import readiness_checks
from chatkeep.bootstrap.settings import Settings
from chatkeep.http.access_log import access_log
from chatkeep.http.app import build_app
from chatkeep.http.metrics import Metrics
from chatkeep.http.observe import ObservedApp, Recorder
from chatkeep.storage.disk import free_bytes
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.sandbox.count import count_active_sandbox_sessions
from chatkeep.usecase.store.startup import reconcile_store

ORPHAN_GRACE = timedelta(hours=1)
log = logging.getLogger("chatkeep")


def create_app(settings: Settings | None = None, *, ports: Ports | None = None) -> ObservedApp:
    """The app `settings` describe, on `ports` when given (else the production adapters,
    metadata opened and migrated here: raises MetadataError when it cannot be)."""
    settings = settings or Settings()
    startup = []
    engine = None
    metrics = Metrics() if settings.metrics else None
    if ports is None:
        repositories = open_metadata(settings.metadata, settings.data_dir)
        engine = repositories.engine
        ports = build_ports(
            settings.data_dir,
            default_quota_bytes=settings.quota_bytes,
            default_quota_inodes=settings.quota_inodes,
            repositories=repositories,
            fsync_observer=None if metrics is None else metrics.observe_fsync,
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
    if metrics is not None:
        metrics.watch_state(
            free_bytes=partial(free_bytes, settings.data_dir),
            active_sessions=partial(count_active_sandbox_sessions, ports),
        )
    return build_app(
        ports,
        api_token=settings.api_token,
        startup=startup,
        background=background,
        access_log=_access_log(settings),
        metrics=metrics,
        readiness=readiness_checks(settings.data_dir, settings.min_free_bytes, engine),
    )


def _access_log(settings: Settings) -> Recorder | None:
    """The access log, when access lines are on and info lines are logged."""
    if settings.access_log and logs_at(settings.log_level, "info"):
        return access_log(settings.log_format)
    return None


async def reconcile_at_startup(ports: Ports, grace: timedelta) -> None:
    """Start-up reconciliation (decision record 018) with orphans older than `grace`; logs what
    it repaired and what it left. Raises what the metadata store raises; never a disk's error."""
    started = time.monotonic()
    repairs = await reconcile_store(ports, ports.clock.now() - grace)
    elapsed = time.monotonic() - started
    if repairs:
        log.warning("start-up reconciliation (%.1f s): %s", elapsed, repairs)
    for failure in repairs.failures:
        log.warning("start-up reconciliation left as it is: %s", failure)
