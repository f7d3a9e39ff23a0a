"""The command line: `chatkeep --version`, `chatkeep serve [flags]`. Every flag of `serve`
has an environment variable, named in its help; the flag wins (config.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from chatkeep import __version__

DESCRIPTION = "chatkeep: workspace and chat storage for AI-sandbox orchestrators, over HTTP."
SERVE_DESCRIPTION = (
    "Serve the HTTP API (the contract's v1 and 1.1). Each flag has an environment "
    "variable, named in parentheses, which the flag overrides."
)
SERVE_EPILOG = (
    "Connection limits are set in the environment only: CHATKEEP_HEAD_TIMEOUT, "
    "CHATKEEP_BODY_TIMEOUT, CHATKEEP_SEND_TIMEOUT, CHATKEEP_KEEP_ALIVE_TIMEOUT, "
    "CHATKEEP_MAX_HEAD_BYTES, CHATKEEP_MAX_HEADERS, CHATKEEP_MAX_CONNECTIONS "
    "(README, docs/011-connection-limits.md)."
)
# Settings fields that `serve` flags may set; a flag left out is None and defers to the
# environment, then to the default.
SERVE_FIELDS = (
    "host",
    "port",
    "data_dir",
    "quota_bytes",
    "quota_inodes",
    "api_token",
    "metadata",
    "chat_ttl_seconds",
    "log_format",
    "log_level",
    "access_log",
    "metrics",
    "min_free_bytes",
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed command line. Exits 0 after printing help or `chatkeep <version>`, and 2
    with the usage of the command concerned (chatkeep's or serve's) on a bad argument."""
    parser = argparse.ArgumentParser(prog="chatkeep", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"chatkeep {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API",
        description=SERVE_DESCRIPTION,
        epilog=SERVE_EPILOG,
    )
    _serve_arguments(serve)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # argparse would answer with chatkeep's usage; the mistake is in serve's flags.
        serve.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _serve_arguments(serve: argparse.ArgumentParser) -> None:
    add = serve.add_argument
    add("--host", help="address to bind (CHATKEEP_HOST, default 127.0.0.1)")
    add("--port", help="port to bind, 0 for any (CHATKEEP_PORT, default 8080)")
    add("--data-dir", help="where the bytes live (CHATKEEP_DATA_DIR, default ./data)")
    add("--quota-bytes", help="quota of a new workspace (CHATKEEP_QUOTA_BYTES, default 1 GiB)")
    add(
        "--quota-inodes",
        help="inode quota of a new workspace: files and directories its chats may hold "
        "(CHATKEEP_QUOTA_INODES, default 100000)",
    )
    add("--api-token", help="bearer token required on /v1 and /metrics (CHATKEEP_API_TOKEN)")
    add(
        "--metadata",
        help="where metadata lives: memory, sqlite (a file in the data directory), or a "
        "database URL: sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST/DB "
        "(CHATKEEP_METADATA, default sqlite)",
    )
    add(
        "--chat-ttl",
        dest="chat_ttl_seconds",
        help="delete chats idle for longer than this many seconds, except those with an "
        "active sandbox (CHATKEEP_CHAT_TTL_SECONDS, default: never)",
    )
    add(
        "--log-format",
        metavar="{text,json}",
        help="text (key=value) or json, one object per line (CHATKEEP_LOG_FORMAT, default text)",
    )
    add(
        "--log-level",
        metavar="LEVEL",
        help="debug, info, warning, error or critical; access lines are info "
        "(CHATKEEP_LOG_LEVEL, default info)",
    )
    add(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        help="one log line per request (CHATKEEP_ACCESS_LOG, default on)",
    )
    add(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        help="count requests and serve GET /metrics (CHATKEEP_METRICS, default on)",
    )
    add(
        "--min-free-bytes",
        metavar="BYTES",
        help="GET /readyz answers 503 when the data directory's filesystem has less free "
        "space (CHATKEEP_MIN_FREE_BYTES, default 256 MiB)",
    )
