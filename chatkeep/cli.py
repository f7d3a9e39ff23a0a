"""`chatkeep serve`: configuration errors are one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import gc
import logging
import resource
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn
from pydantic import ValidationError

from chatkeep.app import create_app
from chatkeep.config import Settings
from chatkeep.http.protocol import ConnectionLimits, GuardedHttpToolsProtocol
from chatkeep.metadata import MetadataError, database_directory
from chatkeep.storage.filesystem import written_directories

logger = logging.getLogger("chatkeep")


class ConfigurationError(Exception):
    pass


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chatkeep", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="address to bind (CHATKEEP_HOST, default 127.0.0.1)")
    serve.add_argument("--port", help="port to bind, 0 for any (CHATKEEP_PORT, default 8080)")
    serve.add_argument(
        "--data-dir", help="where the bytes live (CHATKEEP_DATA_DIR, default ./data)"
    )
    serve.add_argument(
        "--quota-bytes", help="quota of a new workspace (CHATKEEP_QUOTA_BYTES, default 1 GiB)"
    )
    serve.add_argument(
        "--quota-inodes",
        help="inode quota of a new workspace: files and directories its chats may hold "
        "(CHATKEEP_QUOTA_INODES, default 100000)",
    )
    serve.add_argument("--api-token", help="bearer token required on /v1 (CHATKEEP_API_TOKEN)")
    serve.add_argument(
        "--metadata",
        help="where metadata lives: memory, sqlite (a file in the data directory) or a "
        "database URL (CHATKEEP_METADATA, default sqlite)",
    )
    serve.add_argument(
        "--chat-ttl",
        dest="chat_ttl_seconds",
        help="delete chats idle for longer than this many seconds, except those with an "
        "active sandbox (CHATKEEP_CHAT_TTL_SECONDS, default: never)",
    )
    return parser.parse_args(argv)


def load_settings(args: argparse.Namespace) -> Settings:
    flags = {
        name: value
        for name in (
            "host",
            "port",
            "data_dir",
            "quota_bytes",
            "quota_inodes",
            "api_token",
            "metadata",
            "chat_ttl_seconds",
        )
        if (value := getattr(args, name)) is not None
    }
    try:
        settings = Settings(**flags)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"invalid {where}: {first['msg']}") from None
    for directory in written_directories(settings.data_dir):
        _require_writable(directory, "data dir")
    database = database_directory(settings.metadata, settings.data_dir)
    if database is not None:
        _require_writable(database, "metadata dir")
    return settings


def _require_writable(directory: Path, what: str) -> None:
    """Creates `directory` if need be and a file in it, which it removes: permission bits
    do not stop root, and a directory read-only to the server's user would otherwise show
    only as a 500 on every write. Raises ConfigurationError, in one line, when it cannot."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        in_the_way = directory.exists() and not directory.is_dir()
        reason = "it is not a directory" if in_the_way else error.strerror or str(error)
        raise ConfigurationError(f"{what} {directory} is not writable: {reason}") from None


class Server(uvicorn.Server):
    """uvicorn's server, logging one line with the bound address once it accepts requests."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
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
        http=GuardedHttpToolsProtocol.with_limits(limits),
        timeout_keep_alive=settings.keep_alive_timeout,
        lifespan="on",
        ws="none",  # no WebSocket routes: their libraries need not be loaded
        log_level="info",
        access_log=False,
    )
    Server(config).run()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    try:
        settings = load_settings(args)
        serve(settings)
    except ConfigurationError as error:
        print(f"chatkeep: {error}", file=sys.stderr)
        return 2
    return 0
