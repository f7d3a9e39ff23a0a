"""How a log line looks, text or JSON: the structlog processors that every line goes through
(logs.py), whichever path wrote it."""

from __future__ import annotations

import time
from typing import Any, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from chatkeep.http.request_context import current

LogFormat = Literal["text", "json"]
# The order of the first keys of a text line; the others follow in the order given.
FIRST_KEYS = ["ts", "level", "event"]


class UtcTimestamp:
    """`ts`: the time now in ISO 8601, UTC, to the millisecond (2026-11-29T15:44:38.012Z).
    The text is made once per millisecond and kept: structlog's TimeStamper made a
    datetime and its isoformat per line, a third of the access log's cost under load
    (docs/021-operations.md)."""

    def __init__(self) -> None:
        # Each a tuple, replaced whole: threads that log read consistent pairs.
        self._second: tuple[int, str] = (-1, "")
        self._milli: tuple[int, str] = (-1, "")

    def now(self) -> str:
        """The timestamp text of this instant."""
        milli = int(time.time() * 1000)
        cached = self._milli
        if cached[0] == milli:
            return cached[1]
        second = milli // 1000
        prefix = self._second
        if prefix[0] != second:
            text = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
            prefix = self._second = (second, text)
        text = f"{prefix[1]}{milli % 1000:03d}Z"
        self._milli = (milli, text)
        return text

    def __call__(self, logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        """structlog processor: adds `ts`."""
        event["ts"] = self.now()
        return event


# One clock for every line of the process, so that its cache of the second's text is shared.
TIMESTAMP = UtcTimestamp()


def first_keys_first(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """structlog processor: `ts`, `level` and `event` first, as in access lines (a JSON
    line keeps the order of its keys)."""
    first = {key: event.pop(key) for key in FIRST_KEYS if key in event}
    first.update(event)
    return first


def add_request_id(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """structlog processor: the id of the request being served, on every line logged while
    serving it (contract 1.1, "Operations")."""
    context = current()
    if context is not None:
        event.setdefault("request_id", context.request_id)
    return event


def _json_text(value: Any, **options: Any) -> str:
    return orjson.dumps(value, **options).decode()


def renderer(log_format: LogFormat) -> Processor:
    """The last processor: the event as one line of `log_format`, a str. Text puts
    FIRST_KEYS first."""
    if log_format == "json":
        # orjson: a tenth of the standard library's time on an access line; values of
        # other types as their str() rather than a failure to log.
        return structlog.processors.JSONRenderer(serializer=_json_text, default=str)
    # key='value' (Python's repr): structlog's cheapest text renderer, a third of logfmt's
    # time on an access line (docs/021-operations.md).
    return structlog.processors.KeyValueRenderer(key_order=FIRST_KEYS, drop_missing=True)
