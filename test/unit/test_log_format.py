from __future__ import annotations

import asyncio
import io
import json
import re
import time
from datetime import UTC, datetime

import pytest
import structlog

from chatkeep.access_log import CONSTANTS, KEYS, PLAIN, access_log
from chatkeep.http.app import OPERATIONS
from chatkeep.http.observe import Exchange
from chatkeep.log_format import KeyValueTemplate, UtcTimestamp
from chatkeep.log_stream import LoopBatchedStream

AWKWARD = [
    "plain",
    "it's",
    'say "hi"',
    "back\\slash",
    "new\nline",
    "tab\t",
    "percent %s %d %%",
    "ünïcødé ✓",
    "\x00\x1b",
    None,
    0,
    -12,
    0.001,
    1.0,
    1234.5,
    2**70,
]


@pytest.mark.parametrize("value", AWKWARD)
def test_the_template_writes_what_structlogs_key_value_renderer_writes(value: object) -> None:
    """For any value (quotes, backslashes, newlines, %, non-ASCII, None, numbers) the
    access line's template gives KeyValueRenderer's very line, constants included."""
    keys = ["ts", "level", "event", "a", "b"]
    template = KeyValueTemplate(keys, {"level": "info", "event": "50% done"}, plain=["ts"])
    line = template.render(("2026-01-01T00:00:00.000Z", value, "x"))
    renderer = structlog.processors.KeyValueRenderer(key_order=keys)
    event = {"ts": "2026-01-01T00:00:00.000Z", "level": "info", "event": "50% done"}
    assert line == renderer(None, "info", {**event, "a": value, "b": "x"})


def test_plain_values_need_no_escaping() -> None:
    """The keys written without repr (the timestamp, route templates) only ever hold text
    that repr would merely quote: every route the access log can name."""
    routes = {o.path for o in OPERATIONS} | {"/healthz", "/readyz", "/metrics", "/openapi.json"}
    for text in (*routes, "unmatched", UtcTimestamp().now()):
        assert repr(text) == f"'{text}'", text
    assert set(PLAIN) <= set(KEYS)
    assert not set(PLAIN) & set(CONSTANTS)


def test_the_timestamp_is_iso_utc_to_the_millisecond() -> None:
    """`ts` is ISO 8601 in UTC with milliseconds and a Z, and is the time now."""
    stamp = UtcTimestamp().now()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs(parsed.timestamp() - time.time()) < 1
    assert parsed.tzinfo == UTC


async def test_lines_of_one_loop_iteration_go_out_together() -> None:
    """Lines written in one iteration of the event loop reach the stream in one write, at
    the end of the iteration; outside a running loop, at once."""
    writes: list[bytes] = []

    class Raw(io.BytesIO):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            writes.append(bytes(data))
            return len(data)

    stream = LoopBatchedStream(Raw())
    for line in (b"one\n", b"two\n"):
        stream.write(line)
        stream.flush()
    assert writes == []
    await asyncio.sleep(0)
    assert writes == [b"one\ntwo\n"]
    stream.drain()
    assert writes == [b"one\ntwo\n"]


def test_the_access_log_writes_exchanges_in_json() -> None:
    """An exchange becomes one JSON line with the contract's keys: duration in
    milliseconds to the microsecond, user_id null when absent."""

    class Text(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.buffer = io.BytesIO()

    stream = Text()
    record = access_log("json", stream)  # type: ignore[arg-type]
    record(Exchange("GET", "/p", "unmatched", 404, 0.0012345, 0, 9, "rid", None, "not_found"))
    [line] = [json.loads(text) for text in stream.buffer.getvalue().splitlines()]
    assert list(line) == list(KEYS)
    assert line["duration_ms"] == 1.234
    assert line["user_id"] is None
