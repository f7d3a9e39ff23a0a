from __future__ import annotations

import io
import json
import re
import time
from datetime import UTC, datetime

import pytest
import structlog

from chatkeep.http.access_log import KEYS, PLAIN, access_log
from chatkeep.http.app import OPERATIONS
from chatkeep.http.log_format import LogFormat, UtcTimestamp, renderer
from chatkeep.http.observe import Exchange

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


class Text(io.StringIO):
    """A text stream with the bytes `buffer` the access log writes to."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = io.BytesIO()


def exchange_with(**fields: object) -> Exchange:
    """An exchange of GET /v1/workspace, with `fields` in place of its own."""
    plain = Exchange("GET", "/v1/workspace", "/v1/workspace", 200, 0.5, 0, 9, "r", "u", None)
    return plain._replace(**fields)


def lines_of(log_format: LogFormat, exchanges: list[Exchange]) -> list[str]:
    stream = Text()
    access_log(log_format, stream)(exchanges)  # type: ignore[arg-type]
    return stream.buffer.getvalue().decode().splitlines()


def expected_fields(exchange: Exchange, ts: str) -> dict[str, object]:
    """The access line's keys and values, as a dict for structlog's renderers."""
    line = {"ts": ts, "level": "info", "event": "request"}
    line |= exchange._asdict()
    line["duration_ms"] = round(line.pop("duration_s") * 1000, 3)  # type: ignore[operator]
    del line["error_code"]
    return {key: line[key] for key in KEYS}


STRING_FIELDS = ["method", "path", "request_id", "user_id"]
NUMBER_FIELDS = ["status", "bytes_in", "bytes_out"]


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("value", AWKWARD)
def test_a_text_line_is_what_structlogs_key_value_renderer_writes(
    field: str, value: object
) -> None:
    """Whatever a request carries (quotes, backslashes, newlines, %, non-ASCII, control
    characters, None, numbers) the text access line is KeyValueRenderer's very line of the
    contract's keys: one line, nothing unescaped."""
    exchange = exchange_with(**{field: value})
    [line] = lines_of("text", [exchange])
    ts = line.split("'")[1]
    renderer = structlog.processors.KeyValueRenderer(key_order=list(KEYS))
    assert line == renderer(None, "info", expected_fields(exchange, ts))


@pytest.mark.parametrize("field", NUMBER_FIELDS)
@pytest.mark.parametrize("number", [0, 1, 404, 2**40, 2**70])
def test_numbers_are_written_as_key_value_renderer_writes_them(field: str, number: int) -> None:
    """Statuses and byte counts of any size are the renderer's digits."""
    exchange = exchange_with(**{field: number})
    [line] = lines_of("text", [exchange])
    renderer = structlog.processors.KeyValueRenderer(key_order=list(KEYS))
    assert line == renderer(None, "info", expected_fields(exchange, line.split("'")[1]))


@pytest.mark.parametrize("seconds", [0.0, 0.0000004, 0.0012345, 0.1, 1.0, 3600.123456789])
def test_durations_are_milliseconds_to_the_microsecond(seconds: float) -> None:
    """duration_ms is the duration in milliseconds, cut to the microsecond, the same
    number in both formats."""
    exchange = exchange_with(duration_s=seconds)
    [text] = lines_of("text", [exchange])
    [json_line] = lines_of("json", [exchange])
    written = float(re.search(r"duration_ms=([^ ]+)", text).group(1))  # type: ignore[union-attr]
    assert written == json.loads(json_line)["duration_ms"]
    assert abs(written - seconds * 1000) < 0.001


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("value", [v for v in AWKWARD if v != 2**70])  # JSON's 64-bit bound
def test_a_json_line_is_what_structlogs_json_renderer_writes(field: str, value: object) -> None:
    """The JSON access line is JSONRenderer's (with orjson, as every other line) of the
    contract's keys, whatever the request carries."""
    exchange = exchange_with(**{field: value})
    [line] = lines_of("json", [exchange])
    parsed = json.loads(line)
    assert list(parsed) == list(KEYS)
    expected = renderer("json")(None, "info", expected_fields(exchange, parsed["ts"]))
    assert line == expected


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_one_call_writes_a_line_per_exchange_in_one_write(log_format: LogFormat) -> None:
    """The exchanges handed over together are written in their order, a line each, with
    one write of the stream and one flush."""
    writes: list[bytes] = []

    class Raw(io.BytesIO):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            writes.append(bytes(data))
            return len(data)

    stream = Text()
    stream.buffer = Raw()
    paths = [f"/p{number}" for number in range(5)]
    access_log(log_format, stream)([exchange_with(path=path) for path in paths])  # type: ignore[arg-type]
    [written] = writes
    lines = written.decode().splitlines()
    assert written.endswith(b"\n")
    assert [("/p" + line.split("/p")[1][0]) for line in lines] == paths


def test_plain_values_need_no_escaping() -> None:
    """The keys written without repr (the timestamp, route templates) only ever hold text
    that repr would merely quote: every route the access log can name."""
    routes = {o.path for o in OPERATIONS} | {"/healthz", "/readyz", "/metrics", "/openapi.json"}
    for text in (*routes, "unmatched", UtcTimestamp().now()):
        assert repr(text) == f"'{text}'", text
    assert set(PLAIN) <= set(KEYS)


def test_the_timestamp_is_iso_utc_to_the_millisecond() -> None:
    """`ts` is ISO 8601 in UTC with milliseconds and a Z, and is the time now."""
    stamp = UtcTimestamp().now()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs(parsed.timestamp() - time.time()) < 1
    assert parsed.tzinfo == UTC
