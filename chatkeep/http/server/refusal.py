"""Answers the server protocol gives without the app (a malformed or oversized head, a
timeout, too many connections): JSON errors with a request id like every other answer, and
their exchange for the access log and the metrics (contract 1.1, "Hostile trees and
resource limits" and "Operations")."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httptools

from chatkeep.http.observe import UNMATCHED, Exchange, note_protocol_answer
from chatkeep.http.request_context import context_of, request_id_of
from chatkeep.http.schemas import ErrorBody, ErrorDetail


def error_json(code: str, message: str, request_id: str) -> bytes:
    """The contract's error body, `{"error": {"code", "message", "request_id"}}`, as UTF-8
    JSON."""
    detail = ErrorDetail(code=code, message=message, request_id=request_id)
    return ErrorBody(error=detail).model_dump_json().encode()


def refusal(status: HTTPStatus, code: str, message: str, request_id: str) -> bytes:
    """A whole answer, head and JSON error body, that closes the connection; `request_id`
    in the body and in X-Request-Id."""
    body = error_json(code, message, request_id)
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nx-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def refusal_request_id(
    running: Any, head: list[tuple[bytes, bytes]] | None, status: HTTPStatus
) -> tuple[str, bool]:
    """The request id of a refusal, and whether the refused request's own access line
    reports it. `running` is the scope of a request the app is serving (its id, and its
    line, written when its task ends, will name `status`), None when there is none; `head`
    the headers read so far of a head still being read (the caller's id when it sent one),
    None when no head is being read (a new id)."""
    context = None if running is None else context_of(running)
    if context is not None:
        note_protocol_answer(running, status.value)
        return context.request_id, True
    return request_id_of(head or []), False


def refused_exchange(
    parser: httptools.HttpRequestParser,
    url: bytes,
    status: HTTPStatus,
    code: str,
    request_id: str,
    duration_s: float,
    answer: bytes,
) -> Exchange:
    """The exchange of such an `answer` (head and body; its body's bytes are counted): the
    method once the request line was read as far as the target `url` (an empty method and
    path before: the parser's method is not the request's until then), no route, no
    user, no request body bytes counted."""
    method = ""
    if url:
        try:
            method = parser.get_method().decode("ascii")
        except Exception:  # the request line did not parse that far
            method = ""
    return Exchange(
        method=method,
        path=url.partition(b"?")[0].decode("latin-1"),
        route=UNMATCHED,
        status=status.value,
        duration_s=duration_s,
        bytes_in=0,
        bytes_out=len(answer) - answer.index(b"\r\n\r\n") - 4,
        request_id=request_id,
        user_id=None,
        error_code=code,
    )
