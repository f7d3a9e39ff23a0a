"""uvicorn's httptools protocol with the limits it lacks: a deadline for the request head,
idle timeouts while receiving a body and while sending a response, a bound on the head's
size and header count, and a cap on open connections. Without them one client can hold a
connection forever by trickling bytes, or grow the server's memory with an endless header.
What it answers by itself is JSON (`chatkeep.http.server.json_errors`)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from time import perf_counter
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.server import ServerState

from chatkeep.http.observe import Exchange
from chatkeep.http.server.connection_limits import ConnectionLimits, ConnectionRefused, HeadTooLarge
from chatkeep.http.server.extensions import abort_response, send_response_file
from chatkeep.http.server.json_errors import JsonErrorsProtocol
from chatkeep.http.server.linger import LingerOnClose
from chatkeep.http.server.refusal import refusal, refusal_request_id, refused_exchange
from chatkeep.http.server.zerocopy import ABORT, SENDFILE


class GuardedHttpToolsProtocol(JsonErrorsProtocol):
    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    # Hear the answers this protocol gives without the app (the access log, the metrics).
    recorders: ClassVar[tuple[Callable[[Exchange], None], ...]] = ()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._reading_head = False
        self._head_bytes = self._partial_head_bytes = 0
        self._head_too_large = self._over_capacity = False
        self._linger: LingerOnClose | None = None
        self._head_started = perf_counter()

    @classmethod
    def with_limits(
        cls, limits: ConnectionLimits, record: Callable[[Exchange], None] | None = None
    ) -> type[GuardedHttpToolsProtocol]:
        """This protocol with `limits`; `record` hears each answer the protocol gives
        itself (a malformed or oversized head, a timeout, too many connections)."""
        recorders = () if record is None else (record,)
        return type(cls.__name__, (cls,), {"limits": limits, "recorders": recorders})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """uvicorn's; marks a connection past max_connections for refusal (503) once its head is
        read, and starts the head timeout."""
        super().connection_made(transport)
        # Refused once its head is read, so that the client reads the answer rather than a reset.
        self._over_capacity = len(self.connections) > self.limits.max_connections
        self._arm(self.limits.head_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        """uvicorn's, with the pending timer stopped."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's; drops what arrives while lingering, counts a head's bytes across chunks."""
        if self._linger is not None and self._linger.lingering:
            self._linger.drop(data)
            return
        # The chunk a head begins in is not counted (the callbacks count what was parsed);
        # later chunks that end with the head still incomplete are held by the parser.
        continuing_head = self._reading_head
        super().data_received(data)
        if self._reading_head and continuing_head:
            self._partial_head_bytes += len(data)
            if self._partial_head_bytes > self.limits.max_head_bytes:
                self._refuse_large_head()
        elif self._waiting_for_body():
            self._arm(self.limits.body_timeout, self._body_timed_out)

    def on_message_begin(self) -> None:
        """uvicorn's; starts counting the head and its timeout."""
        super().on_message_begin()
        self._head_started = perf_counter()
        self._reading_head = True
        self._head_bytes = self._partial_head_bytes = 0
        if self._timer is None:
            self._arm(self.limits.head_timeout, self._head_timed_out)

    def on_url(self, url: bytes) -> None:
        """uvicorn's, the URL's bytes counted toward the head limit."""
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """uvicorn's, counted toward the head limits. Raises HeadTooLarge past max_headers."""
        self._count_head(len(name) + len(value))
        if len(self.headers) >= self.limits.max_headers:
            self._head_too_large = True
            raise HeadTooLarge
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """uvicorn's; refuses a connection over capacity (503 too_many_connections). Raises
        ConnectionRefused then."""
        self._disarm()
        if self._over_capacity:
            message = f"the server holds its limit of {self.limits.max_connections} connections"
            self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, "too_many_connections", message)
            raise ConnectionRefused
        self._reading_head = False
        super().on_headers_complete()
        cycle = self.cycle
        extensions = self.scope.setdefault("extensions", {})
        # By weak reference: the scope belongs to the cycle, and a cycle that held itself
        # would wait for the garbage collector instead of going with its last reference.
        extensions[SENDFILE] = {"send": partial(send_response_file, self, weakref.ref(cycle))}
        extensions[ABORT] = {"abort": partial(abort_response, self, weakref.ref(cycle))}
        self._linger = None
        if self._announces_body():
            self._linger = LingerOnClose(self.transport, lambda: self.cycle.more_body)
            self.cycle.transport = self._linger  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        """uvicorn's, with the timer stopped."""
        self._disarm()
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's 400, but 431 for a head too large, nothing for a connection refused."""
        if self._over_capacity:
            return
        if self._head_too_large:
            self._refuse_large_head()
            return
        super().send_400_response(msg)

    def _stop_reading(self) -> None:
        self._reading_head = False
        self._disarm()
        super()._stop_reading()

    def pause_writing(self) -> None:
        """uvicorn's; starts the send timeout, so a client that stops reading is dropped."""
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.limits.send_timeout, self._send_timed_out)

    def resume_writing(self) -> None:
        """uvicorn's; stops the send timeout."""
        super().resume_writing()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.limits.max_head_bytes:
            self._head_too_large = True
            raise HeadTooLarge

    def _refuse_large_head(self) -> None:
        self._head_too_large = True
        message = (
            f"the request head is limited to {self.limits.max_head_bytes} bytes "
            f"and {self.limits.max_headers} headers"
        )
        status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
        self._refuse_head(self._refusal(status, "request_head_too_large", message))

    def _announces_body(self) -> bool:
        return any(
            (name == b"content-length" and value != b"0") or name == b"transfer-encoding"
            for name, value in self.headers
        )

    def _waiting_for_body(self) -> bool:
        # Not once reading stopped: a refused request's body is no longer awaited.
        cycle, reading = self.cycle, not (self._reading_head or self._stopped_reading)
        return cycle is not None and cycle.more_body and reading

    def _head_timed_out(self) -> None:
        self._timer = None
        if self._reading_head:
            message = f"the request head did not arrive within {self.limits.head_timeout} s"
            self._refuse_head(self._refusal(HTTPStatus.REQUEST_TIMEOUT, "request_timeout", message))
        else:
            self.drop()

    def _body_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if self.flow.read_paused or cycle.waiting_for_100_continue:
            # The wait is ours, not the client's: the application has not read yet.
            self._arm(self.limits.body_timeout, self._body_timed_out)
        elif cycle.response_started:
            self.drop()
        else:
            message = f"no request body bytes arrived for {self.limits.body_timeout} s"
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "request_timeout", message)

    def _send_timed_out(self) -> None:
        self._send_timer = None
        self.drop()
        self.transport.abort()  # the client reads nothing: no waiting for it to (drop())

    def _refuse(self, status: HTTPStatus, code: str, message: str) -> None:
        self._write_and_drop(self._refusal(status, code, message))

    def _refusal(self, status: HTTPStatus, code: str, message: str) -> bytes:
        """The refusal's bytes, with the request id of the request it refuses (the
        running one's, else the caller's from the head being read, else a new one); its
        exchange goes to the recorders unless that request's own access line reports it."""
        running = self.cycle is not None and not self.cycle.response_complete
        # Only a head being read is this request's: the last one may be an older one's.
        head = self.headers if self._reading_head else None
        request_id, reported = refusal_request_id(
            self.cycle.scope if running and not self._reading_head else None, head, status
        )
        answer = refusal(status, code, message, request_id)
        if not reported:
            url, took = self.url if self._reading_head else b"", perf_counter() - self._head_started
            exchange = refused_exchange(self.parser, url, status, code, request_id, took, answer)
            for record in self.recorders:
                record(exchange)
        return answer

    def drop(self) -> None:
        """Closes the connection; a running request sees a disconnect at once. What is left
        to send (a refusal) has the send timeout to go out, then the connection is aborted:
        closing waits for the client to read it, and one that reads nothing held it open."""
        self._disarm()
        super().drop()
        if self.transport.get_write_buffer_size():
            self._timer = self.loop.call_later(self.limits.send_timeout, self.transport.abort)

    def _arm(self, delay: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
