"""The access log: one line per request, written when its answer has ended (contract 1.1,
"Operations"), with exactly the contract's keys (the token is never among them), in the
process's log format and stream.

It is the one log line on every request, so it is made straight from the exchanges: the
same line structlog's renderers would make of it (KeyValueRenderer for text, JSONRenderer
with orjson for JSON), without a log record, a bound logger or a dict per line in between;
those took the access log from 5% to 15% of a small request's instructions. The lines of
the exchanges that ended in one turn of the event loop are made in one loop and written in
one write(2) (docs/021-operations.md)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from orjson import OPT_APPEND_NEWLINE as APPEND_NEWLINE
from orjson import dumps

from chatkeep.http.log_format import TIMESTAMP, LogFormat
from chatkeep.http.observe import ExchangeFields, Recorder

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
# Texts repr() would only put in quotes, written without it: the timestamp, route templates.
PLAIN = ("ts", "route")


def access_log(log_format: LogFormat, stream: TextIO | None = None) -> Recorder:
    """A recorder for ObservedApp that writes a line per exchange, at level info, to
    `stream`'s bytes (stderr's by default): `ts`, `level`, `event` "request", method, path
    (no query), route template, status, `duration_ms` (a number, to the microsecond),
    `bytes_in` and `bytes_out` (body bytes), request id and user id (None when the
    request carried no valid one). The lines of one call, the exchanges that ended in one
    turn of the event loop, go out in one write and share its `ts` (to the millisecond)."""
    out = (stream or sys.stderr).buffer
    now = TIMESTAMP.now
    if log_format == "json":

        def write_json(exchanges: Sequence[ExchangeFields]) -> None:
            ts = now()
            # What structlog's JSONRenderer with orjson (log_format.renderer) makes of
            # the line's dict, without the renderer's call around orjson.
            lines = [
                dumps(
                    {
                        "ts": ts,
                        "level": "info",
                        "event": "request",
                        "method": method,
                        "path": path,
                        "route": route,
                        "status": status,
                        "duration_ms": int(seconds * 1_000_000) / 1000,
                        "bytes_in": bytes_in,
                        "bytes_out": bytes_out,
                        "request_id": request_id,
                        "user_id": user_id,
                    },
                    option=APPEND_NEWLINE,
                )
                for (method, path, route, status, seconds, bytes_in, bytes_out, request_id,
                     user_id, _) in exchanges
            ]  # fmt: skip
            out.write(b"".join(lines))
            out.flush()

        return write_json

    def write_text(exchanges: Sequence[ExchangeFields]) -> None:
        ts = now()
        # structlog's KeyValueRenderer line of KEYS (key=repr(value)), written out: an
        # f-string is the cheapest way Python has to make it (a %-format took a quarter
        # more). `ts` and route templates need no repr: they have nothing to escape. The
        # duration is cut to the microsecond: round(x, 3) took three times as long.
        lines = [
            f"ts='{ts}' level='info' event='request' method={method!r} path={path!r} "
            f"route='{route}' status={status!r} "
            f"duration_ms={int(seconds * 1_000_000) / 1000!r} bytes_in={bytes_in!r} "
            f"bytes_out={bytes_out!r} request_id={request_id!r} user_id={user_id!r}"
            for (method, path, route, status, seconds, bytes_in, bytes_out, request_id,
                 user_id, _) in exchanges
        ]  # fmt: skip
        lines.append("")
        out.write("\n".join(lines).encode())
        out.flush()

    return write_text
