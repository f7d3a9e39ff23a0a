"""The outermost ASGI layer: every request gets its id (X-Request-Id on the answer, in error
bodies and log lines), and, when something records them, its exchange (method, route,
status, bytes, duration) goes to the access log and the metrics once the answer has ended
(contract 1.1, "Operations").

It is a plain ASGI wrapper rather than Starlette middleware: it sits on every request, and
the access log and metrics together must cost under a tenth of a small request
(docs/021-operations.md has the figures). So a request only notes its exchange; the
exchanges that end in one turn of the event loop go to the recorders together, at the end
of that turn, where each recorder handles them in one loop and writes once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from time import perf_counter
from typing import Any, NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatkeep.http import request_context
from chatkeep.http.dispatch import ROUTE_KEY
from chatkeep.http.identity import USER_TEXT_KEY

log = logging.getLogger("chatkeep")

# The label of every path no route serves: labels by raw path would grow without bound.
UNMATCHED = "unmatched"
# Methods outside this set are one label, for the same reason (a 405 answers any token).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
# Set in the scope by the server protocol: the status it answered itself, the request's
# own answer being lost (a body that stopped arriving, say), and the bytes it sent with
# sendfile(2), which bypass the ASGI `send`.
PROTOCOL_STATUS_KEY = "chatkeep.protocol_status"
SENDFILE_BYTES_KEY = "chatkeep.sendfile_bytes"


class Exchange(NamedTuple):
    """One request and its answer, as the access log and the metrics see them.

    `path` is without the query; `route` the template that served it, or UNMATCHED;
    `duration_s` in seconds from the request's start to the end of its answer; `bytes_in`
    the request body bytes read, `bytes_out` the response body bytes sent; `user_id` the
    checked X-User-Id, None when there is none; `error_code` the answer's error code.
    A named tuple: one is made per request, in a fifth of a frozen dataclass's time."""

    method: str
    path: str
    route: str
    status: int
    duration_s: float
    bytes_in: int
    bytes_out: int
    request_id: str
    user_id: str | None
    error_code: str | None


# An exchange as recorders receive it: Exchange's fields, in its order, in a plain tuple.
# One is made on every request, and a named tuple took 1,200 more instructions than the
# tuple (docs/benchmarks.md); recorders read the fields by unpacking.
ExchangeFields = tuple[str, str, str, int, float, int, int, str, str | None, str | None]
# Hears the exchanges that ended in one turn of the event loop, in the order they ended.
Recorder = Callable[[Sequence[ExchangeFields]], None]


def note_protocol_answer(scope: Any, status: int) -> None:
    """Records in the request's `scope` that the server protocol answered it with `status`
    itself (its app's own answer is lost: the connection is closed)."""
    scope[PROTOCOL_STATUS_KEY] = status


def add_sendfile_bytes(scope: Any, sent: int) -> None:
    """Counts `sent` bytes of the request's answer that went out with sendfile(2)."""
    scope[SENDFILE_BYTES_KEY] = scope.get(SENDFILE_BYTES_KEY, 0) + sent


class ObservedApp:
    """Wraps `app`: request ids always; the exchange of each request handed to every
    recorder (access log, metrics), when there are any, with the others that ended in the
    same turn of the event loop, once that turn is over. The route template is the one
    the dispatch left in the scope (ROUTE_KEY), else "unmatched"."""

    def __init__(self, app: ASGIApp, recorders: Sequence[Recorder]) -> None:
        self._app = app
        self._recorders = tuple(recorders)
        self._ended: list[ExchangeFields] = []
        self._flush_scheduled = False
        self.in_flight = 0

    def record(self, exchange: Exchange) -> None:
        """Notes `exchange` for the recorders, like a request's own: also for answers the
        server protocol gives without the app (a malformed head, too many connections)."""
        if self._recorders:
            self._ended.append(exchange)
            self._schedule_flush()

    def flush(self) -> None:
        """Hands the exchanges noted so far to every recorder, now, in one sequence. Runs at
        the end of each loop turn that noted one; a scrape of the metrics calls it first."""
        ended, self._ended = self._ended, []
        self._flush_scheduled = False
        if ended:
            for recorder in self._recorders:
                try:
                    recorder(ended)
                except Exception:  # one failing (a closed stderr) must not stop the others
                    log.exception("recording %d requests failed", len(ended))

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: nothing would run the flush
            self.flush()
            return
        self._flush_scheduled = True
        loop.call_soon(self.flush)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry: gives the request its id (answered in a header) and reports it to the
        recorders (logs, metrics); other scopes pass through."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            self.flush()  # the lifespan has ended: the last exchanges go out now
            return
        context, token = request_context.begin(scope)
        id_header = (request_context.REQUEST_ID_HEADER, context.request_id.encode("ascii"))
        if not self._recorders:
            await self._app(scope, receive, _with_header(send, id_header))
            # Not in a `finally`: after a failure the id stays set for the server's own log
            # line about it (uvicorn runs each request in a task of its own).
            request_context.end(token)
            return
        # Everything below runs for every request: it is written for few Python calls (a
        # call costs as much as the arithmetic around it; docs/021-operations.md).
        started = perf_counter()
        status = bytes_in = bytes_out = 0

        async def counting_receive() -> Message:
            nonlocal bytes_in
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
            return message

        async def counting_send(message: Message) -> None:
            nonlocal status, bytes_out
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            elif message["type"] == "http.response.body":
                bytes_out += len(message.get("body", b""))
            await send(message)

        self.in_flight += 1
        try:
            await self._app(scope, counting_receive, counting_send)
        finally:
            self.in_flight -= 1
            exchange: ExchangeFields = (
                scope["method"],
                scope["path"],
                scope.get(ROUTE_KEY) or UNMATCHED,
                # No answer started: the server answers 500 itself.
                scope.get(PROTOCOL_STATUS_KEY) or status or 500,
                perf_counter() - started,
                bytes_in,
                bytes_out + scope.get(SENDFILE_BYTES_KEY, 0),
                context.request_id,
                scope.get(USER_TEXT_KEY),
                context.error_code,
            )
            self._ended.append(exchange)
            if not self._flush_scheduled:
                self._schedule_flush()
        request_context.end(token)  # as above: kept after a failure


def _with_header(send: Send, header: tuple[bytes, bytes]) -> Send:
    async def send_with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), header]
        await send(message)

    return send_with_header
