"""Answers the server protocol gives without the app (a malformed or oversized head, a
timeout, too many connections): JSON errors with a request id like every other answer, and
their exchange for the access log and the metrics (contract 1.1, "Hostile trees and
resource limits" and "Operations")."""

from __future__ import annotations

from http import HTTPStatus

import httptools

from chatkeep.http.observe import UNMATCHED, Exchange
from chatkeep.http.schemas import ErrorBody, ErrorDetail


def refusal(status: HTTPStatus, code: str, message: str, request_id: str) -> bytes:
    """A whole answer, head and JSON error body, that closes the connection; `request_id`
    in the body and in X-Request-Id."""
    detail = ErrorDetail(code=code, message=message, request_id=request_id)
    body = ErrorBody(error=detail).model_dump_json().encode()
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nx-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def refused_exchange(
    parser: httptools.HttpRequestParser,
    url: bytes,
    status: HTTPStatus,
    code: str,
    request_id: str,
    duration_s: float,
) -> Exchange:
    """The exchange of such an answer: the method as far as `parser` got and the path of
    `url` (empty strings before they were read), no route, no user, no body bytes counted
    (the answer's body is a few hundred bytes, not counted either)."""
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
        bytes_out=0,
        request_id=request_id,
        user_id=None,
        error_code=code,
    )
