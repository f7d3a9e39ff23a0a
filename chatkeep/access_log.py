"""The access log: one line per request, written when its answer has ended (contract 1.1,
"Operations"), with exactly the contract's keys (the token is never among them), in the
process's log format and stream.

It is the one log line on every request, so it is made straight from the exchange: the
same line structlog's renderers would make of it (KeyValueRenderer for text, JSONRenderer
with orjson for JSON), without a log record, a bound logger or a dict per line in between;
those took the access log from 5% to 15% of a small request's instructions
(docs/021-operations.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO, cast

from chatkeep.http.observe import Exchange
from chatkeep.log_format import TIMESTAMP, KeyValueTemplate, LogFormat, renderer
from chatkeep.log_stream import LoopBatchedStream

KEYS = (
    "ts",
    "level",
    "event",
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
    "bytes_in",
    "bytes_out",
    "request_id",
    "user_id",
)
CONSTANTS = {"level": "info", "event": "request"}
# Texts repr() would only put in quotes: the timestamp, and route templates (ours).
PLAIN = ("ts", "route")


def access_log(log_format: LogFormat, stream: TextIO | None = None) -> Callable[[Exchange], None]:
    """A recorder for ObservedApp that writes each exchange's line, at level info, to
    `stream`'s bytes (stderr's by default): `ts`, `level`, `event` "request", method, path
    (no query), route template, status, `duration_ms` (a number, to the microsecond),
    `bytes_in` and `bytes_out` (body bytes), request id and user id (None when the
    request carried no valid one). The lines of one event-loop iteration go out in one
    write (log_stream.py)."""
    out = LoopBatchedStream((stream or sys.stderr).buffer)
    now = TIMESTAMP.now
    if log_format == "json":
        render = renderer("json", as_bytes=True)

        def write_json(e: Exchange) -> None:
            line = {
                "ts": now(),
                "level": "info",
                "event": "request",
                "method": e.method,
                "path": e.path,
                "route": e.route,
                "status": e.status,
                "duration_ms": int(e.duration_s * 1_000_000) / 1000,
                "bytes_in": e.bytes_in,
                "bytes_out": e.bytes_out,
                "request_id": e.request_id,
                "user_id": e.user_id,
            }
            out.write(cast(bytes, render(None, "info", line)) + b"\n")
            out.flush()

        return write_json
    template = KeyValueTemplate(KEYS, CONSTANTS, PLAIN)

    def write_text(e: Exchange) -> None:
        # The values of KEYS less CONSTANTS, in order.
        line = template.render(
            (
                now(),
                e.method,
                e.path,
                e.route,
                e.status,
                # round(x, 3) is exact decimal rounding, and slow: this is the same number.
                int(e.duration_s * 1_000_000) / 1000,
                e.bytes_in,
                e.bytes_out,
                e.request_id,
                e.user_id,
            )
        )
        out.write(line.encode() + b"\n")
        out.flush()

    return write_text
