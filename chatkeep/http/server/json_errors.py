"""What the HTTP server answers by itself, as JSON like every other error (contract 1.1,
"Hostile trees and resource limits").

chatkeep serves with uvicorn's httptools protocol (`chatkeep.http.server.protocol`; the CLI never
selects h11, whose own refusals would be plain text too). uvicorn 0.54 answers by itself in
these places, each covered here or in the protocol:

- `send_400_response`: the parser (llhttp) refused the request line, a header, the framing
  (both Content-Length and Transfer-Encoding, two Content-Lengths, a Transfer-Encoding that
  does not end in chunked, obsolete line folding, bare LF) or a chunk of the body: a JSON
  `400 invalid_request` naming the parser's reason; in order after the responses to the
  requests before it, when they were pipelined (a pipelined request whose body is broken
  is never run).
- `send_500_response`: the application raised before its response started, or returned
  without one: a JSON `500 internal_error`.
- `service_unavailable`: only with `limit_concurrency`, which chatkeep does not set; the
  protocol's own connection cap answers `503 too_many_connections` in JSON.
- An `Upgrade` (WebSocket, h2c) with no such protocol served: uvicorn logged a warning about
  a missing WebSocket library, answered the request, then dropped whatever the client sent
  next, leaving it waiting. The request is answered as a plain one (RFC 9110 §7.8 lets a
  server ignore Upgrade) and the connection closes after it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from chatkeep.http.request_context import context_of, request_id_of
from chatkeep.http.server.refusal import error_json, refusal

_INTERNAL = "an unexpected error occurred; it has been logged"
# A parser reason is llhttp's short English text; anything longer or odder is not shown.
_MAX_REASON_CHARS = 80


def parser_problem(error: httptools.HttpParserError) -> str:
    """Why the parser refused a request, for its 400: llhttp's own reason (such as
    "Transfer-Encoding can't be present with Content-Length" or "Invalid character in chunk
    size"); a generic one when a callback failed (a path that is not ASCII, say)."""
    reason = str(error)
    if isinstance(error, httptools.HttpParserCallbackError) or not (
        reason.isascii() and reason.isprintable() and 0 < len(reason) <= _MAX_REASON_CHARS
    ):
        return "the request line or head cannot be read"
    return reason


def answer_500_as_json(cycle: RequestResponseCycle) -> None:
    """Make uvicorn's own 500 for `cycle` (an application that raised before answering, or
    returned without an answer) a JSON `internal_error` instead of plain text."""
    # By weak reference: a cycle holding a function that held it would wait for the
    # garbage collector instead of going with its last reference.
    cycle.send_500_response = _json_500(weakref.ref(cycle))  # type: ignore[method-assign]


def _json_500(
    cycle_ref: weakref.ref[RequestResponseCycle],
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def send_500_response() -> None:
        cycle = cycle_ref()
        if cycle is None:
            return
        context = context_of(cycle.scope)
        request_id = request_id_of([]) if context is None else context.request_id
        body = error_json("internal_error", _INTERNAL, request_id)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode("ascii")),
            (b"connection", b"close"),
        ]
        await cycle.send({"type": "http.response.start", "status": 500, "headers": headers})
        await cycle.send({"type": "http.response.body", "body": body, "more_body": False})

    return send_500_response


class JsonErrorsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose own answers are JSON, each in its place in the
    connection (the list at the top of this module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A refusal of a pipelined request, written once the responses before it are.
        self._refusal_after: bytes | None = None
        self._stopped_reading = False

    def data_received(self, data: bytes) -> None:
        """uvicorn's, keeping the parser's reason for a refusal; nothing is read once a
        refusal or a declined upgrade has stopped reading."""
        if self._stopped_reading:
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._decline_upgrade()
        except httptools.HttpParserError as error:
            self.logger.warning("Invalid HTTP request received: %s", error)
            self.send_400_response(parser_problem(error))

    def on_headers_complete(self) -> None:
        """uvicorn's, then its request's 500 is made JSON."""
        super().on_headers_complete()
        if self.cycle is not None:
            answer_500_as_json(self.cycle)

    def send_400_response(self, msg: str) -> None:
        """Refuse what the parser refused with a JSON 400 naming `msg`: at once when no
        response is on its way, else after the responses before it."""
        message = f"the request is not valid HTTP/1.1: {msg}"
        answer = self._refusal(HTTPStatus.BAD_REQUEST, "invalid_request", message)
        cycle = self.cycle
        in_body = cycle is not None and cycle.more_body
        if in_body and self._unqueue(cycle):
            # A pipelined request whose body is broken: its app never runs, and its refusal
            # follows the answers to the requests before it.
            self._refuse_after_answers(answer)
        elif not in_body:
            self._refuse_head(answer)
        elif not cycle.response_started or self._all_answered():
            self._write_and_drop(answer)
        else:
            # About the body of a request whose answer has started: that answer ends, then
            # the connection closes.
            self._stop_reading()
            cycle.keep_alive = False

    def _refuse_head(self, answer: bytes) -> None:
        """Writes `answer`, refusing the head being read, and closes the connection: at
        once when no response is on its way, else after the responses to the requests
        before it, so that it neither lands inside one (a download being sent) nor takes
        the place of one (a pipelined request's; uvicorn wrote it at once)."""
        if self.cycle is None or self._all_answered():
            self._write_and_drop(answer)
        else:
            self._refuse_after_answers(answer)

    def _refuse_after_answers(self, answer: bytes) -> None:
        """Reads nothing more; `answer` goes out, and the connection closes, once the
        responses on their way have ended (on_response_complete)."""
        self._stop_reading()
        self._refusal_after = answer

    def on_response_complete(self) -> None:
        """uvicorn's; then a refusal waiting for the responses before it goes out."""
        # Responses end in the order of their requests: with none queued, this one was the
        # last before the refusal.
        last = not self.pipeline
        super().on_response_complete()
        if self._refusal_after is not None and last:
            self._write_and_drop(self._refusal_after)

    def _unqueue(self, cycle: RequestResponseCycle | None) -> bool:
        """Takes `cycle` out of the queue of pipelined requests, so that its app never runs;
        False when it is not queued (it runs, or has run)."""
        for queued in self.pipeline:
            if queued[0] is cycle:
                self.pipeline.remove(queued)
                return True
        return False

    def _decline_upgrade(self) -> None:
        """No protocol but HTTP/1.1 is served: the request is answered as a plain one, then
        the connection closes, as the parser takes what follows its head for the other
        protocol's bytes (uvicorn dropped them, and the client waited)."""
        cycle = self.cycle
        self._stop_reading()
        if cycle is not None and not cycle.response_complete:
            cycle.keep_alive = False
        else:
            self.drop()

    def _refusal(self, status: HTTPStatus, code: str, message: str) -> bytes:
        """The whole answer refusing the request whose head is being read, with the
        caller's request id when it sent one (a subclass also records it)."""
        return refusal(status, code, message, request_id_of(self.headers))

    def _all_answered(self) -> bool:
        return self.cycle is not None and self.cycle.response_complete and not self.pipeline

    def _stop_reading(self) -> None:
        self._stopped_reading = True

    def _write_and_drop(self, answer: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(answer)
        self.drop()

    def drop(self) -> None:
        """Closes the connection; a running request sees a disconnect at once."""
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.resume_writing()
        self.transport.close()
