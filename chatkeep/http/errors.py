"""The JSON error model, and the one table from error codes to status codes."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from chatkeep.domain.errors import DomainError
from chatkeep.http.request_context import current_request_id, note_error
from chatkeep.http.schemas import ErrorBody, ErrorDetail

logger = logging.getLogger("chatkeep.http")

STATUS_BY_CODE: Mapping[str, int] = {
    "user_id_required": 401,
    "unauthorized": 401,
    "invalid_user_id": 400,
    "invalid_request": 400,
    "invalid_attachment_name": 400,
    "invalid_history": 400,
    "checksum_mismatch": 400,
    "workspace_not_found": 404,
    "chat_not_found": 404,
    "chat_file_not_found": 404,
    "sandbox_session_not_found": 404,
    "not_found": 404,
    "method_not_allowed": 405,
    "chat_has_active_sandbox": 409,
    "name_conflict": 409,
    "precondition_failed": 412,
    "workspace_quota_exceeded": 413,
    "request_too_large": 413,
    "unsupported_media_type": 415,
    "range_not_satisfiable": 416,
    "internal_error": 500,
    "insufficient_storage": 507,
}
_CODE_BY_HTTP_STATUS = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
# The body of a refused request may still be on its way: do not wait for it.
_CLOSE_AFTER = frozenset({"request_too_large", "workspace_quota_exceeded"})
# Refusals that close the connection only when they came before the whole body was read.
_CLOSE_IF_BODY_PENDING = frozenset({"precondition_failed"})
# Set in the scope by `bodies.body_chunks` once the request body has been read to its end.
BODY_READ = "chatkeep.body_read"


class RequestError(Exception):
    """A request refused by the HTTP layer itself (identity, media type, size, syntax)."""

    def __init__(self, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The JSON error answer `{"error": {"code", "message", "request_id"}}` (contract,
    "Errors"; 1.1, "Operations"), with the status of `code` in STATUS_BY_CODE."""
    note_error(code)
    detail = ErrorDetail(code=code, message=message, request_id=current_request_id())
    body = ErrorBody(error=detail).model_dump_json()
    all_headers = dict(headers or {})
    if code in _CLOSE_AFTER:
        all_headers["Connection"] = "close"
    return Response(body, STATUS_BY_CODE[code], all_headers, media_type="application/json")


async def domain_error(request: Request, exc: Exception) -> Response:
    """A DomainError as its JSON error and status (STATUS_BY_CODE); closes the connection when a
    failed precondition refused a request whose body is still unread."""
    assert isinstance(exc, DomainError)
    headers = None
    if exc.code in _CLOSE_IF_BODY_PENDING and _body_pending(request):
        headers = {"Connection": "close"}
    return error_response(exc.code, exc.message, headers)


def _body_pending(request: Request) -> bool:
    """Whether the request declared a body that has not been read to its end."""
    headers = request.headers
    declared = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    return declared and not request.scope.get(BODY_READ, False)


async def request_error(request: Request, exc: Exception) -> Response:
    """A RequestError (a malformed request, caught before any use case) as its JSON error."""
    assert isinstance(exc, RequestError)
    return error_response(exc.code, exc.message, exc.headers)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's HTTPException (404 no route, 405 with Allow, 413) as a JSON error."""
    assert isinstance(exc, HTTPException)
    code = _CODE_BY_HTTP_STATUS.get(exc.status_code, "invalid_request")
    message = f"no route for {request.method} {request.url.path}"
    if code == "method_not_allowed":
        message = f"{request.method} is not allowed on {request.url.path}"
    elif code == "request_too_large":
        message = "the request body is too large"
    headers = {"Allow": exc.headers["Allow"]} if exc.headers and "Allow" in exc.headers else None
    return error_response(code, message, headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Any other exception: logged with the request, answered 500 internal_error, no detail."""
    logger.error("unexpected failure on %s %s", request.method, request.url.path, exc_info=exc)
    # The log line names the request id (logs.py), as the answer does: the two meet there.
    return error_response(
        "internal_error", "an unexpected error occurred; it has been logged with the request id"
    )


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    RequestError: request_error,
    HTTPException: http_exception,
    Exception: internal_error,
}
