"""Every log line of the process in one format, text or JSON (contract 1.1, "Operations"):
uvicorn's, SQLAlchemy's and chatkeep's own go through the standard `logging`, into
structlog's ProcessorFormatter; access lines are made apart (access_log.py), the same way.
Both use the processors of log_format.py, so a line looks the same whichever wrote it:
`ts` (ISO 8601, UTC), `level`, `event` (the message), the request id of the request being
served when there is one, then the line's own keys."""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog

from chatkeep.log_format import TIMESTAMP, LogFormat, add_request_id, first_keys_first, renderer

__all__ = ["LogFormat", "LogLevel", "configure_logging", "logs_at"]

LogLevel = Literal["debug", "info", "warning", "error", "critical"]


def configure_logging(log_format: LogFormat, level: LogLevel, stream: TextIO | None = None) -> None:
    """Sends every `logging` record at `level` or above, whichever library logged it, to
    `stream` (stderr by default) in `log_format`, in place of any handler set before."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                TIMESTAMP,
                add_request_id,
                structlog.stdlib.add_logger_name,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                first_keys_first,
                renderer(log_format),
            ],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Python's warnings, too, are lines of the process: in the same format.
    logging.captureWarnings(True)


def logs_at(level: LogLevel, what: LogLevel) -> bool:
    """Whether lines of level `what` are written when the configured level is `level`."""
    levels = logging.getLevelNamesMapping()
    return levels[what.upper()] >= levels[level.upper()]
