"""Serving: the directories the server writes checked first (one line and exit status 2
when one is not writable, never "ready" followed by 500s: contract 1.1, "Operations"),
then logging set up, the app built and served by uvicorn with chatkeep's guarded protocol."""

from __future__ import annotations

import gc
import logging
import resource
import signal
import socket
from pathlib import Path
from types import FrameType

import uvicorn

from chatkeep.bootstrap.app import create_app
from chatkeep.bootstrap.logs import configure_logging
from chatkeep.bootstrap.metadata import MetadataError, database_directory
from chatkeep.bootstrap.settings import Settings
from chatkeep.http.server.connection_limits import ConnectionLimits
from chatkeep.http.server.protocol import GuardedHttpToolsProtocol
from chatkeep.storage.disk import unwritable
from chatkeep.storage.layout import written_directories

logger = logging.getLogger("chatkeep")


class ConfigurationError(Exception):
    """The configuration cannot be served; the message says why, in one line."""


def run(settings: Settings) -> None:
    """Serves `settings` until SIGINT or SIGTERM. Raises ConfigurationError before serving
    when a directory the server writes is not writable or the metadata store cannot be
    opened."""
    require_writable_directories(settings)
    configure_logging(settings.log_format, settings.log_level)
    serve(settings)


def require_writable_directories(settings: Settings) -> None:
    """Creates, if need be, every directory the server will write (the data directory's,
    and the SQLite file's) and a file in each. Raises ConfigurationError when one fails."""
    for directory in written_directories(settings.data_dir):
        _require_writable(directory, "data dir")
    database = database_directory(settings.metadata, settings.data_dir)
    if database is not None:
        _require_writable(database, "metadata dir")


def _require_writable(directory: Path, what: str) -> None:
    """Creates `directory` if need be and a file in it: a directory read-only to the
    server's user would otherwise show only as a 500 on every write. Raises
    ConfigurationError, in one line, when it cannot."""
    reason = unwritable(directory, create=True)
    if reason is not None:
        raise ConfigurationError(f"{what} {directory} is not writable: {reason}")


class Server(uvicorn.Server):
    """uvicorn's server, logging one line with the bound address once it accepts requests."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up, then one log line per bound address saying the server is ready."""
        await super().startup(sockets)
        for server in self.servers:
            for bound in server.sockets:
                host, port = bound.getsockname()[:2]
                logger.info("chatkeep ready on http://%s:%d", host, port)


def _raise_descriptor_limit() -> None:
    """Tree walks hold a few descriptors per directory level: allow as many as we may."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _exit_quietly(signal_number: int, frame: FrameType | None) -> None:
    """After its graceful shutdown uvicorn raises the signal again, for the previous
    handler; this handler makes that a normal exit instead of a KeyboardInterrupt."""


def serve(settings: Settings) -> None:
    """Serve `settings` until SIGINT or SIGTERM. Raises ConfigurationError when the metadata store
    cannot be opened (MetadataError)."""
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, _exit_quietly)
    _raise_descriptor_limit()
    try:
        app = create_app(settings)
    except MetadataError as error:
        raise ConfigurationError(str(error)) from None
    # Modules and the app live as long as the process: keep the collector off them, and
    # collect the young generation less often (requests make little cyclic garbage).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    limits = ConnectionLimits(
        head_timeout=settings.head_timeout,
        body_timeout=settings.body_timeout,
        send_timeout=settings.send_timeout,
        max_head_bytes=settings.max_head_bytes,
        max_headers=settings.max_headers,
        max_connections=settings.max_connections,
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # Answers the protocol gives itself (a malformed head) are logged and counted too.
        http=GuardedHttpToolsProtocol.with_limits(limits, record=app.record),
        timeout_keep_alive=settings.keep_alive_timeout,
        lifespan="on",
        ws="none",  # no WebSocket routes: their libraries need not be loaded
        log_config=None,  # uvicorn's loggers go to the root logger, in logs.py's format
        log_level=settings.log_level,
        access_log=False,  # chatkeep's own access log (http/access_log.py) replaces it
    )
    Server(config).run()
