"""multipart/form-data as a stream of parts, each part's data a stream of chunks.

python-multipart parses; its callbacks only queue events, and `parts()` turns the
queue into parts whose data the caller reads as it arrives, so no part is ever
held whole in memory or copied to disk by the parser.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from chatkeep.http.disposition import parse_parameters
from chatkeep.http.errors import RequestError

MAX_PARTS = 1000
# RFC 2046, section 5.1.1: a boundary is 1 to 70 characters. python-multipart refuses
# boundaries over 256 with an error of its own; checked here, any refusal is a 400.
MAX_BOUNDARY_CHARS = 70
# python-multipart enforces both: more headers, or a longer header line, is a parse error.
MAX_PART_HEADERS = 16
MAX_PART_HEADER_LINE = 8 * 1024


@dataclass(frozen=True, slots=True)
class Part:
    """A part's headers (latin-1 text, names lower-cased) and its data, to be read once."""

    headers: dict[str, str]
    data: AsyncIterator[bytes]

    @property
    def disposition(self) -> dict[str, str]:
        """The part's Content-Disposition parameters (name, filename...); empty when it has none."""
        return parse_parameters(self.headers.get("content-disposition", ""))


def _bad(message: str) -> RequestError:
    return RequestError("invalid_request", f"malformed multipart body: {message}")


class MultipartReader:
    """The parts of a multipart body delimited by `boundary` (the Content-Type parameter).

    Raises RequestError invalid_request for a boundary that is empty or over
    MAX_BOUNDARY_CHARS, and, while parts are read, for a malformed body.
    """

    def __init__(self, body: AsyncIterator[bytes], boundary: bytes) -> None:
        if not 1 <= len(boundary) <= MAX_BOUNDARY_CHARS:
            raise RequestError(
                "invalid_request",
                f"multipart/form-data needs a boundary of 1 to {MAX_BOUNDARY_CHARS} characters",
            )
        self._body = body
        self._events: deque[tuple[str, bytes | tuple[str, str]]] = deque()
        self._field = bytearray()
        self._value = bytearray()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": lambda: self._events.append(("begin", b"")),
                "on_header_field": self._on_field,
                "on_header_value": self._on_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": lambda: self._events.append(("headers", b"")),
                "on_part_data": lambda data, start, end: self._events.append(
                    ("data", data[start:end])
                ),
                "on_part_end": lambda: self._events.append(("end", b"")),
                "on_end": lambda: self._events.append(("done", b"")),
            },
            max_header_count=MAX_PART_HEADERS,
            max_header_size=MAX_PART_HEADER_LINE,
        )

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        field = self._field.decode("latin-1").strip().lower()
        self._events.append(("header", (field, self._value.decode("latin-1").strip())))
        self._field.clear()
        self._value.clear()

    async def _next_event(self) -> tuple[str, bytes | tuple[str, str]]:
        while not self._events:
            chunk = await anext(self._body, None)
            if chunk is None:
                raise _bad("the body ends before the closing boundary")
            try:
                self._parser.write(chunk)
            except MultipartParseError as error:
                raise _bad(str(error)) from None
        return self._events.popleft()

    async def parts(self) -> AsyncIterator[Part]:
        """The parts in order, each to be read before the next (what is left unread is skipped).
        Raises RequestError: invalid_request when malformed, request_too_large past MAX_PARTS."""
        count = 0
        while True:
            kind, _ = await self._next_event()
            if kind == "done":
                return
            if kind != "begin":
                raise _bad(f"unexpected {kind}")
            count += 1
            if count > MAX_PARTS:
                raise RequestError("request_too_large", f"more than {MAX_PARTS} parts")
            headers: dict[str, str] = {}
            while (event := await self._next_event())[0] == "header":
                assert isinstance(event[1], tuple)
                headers[event[1][0]] = event[1][1]
            if event[0] != "headers":
                raise _bad("a part without headers")
            data = self._data()
            yield Part(headers, data)
            async for _ in data:  # whatever the caller left unread
                pass

    async def _data(self) -> AsyncIterator[bytes]:
        while True:
            kind, chunk = await self._next_event()
            if kind == "end":
                return
            if kind != "data" or not isinstance(chunk, bytes):
                raise _bad(f"unexpected {kind} inside a part")
            yield chunk
