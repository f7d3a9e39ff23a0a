"""How a log line looks, text or JSON: the structlog processors that every line goes through
(logs.py), whichever path wrote it."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
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


def renderer(log_format: LogFormat, *, as_bytes: bool = False) -> Processor:
    """The last processor: the event as one line of `log_format`, a str (bytes for JSON
    `as_bytes`). Text puts FIRST_KEYS first."""
    if log_format == "json":
        # orjson: a tenth of the standard library's time on an access line; values of
        # other types as their str() rather than a failure to log.
        return structlog.processors.JSONRenderer(
            serializer=orjson.dumps if as_bytes else _json_text, default=str
        )
    # key='value' (Python's repr): structlog's cheapest text renderer, a third of logfmt's
    # time on an access line (docs/021-operations.md).
    return structlog.processors.KeyValueRenderer(key_order=FIRST_KEYS, drop_missing=True)


class KeyValueTemplate:
    """structlog's KeyValueRenderer for one fixed list of keys: `render(values)` is the line
    KeyValueRenderer makes of a dict of `keys`, in that order, holding `constants` and
    `values` (one per other key): `key=repr(value)`, space-separated. The line is one
    %-format made once, with the constants' reprs in it, where the renderer takes a step
    of a Python generator, a concatenation and a repr per key: KeyValueRenderer alone cost
    11% of a small request; this, a fifth of that (docs/021-operations.md;
    test/unit/test_log_format.py pins the sameness). The values of `plain` keys are
    strings whose repr is the string in single quotes (no quote, backslash or control
    character: a timestamp, a route template), written without repr's scan."""

    def __init__(
        self,
        keys: Sequence[str],
        constants: Mapping[str, object] | None = None,
        plain: Collection[str] = (),
    ) -> None:
        constants = constants or {}
        if not all(key.isidentifier() for key in keys):
            raise ValueError(f"keys must be identifiers: {keys}")
        self._template = " ".join(_field(key, constants, plain) for key in keys)

    def render(self, values: tuple[Any, ...]) -> str:
        """The line of `values`, one per key that is not a constant, in the keys' order."""
        return self._template % values


def _field(key: str, constants: Mapping[str, object], plain: Collection[str]) -> str:
    if key in constants:
        return f"{key}={repr(constants[key]).replace('%', '%%')}"
    return f"{key}='%s'" if key in plain else f"{key}=%r"
