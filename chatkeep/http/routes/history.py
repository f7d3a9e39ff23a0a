from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from chatkeep.domain.conditions import Preconditions
from chatkeep.domain.history import HistoryVersion
from chatkeep.http.bodies import body_chunks
from chatkeep.http.conditions import CONDITION_HEADERS, preconditions_of, validator_headers
from chatkeep.http.dates import last_modified_field
from chatkeep.http.identity import user_id_of
from chatkeep.http.operation import Body, Operation, json_response
from chatkeep.http.routes.chats import chat_id_of
from chatkeep.http.schemas import HistoryWritten
from chatkeep.http.streaming import ReaderResponse
from chatkeep.usecase.history.read import read_history
from chatkeep.usecase.history.write import append_history, replace_history
from chatkeep.usecase.ports import Ports

MARKDOWN = "text/markdown; charset=utf-8"
_HISTORY = Body(MARKDOWN, "The chat's history.md, byte for byte.")
_WRITTEN = Body(MARKDOWN, "UTF-8 text.")
_WRITE_ERRORS = (
    "chat_not_found",
    "invalid_history",
    "invalid_request",
    "precondition_failed",
    "workspace_quota_exceeded",
    "insufficient_storage",
)
# If-Modified-Since is for GET and HEAD only (RFC 9110 §13.1.3).
_WRITE_CONDITIONS = ("If-Match", "If-None-Match", "If-Unmodified-Since")


async def get_history(request: Request, ports: Ports) -> Response:
    """GET and HEAD: 200 with the bytes, ETag and Last-Modified; 304 when the client's
    copy is current; 412 when If-Match or If-Unmodified-Since fails (RFC 9110 §13.2.2)."""
    conditions = preconditions_of(request.headers)
    read = await read_history(ports, user_id_of(request), chat_id_of(request), conditions)
    headers = validator_headers(read.reader)
    if not read.send:
        return Response(status_code=304, headers=headers)
    return ReaderResponse(read.reader, MARKDOWN, headers)


async def put_history(request: Request, ports: Ports) -> Response:
    """PUT /v1/chats/{chat_id}/history: replace_history; 200; chat_not_found, invalid_history,
    invalid_request, precondition_failed, workspace_quota_exceeded, insufficient_storage."""
    return await _write(request, ports, replace_history)


async def post_history(request: Request, ports: Ports) -> Response:
    """POST /v1/chats/{chat_id}/history: append_history; 200; chat_not_found, invalid_history,
    invalid_request, precondition_failed, workspace_quota_exceeded, insufficient_storage."""
    return await _write(request, ports, append_history)


WriteHistory = Callable[
    [Ports, UUID, UUID, AsyncIterator[bytes], Preconditions | None], Awaitable[HistoryVersion]
]


async def _write(request: Request, ports: Ports, write: WriteHistory) -> Response:
    # The preconditions are parsed before the body is touched: a refusal can come first.
    conditions = preconditions_of(request.headers)
    chat_id = chat_id_of(request)
    version = await write(ports, user_id_of(request), chat_id, body_chunks(request), conditions)
    written = HistoryWritten(size_bytes=version.size_bytes, etag=version.etag)
    response = json_response(written, ETag=version.etag)
    field = None if version.last_modified is None else last_modified_field(version.last_modified)
    if field is not None:
        response.headers["Last-Modified"] = field
    return response


OPERATIONS = [
    Operation(
        "GET",
        "/v1/chats/{chat_id}/history",
        get_history,
        "The chat's history.md, with its ETag and Last-Modified; conditional (RFC 9110 §13)",
        {200: _HISTORY, 304: None},
        errors=("chat_not_found", "invalid_request", "precondition_failed"),
        request_headers=CONDITION_HEADERS,
    ),
    Operation(
        "PUT",
        "/v1/chats/{chat_id}/history",
        put_history,
        "Replace the whole history",
        {200: HistoryWritten},
        request=_WRITTEN,
        errors=_WRITE_ERRORS,
        request_headers=_WRITE_CONDITIONS,
    ),
    Operation(
        "POST",
        "/v1/chats/{chat_id}/history",
        post_history,
        "Append to the history, as one whole",
        {200: HistoryWritten},
        request=_WRITTEN,
        errors=_WRITE_ERRORS,
        request_headers=_WRITE_CONDITIONS,
    ),
]
